"""The README's section for bodies (各单位), run as written: its commands, the output it shows,
and every row of its table of typing mistakes, against the real 2017 rubric's template."""

from __future__ import annotations

import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scoring.cli import run

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section() -> str:
    start = README.index("### 填写与检查（各单位）")
    ends = [README.find(mark, start + 1) for mark in ("\n## ", "\n### ")]
    return README[start : min(e for e in ends if e > 0)]


SECTION = _section()


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"^ *```{kind}\n(.*?)^ *```", SECTION, re.M | re.S)


def _commands() -> list[list[str]]:
    commands = []
    for line in _blocks("bash")[0].splitlines():
        words = shlex.split(line, comments=True)
        assert words[0] == ".venv/bin/scoring", line
        commands.append(words[1:])
    return commands


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, str]]]:
    """The section's commands run in a fresh folder, as a body would, through the installed entry point."""
    folder = tmp_path_factory.mktemp("body")
    results = []
    for args in _commands():
        done = subprocess.run(
            [sys.executable, "-m", "scoring", *args], cwd=folder, capture_output=True, text=True, timeout=120
        )
        results.append((done.returncode, done.stdout + done.stderr))
    return folder, results


def test_the_commands_run_as_written(worked):
    folder, results = worked
    assert [args[0] for args in _commands()] == ["template", "validate"]
    assert results[0][0] == 0 and (folder / "我的自评.yaml").is_file()
    assert results[1][0] == 1  # a blank template is not a finished submission


def test_the_output_shown_is_the_output_given(worked):
    _, results = worked
    printed = results[1][1].splitlines()
    shown = _blocks("text")[0].strip().splitlines()
    assert shown and all(line in printed for line in shown), [line for line in shown if line not in printed]


def test_the_validate_examples_are_the_corpus_messages():
    """The [错误] lines shown are the exact messages of hostile cases (tests/hostile/expected.yaml)."""
    expected = yaml.safe_load((ROOT / "tests" / "hostile" / "expected.yaml").read_text(encoding="utf-8"))
    corpus = {line.partition(":")[2] for spec in expected.values() for line in spec.get("stderr", [])}
    shown = [line.strip() for line in _blocks("text")[1].strip().splitlines()]
    assert shown and all(line.split(":", 1)[1] in corpus for line in shown)


def _rows() -> list[tuple[str, str, list[str]]]:
    rows = []
    for line in SECTION.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[0] != "写成了":
            rows.append((cells[0].strip("`"), cells[1], re.findall(r"`([^`]+)`", cells[2])))
    return rows


ROWS = _rows()


def test_the_table_covers_the_issue_s_mistakes():
    written = [r[0] for r in ROWS]
    assert len(ROWS) == 12
    for needle in ("：", ":1", "\u3000", "１２", '"2"', "02", "\u200b", "“", "\t", "主动公开政府信息总数"):
        assert any(needle in w for w in written), needle


@pytest.mark.parametrize(("written", "problem", "messages"), ROWS, ids=[r[1] for r in ROWS])
def test_each_row_of_the_table_says_what_it_claims(written, problem, messages, worked, tmp_path, monkeypatch):
    folder, _ = worked
    lines = (folder / "我的自评.yaml").read_text(encoding="utf-8").split("\n")
    key = re.split("[:：]", written.lstrip("\u3000\u00a0"))[0]
    at = [i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:")]
    if at:
        index = at[0]
        lines[index] = ("  " if lines[index].startswith(" ") else "") + written
    else:  # a Chinese label for a key: a new line under facts:
        index = lines.index("facts:") + 1
        lines.insert(index, "  " + written)
    (tmp_path / "s.yaml").write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    run(["validate", "s.yaml"], out, err)
    here = [line for line in err.getvalue().splitlines() if line.startswith(f"s.yaml:{index + 1}:")]
    if not messages:  # accepted as written (１２ as 12)
        assert here == []
        return
    assert len(here) == 1, (problem, here)
    for message in messages:
        assert message in here[0], (problem, message, here[0])
