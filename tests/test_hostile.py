"""The hostile corpus: malformed and malicious inputs, each with the exact message it must produce.

Cases are files under ``tests/hostile/`` (text files committed as they are; encoded,
binary and oversized files generated below from ``GENERATED``), indexed by
``tests/hostile/expected.yaml``: kind, command line, exit code and the exact lines
printed on stderr. Each case runs through the real CLI (``run(argv, stdout, stderr)``)
in a copy of the folder, and must print no traceback, change no input file and leave
no partial output behind.
"""

from __future__ import annotations

import hashlib
import io
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from scoring.cli import run
from scoring.registry import PROJECT_RUBRICS

HOSTILE = Path(__file__).resolve().parent / "hostile"
FIXTURES = {"expected.yaml", "rubric.yaml", "ok.yaml", "review-ok.yaml"}
HEAD = 'rubric: {id: hostile-fixture, version: "1.0"}\nagency: {name: 测试局}\nyear: 2024\n'
FACTS = "facts:\n  meetings: 1\n  note: 中文说明：全年召开专题会议一次\n"


def _junk() -> bytes:
    return random.Random(20240101).randbytes(4096)


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00" + bytes(
        range(256)
    )


def _deep_block(depth: int = 200) -> bytes:
    lines = [HEAD, "facts:\n"]
    lines += ["  " * (i + 1) + f"k{i}:\n" for i in range(depth)]
    lines.append("  " * (depth + 1) + "x\n")
    return "".join(lines).encode()


def _five_mb() -> bytes:
    filler = "# " + "填充" * 40 + "\n"
    body = (HEAD + FACTS).encode()
    return body + filler.encode() * (5 * 1024 * 1024 // len(filler.encode()) + 1)


# Files that cannot or should not be committed as text: produced into the test's copy.
GENERATED: dict[str, Callable[[], bytes]] = {
    "sub-gbk.yaml": lambda: (HEAD + FACTS).encode("gbk"),
    "sub-utf16-no-bom.yaml": lambda: (HEAD + FACTS).encode("utf-16-le"),
    "sub-utf16-le-bom-accepted.yaml": lambda: (HEAD + FACTS).encode("utf-16"),
    "sub-utf16-be-bom-accepted.yaml": lambda: b"\xfe\xff" + (HEAD + FACTS).encode("utf-16-be"),
    "sub-utf8-bom-accepted.yaml": lambda: b"\xef\xbb\xbf" + (HEAD + FACTS).encode(),
    "sub-binary-junk.bin": _junk,
    "sub-png-header.bin": _png,
    "sub-nul-byte.yaml": lambda: (HEAD + "facts:\n  meetings: 1\n  note: 说明\x00附件\n").encode(),
    "sub-control-char.yaml": lambda: (HEAD + "facts:\n  meetings: 1\n  note: 说明\x1b[2J\n").encode(),
    # YAML breaks lines at U+2028: before, accepted, and every line number after it one too high
    "sub-line-separator.yaml": lambda: (HEAD + "facts:\n  note: 第一段\u2028第二段\n  meetings: 一\n").encode(),
    "sub-5mb.yaml": _five_mb,
    "sub-deep-block.yaml": _deep_block,
    "sub-long-line.yaml": lambda: (HEAD + "facts:\n  meetings: 1\n  note: " + "长" * 200_000 + "\n").encode(),
    "sub-long-text.yaml": lambda: (HEAD + "facts:\n  meetings: 1\n  note: " + "长" * 6_000 + "\n").encode(),
    "res-deep-nesting.json": lambda: b"[" * 100_000,
}
DIRECTORIES = {"sub-directory.yaml"}
ABSENT = {"sub-missing-file.yaml"}

DEFAULT_ARGV = {
    "submission": ["validate", "{file}", "--rubric", "rubric.yaml"],
    "rubric": ["validate", "{file}"],
    "review": ["render", "ok.yaml", "--rubric", "rubric.yaml", "--review", "{file}", "-o", "out.pdf"],
    "result": ["compare", "{file}", "{file}"],
}


def load_expected() -> dict[str, dict[str, Any]]:
    with open(HOSTILE / "expected.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


EXPECTED = load_expected()


def case_file(name: str, spec: dict[str, Any]) -> str:
    return spec.get("file", f"{name}.yaml")


def prepare(tmp_path: Path) -> Path:
    """A private copy of the corpus with the generated files added."""
    folder = tmp_path / "hostile"
    shutil.copytree(HOSTILE, folder)
    for name, make in GENERATED.items():
        (folder / name).write_bytes(make())
    for name in DIRECTORIES:
        (folder / name).mkdir()
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def call(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def test_every_corpus_file_has_an_expectation() -> None:
    """No case is forgotten: every file in the folder (and every generated one) is indexed, and vice versa."""
    committed = {p.name for p in HOSTILE.iterdir()} - FIXTURES
    indexed = {case_file(name, spec) for name, spec in EXPECTED.items()} - FIXTURES
    assert indexed == committed | set(GENERATED) | DIRECTORIES | ABSENT


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prepared copy for all cases: no case may change it (each test checks)."""
    return prepare(tmp_path_factory.mktemp("corpus"))


def _cases() -> list[Any]:
    """Every case; one marked ``xfail`` in the index is a known bug pinned with the message it
    should give (strict: the test fails as soon as the bug is fixed, to remove the mark)."""
    return [
        pytest.param(name, marks=pytest.mark.xfail(reason=spec["xfail"], strict=True)) if "xfail" in spec else name
        for name, spec in sorted(EXPECTED.items())
    ]


@pytest.mark.parametrize("name", _cases())
def test_hostile_case(name: str, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each hostile input gets its exact message and exit code, and harms nothing."""
    spec = EXPECTED[name]
    folder = corpus
    monkeypatch.chdir(folder)
    before = snapshot(folder)
    file = case_file(name, spec)
    argv = [a.replace("{file}", file) for a in spec.get("argv", DEFAULT_ARGV[spec["kind"]])]

    code, out, err = call(argv)

    assert "Traceback" not in out + err and 'File "' not in out + err
    assert "内部错误" not in err
    project = str(PROJECT_RUBRICS)  # machine-dependent part of "searched folders" messages
    assert err.splitlines() == [line.replace("{project_rubrics}", project) for line in spec.get("stderr", [])]
    assert code == spec["exit"]
    for text in spec.get("stdout_contains", []):
        assert text.replace("{file}", file) in out
    after = snapshot(folder)
    assert {k: v for k, v in after.items() if k in before} == before, "an input file was changed"
    created = set(after) - set(before)
    for path in created:
        (folder / path).unlink()
    assert created == set(spec.get("creates", [])), "unexpected or partial output files"


def test_corpus_covers_every_kind() -> None:
    kinds = {spec["kind"] for spec in EXPECTED.values()}
    assert {"submission", "rubric"} <= kinds


@pytest.fixture
def scored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the fixture rubric, a submission and an existing output to protect."""
    for name in ("rubric.yaml", "ok.yaml"):
        shutil.copy(HOSTILE / name, tmp_path / name)
    (tmp_path / "result.json").write_text("旧的结果\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


SCORE = ["score", "ok.yaml", "--rubric", "rubric.yaml", "--format", "json", "-o", "result.json"]


def test_interrupted_write_keeps_the_old_output_and_leaves_no_partial_file(
    scored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C at the last moment (just before the rename): the old output stays whole, no .part file remains."""

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("scoring.iofiles.os.replace", interrupted)
    code, _, err = call(SCORE)
    assert (code, err) == (130, "已中断\n")
    assert (scored / "result.json").read_text(encoding="utf-8") == "旧的结果\n"
    assert sorted(p.name for p in scored.iterdir()) == ["ok.yaml", "result.json", "rubric.yaml"]


def test_disk_full_is_a_message_not_a_crash(scored: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing write (here: disk full) is reported in Chinese; the old output is untouched."""
    import errno

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("scoring.iofiles.os.fsync", full)
    code, _, err = call(SCORE)
    assert (code, err) == (1, "result.json: 无法写入输出文件：磁盘空间不足\n")
    assert (scored / "result.json").read_text(encoding="utf-8") == "旧的结果\n"
    assert sorted(p.name for p in scored.iterdir()) == ["ok.yaml", "result.json", "rubric.yaml"]


def test_complete_output_replaces_the_old_one_and_keeps_its_permissions(scored: Path) -> None:
    """The temporary file is private (0600); the result gets the mode of the file it replaces."""
    (scored / "result.json").chmod(0o640)
    code, _, err = call(SCORE)
    assert (code, err) == (0, "已写入 result.json\n")
    assert (scored / "result.json").read_text(encoding="utf-8").startswith("{")
    assert (scored / "result.json").stat().st_mode & 0o777 == 0o640


def test_every_file_read_is_protected_even_when_the_command_forgets(scored: Path) -> None:
    """`scoring template rubric.yaml -o rubric.yaml` (or any -o naming a file read in this run) is refused."""
    before = (scored / "rubric.yaml").read_bytes()
    code, _, err = call(["template", "rubric.yaml", "-o", "./rubric.yaml"])
    assert (code, err) == (1, "rubric.yaml: 输出文件与输入文件相同，为防止覆盖原始材料，已停止；请换一个输出路径\n")
    assert (scored / "rubric.yaml").read_bytes() == before


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError


def test_a_closed_pipe_ends_quietly(scored: Path) -> None:
    """`scoring score ok.yaml | head -1`: the reader went away; no message, no traceback."""
    err = io.StringIO()
    code = run(["score", "ok.yaml", "--rubric", "rubric.yaml"], _ClosedPipe(), err)
    assert (code, err.getvalue()) == (141, "")
