"""Shared helpers: build rubrics and submissions from YAML text, as users write them."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scoring.engine import evaluate
from scoring.model import Rubric
from scoring.result import Result
from scoring.rubric import rubric_from_text
from scoring.submission import submission_from_text

ROOT = Path(__file__).resolve().parent.parent


def rubric_yaml(text: str) -> Rubric:
    return rubric_from_text(textwrap.dedent(text), "rubric.yaml")


def score(rubric: Rubric, submission_text: str) -> Result:
    submission, _ = submission_from_text(textwrap.dedent(submission_text), rubric, "submission.yaml")
    return evaluate(rubric, submission)


def submission_with(rubric: Rubric, facts: str = "{}", self_scores: str = "{}") -> str:
    return (
        f"rubric: {{id: {rubric.id}, version: '{rubric.version}'}}\n"
        "agency: {name: 测试单位}\nyear: 2024\n"
        f"facts: {facts}\nself_scores: {self_scores}\n"
    )


@pytest.fixture
def root() -> Path:
    return ROOT


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.json from the current engine")


def wait_for(condition: Callable[[], object], seconds: float = 120) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass (real processes take their time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())
