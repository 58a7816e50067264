"""The shell as served: manifest, service worker headers and precache list (the server's
shell_files()), module imports that resolve offline, the code shared with the review desk,
vendored packages, no CDN."""
from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

import pytest

PWA = Path(__file__).resolve().parents[2] / "pwa"
# A module's static imports (`import … from '…'`, `export … from '…'`, `import '…'`) and its
# dynamic imports of a literal path. Anchored at a line start so that comments do not count.
IMPORTS = re.compile(r"""^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]"""
                     r"""|\bimport\(\s*['"]([^'"]+)['"]\s*\)""", re.M)


@pytest.fixture
def backend():
    """Static files: the database under the app plays no part, SQLite is enough."""
    return "sqlite"


@pytest.fixture
def seed_level():
    return "base"


def _precache(client) -> list[str]:
    """The precache list of the service worker as the server serves it."""
    text = client.get("/sw.js").get_data(as_text=True)
    return json.loads(re.search(r"^const SHELL = (\[.*?\]);$", text, re.M | re.S).group(1))


def _imports(url: str, text: str) -> list[str]:
    """The URLs a module at `url` imports (relative specifiers resolved against it)."""
    out = []
    for groups in IMPORTS.findall(text):
        spec = next(g for g in groups if g)
        out.append(posixpath.normpath(posixpath.join(posixpath.dirname(url), spec)) if spec.startswith(".") else spec)
    return out


def test_precache_list_is_the_servers_shell_files(client):
    """sw.js carries no hand-typed list: the server stamps in the URL of every file of shell_files(),
    and each of those URLs serves exactly that file, the bytes the cache version was hashed from."""
    from server.web import FILES_MARK, shell_files, shell_url

    raw = (PWA / "sw.js").read_text(encoding="utf-8")
    assert f"const SHELL = {FILES_MARK};" in raw
    assert not re.search(r"""['"]/(?:js|css|icons|shared|vendor)/""", raw), "a shell URL typed into sw.js by hand"
    listed = _precache(client)
    files = shell_files()
    assert listed == [shell_url(f) for f in files]
    assert len(set(listed)) == len(listed)
    for url, path in zip(listed, files):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.get_data() == path.read_bytes(), url


def test_precache_lists_every_shell_file(client):
    listed = set(_precache(client))
    on_disk = {"/" + p.relative_to(PWA).as_posix() for d in ("js", "css", "icons", "shared")
               for p in (PWA / d).rglob("*") if p.is_file()}
    assert on_disk - listed == set(), "files the service worker would not have offline"
    assert {"/", "/manifest.webmanifest", "/vendor/idb/index.js", "/vendor/signature_pad/signature_pad.js",
            "/vendor/tus-js-client/tus.min.js", "/shared/http.js", "/shared/dom.js"} <= listed
    assert not any(u.startswith("/review") for u in listed), "the back office is not part of the phone's shell"


def test_modules_import_only_what_is_served(client):
    """The phone's modules (and its service worker) import only precached files, or the app breaks
    offline; the review desk's modules import only files the server serves."""
    listed = set(_precache(client))
    phone = ["/sw.js"] + [u for u in listed if u.endswith(".js") and u.startswith(("/js/", "/shared/"))]
    seen = set()
    for url in phone:
        for dep in _imports(url, client.get(url).get_data(as_text=True)):
            assert dep in listed, f"{url} imports {dep}, which is not precached"
            seen.add(dep)
    assert {"/shared/http.js", "/shared/dom.js", "/shared/labels.js", "/js/sync.js"} <= seen
    desk = ["/review/" + p.name for p in (PWA / "review").glob("*.js")]
    desk_deps = set()
    for url in desk:
        for dep in _imports(url, client.get(url).get_data(as_text=True)):
            assert client.get(dep).status_code == 200, f"{url} imports {dep}"
            desk_deps.add(dep)
    assert {"/shared/http.js", "/shared/dom.js", "/shared/labels.js"} <= desk_deps, "the desk uses the shared code"


def _js_table(name: str) -> dict[str, str]:
    text = (PWA / "shared" / "labels.js").read_text(encoding="utf-8")
    body = re.search(rf"export const {name} = \{{(.*?)\}};", text, re.S).group(1)
    return dict(re.findall(r"(\w+): '([^']*)'", body))


def test_shared_labels_say_what_the_server_says():
    """The phone, the desk and the printed record name an answer and a signer role alike."""
    from server.review.labels import ANSWERS
    from server.visits.rules import EVIDENCE_LABELS, FACT_FIELDS, METHODS, SIGNER_ROLES

    assert _js_table("VALUE_LABELS") == ANSWERS
    assert _js_table("SIGNER_ROLE_LABELS") == SIGNER_ROLES
    assert _js_table("METHOD_LABELS") == {k: v["label"] for k, v in METHODS.items()}
    facts = _js_table("FACT_LABELS")
    assert list(facts) == list(FACT_FIELDS) and facts == {k: EVIDENCE_LABELS[k] for k in FACT_FIELDS}


def test_no_cdn_anywhere_in_the_shell():
    for p in [PWA / "index.html", PWA / "review.html", PWA / "sw.js", *PWA.joinpath("js").rglob("*.js"),
              *PWA.joinpath("shared").rglob("*.js"), *PWA.joinpath("review").rglob("*"), PWA / "css" / "app.css"]:
        text = p.read_text(encoding="utf-8")
        for url in re.findall(r"""(?:src|href|import)\s*[=(]?\s*['"](https?://[^'"]+)""", text):
            pytest.fail(f"{p.name} loads {url} from another origin")


def test_served_files(client):
    index = client.get("/")
    assert index.status_code == 200 and 'lang="zh-CN"' in index.get_data(as_text=True)
    assert index.headers["Cache-Control"] == "no-cache"
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript"
    assert sw.headers["Service-Worker-Allowed"] == "/" and "no-cache" in sw.headers["Cache-Control"]
    assert "__SHELL_VERSION__" not in sw.get_data(as_text=True)
    man = client.get("/manifest.webmanifest")
    assert man.mimetype == "application/manifest+json"
    body = json.loads(man.get_data(as_text=True))
    assert body["lang"] == "zh-CN" and body["theme_color"] and "联合抽查" in body["short_name"]
    assert {i["sizes"] for i in body["icons"]} >= {"192x192", "512x512"}
    assert client.get("/vendor/tus-js-client/package.json").status_code == 404  # only the pinned files
    assert client.get("/js/../server/web.py").status_code == 404


def test_vendored_modules_bring_their_imports(client):
    """An ES module served under /vendor/ loads its relative imports from beside it: each must be
    allowed by the server and precached, or the import fails (offline, or at all)."""
    from server.web import NODE_MODULES, VENDOR

    listed = set(_precache(client))
    for url, target in VENDOR.items():
        assert "/vendor/" + url in listed, url
        text = (NODE_MODULES / target).read_text(encoding="utf-8")
        for rel in re.findall(r"""^\s*(?:import|export)\b[^'"`]*?['"](\.\.?/[^'"]+)['"]""", text, re.M):
            dep = posixpath.normpath(posixpath.join(posixpath.dirname(url), rel))
            assert dep in VENDOR and "/vendor/" + dep in listed, f"{url} imports {rel}"
