"""Fixtures of the cluster tests. tests/cluster is a package, so this module is ``cluster.conftest``
and does not shadow ``tests/conftest.py`` (which other test modules import as ``conftest``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import batch, make_inputs


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The reference for every cluster test: the same inputs scored by the local process pool."""
    root = tmp_path_factory.mktemp("reference")
    make_inputs(root)
    done = batch(root, "out", "--jobs", "2")
    assert done.returncode == 1, done.stderr  # two malformed files
    return {"root": root, "out": root / "out", "code": done.returncode, "stderr": done.stderr}


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    make_inputs(tmp_path)
    return tmp_path
