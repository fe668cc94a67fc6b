"""The reference for every cluster test: the same inputs scored by the local process pool."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import batch, make_inputs


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("reference")
    make_inputs(root)
    done = batch(root, "out", "--jobs", "2")
    assert done.returncode == 1, done.stderr  # two malformed files
    return {"root": root, "out": root / "out", "code": done.returncode, "stderr": done.stderr}


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    make_inputs(tmp_path)
    return tmp_path
