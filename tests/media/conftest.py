"""Fixtures for the media tests: the real photos and small generated files.

pytest runs with ``--import-mode=importlib`` and no rootdir on ``sys.path``,
so the repository root is added here to make ``media`` importable.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))


# The real camera and phone photos live in the repository, with their licence and what each
# exercises (tests/data/photos/README.md).
PHOTOS = _ROOT / "tests" / "data" / "photos"


@pytest.fixture(scope="session")
def photos() -> Path:
    """Directory of the real camera/phone photos (see its README.md)."""
    return PHOTOS


@pytest.fixture(scope="session")
def truncated_jpeg(tmp_path_factory) -> Path:
    """The first 300 KB of a 12 MP camera JPEG: valid header, pixels cut off."""
    path = tmp_path_factory.mktemp("truncated") / "truncated.jpg"
    path.write_bytes((PHOTOS / "corrupted.jpg").read_bytes()[:300_000])
    return path
