"""The layering of docs/design/architecture.md holds: dependencies point down only.

The contract is `.importlinter` (import-linter's layers contract over server, sync and media),
function-level imports included. An import left inside a function says `# cycle:` and why
(on its line, or on a comment line just above it).
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("server", "sync", "media")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed (make dev-deps)")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache", "--config", str(cwd / ".importlinter")], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_the_layers_contract_is_kept():
    r = _lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 kept, 0 broken" in r.stdout


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "tree"
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, dst / pkg, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / ".importlinter", dst / ".importlinter")
    return dst


@pytest.mark.parametrize("module, upward", [
    ("server/review/labels.py", "from server.public import results"),  # review reading the public side
    ("server/draws/views.py", "from ..visits.models import Visit"),  # draws reaching into visits
    ("sync/pull.py", "from server.visits import feed"),  # the protocol core knowing a feature
    ("server/delivery/worker.py", "    from ..leads import reminders  # inside a function"),
])
def test_an_upward_import_breaks_the_contract(tmp_path, module, upward):
    tree = _copy(tmp_path)
    target = tree / module
    text = target.read_text(encoding="utf-8")
    if upward.startswith("    "):  # inside a function: grimp sees those too
        text += f"\n\ndef _probe():\n{upward}\n    return reminders\n"
    else:
        text = text.replace("from __future__ import annotations\n", f"from __future__ import annotations\n{upward}\n", 1)
    target.write_text(text, encoding="utf-8")
    r = _lint(tree)
    assert r.returncode != 0 and "BROKEN" in r.stdout, r.stdout + r.stderr


def _explained(lines: list[str], fn: ast.AST, node: ast.AST) -> bool:
    """`# cycle:` on the import's own lines, on the comment line just above it, or (for the imports
    a function starts with) anywhere from the `def` line to the end of that leading block."""
    own = range(node.lineno - 1, node.end_lineno)
    if any("# cycle:" in lines[i] for i in own) or "# cycle:" in lines[node.lineno - 2]:
        return True
    body = [b for b in fn.body if not (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant))]
    leading = []
    for b in body:
        if not isinstance(b, (ast.Import, ast.ImportFrom)):
            break
        leading.append(b)
    if node in leading:
        return any("# cycle:" in lines[i] for i in range(fn.lineno - 1, leading[-1].end_lineno))
    return False


def _inner_imports_without_reason() -> list[str]:
    out = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = path.read_text(encoding="utf-8").split("\n")
            for fn in ast.walk(ast.parse("\n".join(lines))):
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(fn):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and not _explained(lines, fn, node):
                        out.append(f"{path.relative_to(ROOT)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return out


def test_imports_inside_functions_say_why():
    missing = _inner_imports_without_reason()
    assert not missing, "move these imports to the top of the module, or say `# cycle:` why not:\n" + "\n".join(missing)
