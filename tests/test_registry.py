"""Who chooses the rubric: the evaluator's folders and pin, never a path written in a submission.

Rubrics resolve by their declared id and version through the rubric folders; an id is never
opened as a file; two different files declaring one id+version are refused; ``--rubric`` pins
one rubric for ``score``/``validate``/``render``/``plan``/``compare``/``batch``; and every
recorded SHA-256 is of exactly the bytes parsed (also when the file changes between reads).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import json
import os
import threading
import time
from pathlib import Path

import pytest
from test_cli import RUBRIC, SUBMISSION

from scoring.cli import App, run
from scoring.errors import InputError
from scoring.registry import Registry, Rubrics, Source, id_problem
from scoring.yamlio import load_bytes

EASY = RUBRIC.replace("when: trained", "when: 'True'").replace('when: "received >= 1"', "when: 'True'")


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The evaluator's rubric folder (file name unlike the id) and an upload folder as working directory."""
    (tmp_path / "official").mkdir()
    (tmp_path / "official" / "2024-细则.yaml").write_text(RUBRIC, encoding="utf-8")
    (tmp_path / "uploads").mkdir()
    monkeypatch.chdir(tmp_path / "uploads")
    return tmp_path


def test_a_rubric_is_found_by_its_declared_id_not_its_file_name(office: Path) -> None:
    (office / "uploads" / "s.yaml").write_text(SUBMISSION, encoding="utf-8")
    code, out, err = call("--rubrics-dir", str(office / "official"), "score", "s.yaml", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["rubric"]["id"] == "cli-demo"


def test_an_id_naming_an_uploaded_rubric_file_in_the_working_directory_is_not_opened(office: Path) -> None:
    """The attack: `id: easy.yaml` beside an uploaded rubric that scores everything 100."""
    uploads = office / "uploads"
    (uploads / "easy.yaml").write_text(EASY.replace("id: cli-demo", "id: easy"), encoding="utf-8")
    (uploads / "s.yaml").write_text(SUBMISSION.replace("id: cli-demo", "id: easy.yaml"), encoding="utf-8")
    code, out, err = call("--rubrics-dir", str(office / "official"), "score", "s.yaml")
    assert code == 1 and out == ""
    assert err.startswith("s.yaml:1:14: 字段 rubric.id：找不到编号为“easy.yaml”的评分细则")


def test_no_content_of_a_named_yaml_file_reaches_any_message(office: Path) -> None:
    secret = office / "secret.yaml"
    secret.write_text("db_password: hunter2\nrubric: {title: 机密}\n", encoding="utf-8")
    for ident in (str(secret), "../secret.yaml", "secret.yaml", "secret"):
        (office / "uploads" / "s.yaml").write_text(
            SUBMISSION.replace("id: cli-demo", f"id: '{ident}'"), encoding="utf-8"
        )
        code, out, err = call("--rubrics-dir", str(office / "official"), "validate", "s.yaml")
        assert code == 1
        assert "hunter2" not in out + err and "db_password" not in out + err and "机密" not in out + err


@pytest.mark.parametrize(
    ("ident", "reason"),
    [
        ("/etc/passwd", "含有路径字符“/”"),
        ("..", "含有路径字符“..”"),
        ("a\\b", "含有路径字符“\\”"),
        ("a\x00b", "含有路径字符“NUL”"),
        ("C:x", "含有路径字符“:”"),
        ("~root", "含有路径字符“~”"),
        ("", "细则编号是空的"),
        ("1abc", "应以字母或下划线开头"),
        ("a b", "含有不允许的字符“ ”"),
        ("a\nb", "含有不允许的字符“\\u000a”"),
        ("细则", "含有不允许的字符“细”"),
        ("a" * 81, "过长"),
    ],
)
def test_ids_outside_the_schema_pattern_are_refused(ident: str, reason: str) -> None:
    assert reason in id_problem(ident)


@pytest.mark.parametrize("ident", ["cli-demo", "ordos-otqq-zjj-2017", "_x", "a.b_c-1", "a" * 80])
def test_ids_of_the_schema_pattern_are_accepted(ident: str) -> None:
    assert id_problem(ident) == ""


def test_two_different_files_declaring_one_id_and_version_are_refused_naming_both(office: Path) -> None:
    """An uploaded copy in ./rubrics must not shadow (or be shadowed by) the official rubric."""
    (office / "uploads" / "rubrics").mkdir()
    copy = office / "uploads" / "rubrics" / "mine.yaml"
    copy.write_text(EASY, encoding="utf-8")
    (office / "uploads" / "s.yaml").write_text(SUBMISSION, encoding="utf-8")
    code, out, err = call("--rubrics-dir", str(office / "official"), "score", "s.yaml")
    assert code == 1 and out == ""
    official = (office / "official" / "2024-细则.yaml").resolve()
    assert err == (
        f"s.yaml:1:14: 字段 rubric.id：有 2 个内容不同的文件都声明为评分细则“cli-demo”（版本 1）：{official}、"
        f"{copy.resolve()}；无法确定用哪一个（防止上传的副本冒充正式细则），请删除或改正多余的文件，或用 --rubric 指定文件\n"
    )


def test_identical_copies_are_one_rubric(office: Path) -> None:
    (office / "copy").mkdir()
    (office / "copy" / "same.yaml").write_text(RUBRIC, encoding="utf-8")
    (office / "uploads" / "s.yaml").write_text(SUBMISSION, encoding="utf-8")
    code, _, err = call(
        "--rubrics-dir", str(office / "official"), "--rubrics-dir", str(office / "copy"), "score", "s.yaml"
    )
    assert (code, err) == (0, "")


def test_several_versions_need_the_version_written(office: Path) -> None:
    (office / "official" / "v2.yaml").write_text(RUBRIC.replace('version: "1"', 'version: "2"'), encoding="utf-8")
    registry = Registry([office / "official"])
    assert registry.lookup("cli-demo", "2").version == "2"
    with pytest.raises(InputError) as caught:
        registry.lookup("cli-demo", "")
    assert str(caught.value) == "评分细则“cli-demo”有多个版本（1、2），请写明所用的版本（version）"


def test_a_fifo_in_a_rubric_folder_is_skipped_not_waited_for(office: Path) -> None:
    os.mkfifo(office / "official" / "pipe.yaml")
    assert Registry([office / "official"]).lookup("cli-demo", "1").path.name == "2024-细则.yaml"


def test_evaluator_refs_are_a_path_or_an_id_with_optional_version(office: Path) -> None:
    rubrics = Rubrics([office / "official"])
    by_path = rubrics.by_ref(str(office / "official" / "2024-细则.yaml"))
    assert rubrics.by_ref("cli-demo") is by_path
    assert rubrics.by_ref("cli-demo@1") is by_path
    with pytest.raises(InputError) as caught:
        rubrics.by_ref("cli-demo@9")
    assert str(caught.value) == "找到评分细则“cli-demo”，但版本是 1，不是指定的“9”；请核对版本号"


# -- the evaluator pins the rubric -------------------------------------------------------------------

OTHER = RUBRIC.replace("id: cli-demo", "id: cli-other").replace("title: 命令行示例细则", "title: 另一细则")
PIN_MESSAGE = (
    "s.yaml:1:14: 字段 rubric.id：本材料写明的评分细则是“cli-demo”（版本 1），而评估人指定的是“cli-other”"
    "（版本 1，另一细则）；材料只按评估人指定的细则评分，不会改用其他细则，请核对材料中的 rubric:，或换用对应的 --rubric\n"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "s.yaml"],
        ["score", "s.yaml"],
        ["render", "s.yaml", "-o", "out.pdf"],
        ["plan", "s.yaml", "--target", "9"],
    ],
)
def test_a_submission_naming_another_rubric_than_the_pinned_one_is_refused(office: Path, argv: list[str]) -> None:
    (office / "official" / "other.yaml").write_text(OTHER, encoding="utf-8")
    (office / "uploads" / "s.yaml").write_text(SUBMISSION, encoding="utf-8")
    code, _out, err = call("--rubrics-dir", str(office / "official"), *argv, "--rubric", "cli-other")
    assert code == 1
    assert err.endswith(PIN_MESSAGE)
    assert not (office / "uploads" / "out.pdf").exists()


def test_compare_pins_the_rubric_of_the_submissions_it_scores(office: Path) -> None:
    (office / "official" / "other.yaml").write_text(OTHER, encoding="utf-8")
    (office / "uploads" / "s.yaml").write_text(SUBMISSION, encoding="utf-8")
    (office / "uploads" / "t.yaml").write_text(SUBMISSION, encoding="utf-8")
    dirs = ["--rubrics-dir", str(office / "official")]
    assert call(*dirs, "compare", "s.yaml", "t.yaml", "--rubric", "cli-demo")[0] == 0
    code, _, err = call(*dirs, "compare", "s.yaml", "t.yaml", "--rubric-b", "cli-other")
    assert (code, err) == (1, PIN_MESSAGE.replace("s.yaml", "t.yaml"))


def test_a_pinned_rubric_scores_a_submission_that_names_it_or_names_none(office: Path) -> None:
    (office / "uploads" / "s.yaml").write_text(SUBMISSION, encoding="utf-8")
    (office / "uploads" / "none.yaml").write_text(SUBMISSION.replace('rubric: {id: cli-demo, version: "1"}\n', ""))
    dirs = ["--rubrics-dir", str(office / "official")]
    assert call(*dirs, "score", "s.yaml", "--rubric", "cli-demo@1")[0] == 0
    code, _, err = call(*dirs, "score", "none.yaml", "--rubric", "cli-demo")
    assert code == 1 and "缺少必填项“rubric”" in err  # the schema still asks for it; the pin decided the rubric


# -- SHA-256 of exactly the bytes parsed ---------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_load_bytes_hashes_exactly_the_bytes_it_parses() -> None:
    raw = codecs.BOM_UTF8 + SUBMISSION.encode()
    doc = load_bytes(raw, "s.yaml")
    assert doc.sha256 == _sha(raw) != _sha(SUBMISSION.encode())
    assert doc.data["agency"]["name"] == "测试局"


def _readers(fifo: Path) -> int:
    """How many descriptors of this process have ``fifo`` open (the code under test runs in this process)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}") == str(fifo)
    return count


def _feed(fifo: Path, versions: list[bytes]) -> threading.Thread:
    """A writer that serves one version per opening of the FIFO: a second read of the
    'same file' gets other bytes, as with a file replaced between two reads. Each version
    waits until the previous reader has closed, so no reader ever gets two versions."""

    def serve() -> None:
        for data in versions:
            with open(fifo, "wb") as handle:
                while _readers(fifo) < 2:  # ours and the reader's, which may not exist yet when open() returns
                    time.sleep(0.001)
                handle.write(data)
            while _readers(fifo):  # a reader blocked in open() holds no descriptor yet
                time.sleep(0.001)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def _release(fifo: Path, thread: threading.Thread) -> None:
    """Unblock a writer still waiting for a reader (the fixed code reads once)."""
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        while thread.is_alive():
            with contextlib.suppress(BlockingIOError):
                if not os.read(fd, 65536):  # EOF: the writer closed; let it see no reader
                    break
            thread.join(0.01)
    finally:
        os.close(fd)
    thread.join()


def test_a_submission_changing_between_reads_records_the_hash_of_what_was_scored(office: Path) -> None:
    first = SUBMISSION.encode()
    second = SUBMISSION.replace("测试局", "另一个局").encode()
    fifo = (office / "uploads" / "s.yaml").resolve()
    os.mkfifo(fifo)
    thread = _feed(fifo, [first, second])
    try:
        app = App(io.StringIO(), io.StringIO(), [str(office / "official")])
        _rubric, submission, _ = app.submission(str(fifo), None)
    finally:
        _release(fifo, thread)
    assert submission.agency.name == "测试局"
    assert submission.sha256 == _sha(first)


def test_a_rubric_changing_after_it_was_indexed_is_scored_and_hashed_as_read(office: Path) -> None:
    path = office / "official" / "2024-细则.yaml"
    raw = codecs.BOM_UTF8 + RUBRIC.encode()
    path.write_bytes(raw)
    rubrics = Rubrics([office / "official"])
    entry = rubrics.registry.lookup("cli-demo", "1")
    path.write_text(RUBRIC.replace("命令行示例细则", "改过的细则"), encoding="utf-8")
    rubric = rubrics.load(entry.source)
    assert (rubric.title, rubric.sha256) == ("命令行示例细则", _sha(raw))


def test_the_recorded_rubric_hash_is_the_file_hash(office: Path) -> None:
    """`sha256sum rubric.yaml` and the result JSON agree (a BOM is part of the file)."""
    path = office / "official" / "2024-细则.yaml"
    raw = codecs.BOM_UTF8 + RUBRIC.encode()
    path.write_bytes(raw)
    (office / "uploads" / "s.yaml").write_text(SUBMISSION, encoding="utf-8")
    for ref in ("cli-demo", str(path)):
        code, out, _ = call(
            "--rubrics-dir", str(office / "official"), "score", "s.yaml", "--rubric", ref, "--format", "json"
        )
        assert code == 0
        data = json.loads(out)
        assert data["rubric"]["sha256"] == _sha(raw)
        assert data["submission"]["sha256"] == _sha(SUBMISSION.encode())


def test_sources_are_picklable_for_batch_workers() -> None:
    import pickle

    source = Source("r.yaml", b"x")
    assert pickle.loads(pickle.dumps(source)) == source


# -- batch: the same registry and pin in every worker ----------------------------------------------

BATCH_SUB = """\
rubric: {{id: {rid}, version: "{version}"}}
agency: {{name: {name}}}
year: 2017
facts: {{trainings: 2, has_plan: 是, columns: 5, leaks: 否, innovations: 0}}
"""


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Official rubrics (two), and an upload folder (the working directory) with an uploaded
    easy rubric, a submission naming it by file name, one naming /etc/passwd, one naming a
    secret YAML file, one naming another version, and two honest ones."""
    data = Path(__file__).resolve().parent / "data" / "review" / "rubric.yaml"
    official = tmp_path / "official"
    official.mkdir()
    text = data.read_text(encoding="utf-8")
    (official / "fixture.yaml").write_text(text, encoding="utf-8")
    (official / "other.yaml").write_text(text.replace("id: review-fixture", "id: review-other"), encoding="utf-8")
    src = tmp_path / "src"
    (src / "rubrics").mkdir(parents=True)
    easy = text.replace("id: review-fixture", "id: easy").replace("year: 2017", "year: 2017\n  # uploaded")
    (src / "rubrics" / "easy.yaml").write_text(easy, encoding="utf-8")
    (tmp_path / "secret.yaml").write_text("db_password: hunter2\n", encoding="utf-8")
    subs = {
        "a-ok": ("review-fixture", "1"),
        "b-ok": ("review-fixture", "1"),
        "c-other": ("review-other", "1"),
        "d-version": ("review-fixture", "0"),
        "e-passwd": ("/etc/passwd", "1"),
        "f-secret": ("../secret.yaml", "1"),
        "g-easy": ("easy", "1"),
    }
    for name, (rid, version) in subs.items():
        (src / f"{name}.yaml").write_text(BATCH_SUB.format(rid=rid, version=version, name=name), encoding="utf-8")
    monkeypatch.chdir(src)
    return tmp_path


def _batch(root: Path, *extra: str) -> tuple[int, str, str]:
    dirs = ["--rubrics-dir", str(root / "official")]
    return call(*dirs, "batch", ".", "-o", str(root / "out"), "--jobs", "2", "--date", "2018-03-05", *extra)


def test_a_pinned_batch_refuses_files_naming_another_rubric_and_scores_the_rest(uploads: Path) -> None:
    code, _out, err = _batch(uploads, "--rubric", "review-fixture")
    assert code == 1
    assert "提醒：评分细则文件夹 rubrics 位于材料文件夹中（各单位上传材料的位置），本次不从中查找细则" in err
    results = sorted(p.name for p in (uploads / "out" / "results").iterdir())
    assert results == ["a-ok.json", "b-ok.json"]
    errors = (uploads / "out" / "errors.txt").read_text(encoding="utf-8")
    pinned = "而评估人指定的是“review-fixture”（版本 1，测试县政务公开考核细则（核定测试用））"
    assert f"c-other.yaml:1:14: 字段 rubric.id：本材料写明的评分细则是“review-other”（版本 1），{pinned}" in errors
    assert (
        f"d-version.yaml:1:39: 字段 rubric.version：本材料写明的评分细则是“review-fixture”（版本 0），{pinned}"
        in errors
    )
    for name in ("e-passwd", "f-secret", "g-easy"):
        assert f"{name}.yaml：处理失败" in errors
    used = json.loads((uploads / "out" / "results" / "a-ok.json").read_text(encoding="utf-8"))["rubric"]
    official = (uploads / "official" / "fixture.yaml").read_bytes()
    assert (used["id"], used["sha256"]) == ("review-fixture", hashlib.sha256(official).hexdigest())


def test_an_unpinned_batch_resolves_ids_only_in_the_evaluators_folders_and_leaks_nothing(uploads: Path) -> None:
    code, out, err = _batch(uploads)
    assert code == 1
    results = sorted(p.name for p in (uploads / "out" / "results").iterdir())
    assert results == ["a-ok.json", "b-ok.json", "c-other.json"]  # g-easy: the uploaded rubric is not registered
    errors = (uploads / "out" / "errors.txt").read_text(encoding="utf-8")
    assert "e-passwd.yaml:1:14: 字段 rubric.id：细则编号“/etc/passwd”含有路径字符“/”" in errors
    assert "g-easy.yaml:1:14: 字段 rubric.id：找不到编号为“easy”的评分细则" in errors
    assert (
        "d-version.yaml:1:39: 字段 rubric.version：找到评分细则“review-fixture”，但版本是 1，不是材料中写的“0”"
        in errors
    )
    shown = errors + out + err
    pypdf = pytest.importorskip("pypdf")
    shown += "".join(p.extract_text() for p in pypdf.PdfReader(uploads / "out" / "summary.pdf").pages)
    for secret in ("hunter2", "db_password", "root:x:0", "uploaded"):
        assert secret not in shown


def test_a_pinned_rubric_that_does_not_load_stops_the_batch_before_any_file(uploads: Path) -> None:
    code, _, err = call("batch", ".", "-o", str(uploads / "out"), "--rubric", str(uploads / "secret.yaml"))
    assert code == 1 and not (uploads / "out").exists()
    assert f"\n{uploads / 'secret.yaml'}:1:1: " in err
