"""The editor, for real: yaml-language-server over stdio LSP on the files ``scoring template`` writes.

The server (npm, pinned by scripts/editor/package-lock.json) is installed by scripts/setup.sh into
.tools/; Node comes from Debian's packages. Skipped only where node is missing outside CI.
The editor and the tool must agree: what one accepts, the other does (the few YAML-level
exceptions are listed and checked below).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsp_client import LspClient, server_command

from scoring.cli import run
from scoring.errors import ScoringError
from scoring.rubric import load_rubric
from scoring.submission import submission_from_text

ROOT = Path(__file__).resolve().parent.parent
RUBRIC_ID = "ordos-otqq-zjj-2017"
EXAMPLE = ROOT / "examples" / "001-otqq-zjj-2017.yaml"
HOSTILE = ROOT / "tests" / "hostile" / "rubric.yaml"

if shutil.which("node") is None and os.environ.get("CI") != "true":
    pytest.skip("node is not installed (scripts/setup.sh installs it)", allow_module_level=True)
if server_command() is None:  # on CI, or with node but without the server: a set-up fault, not a skip
    raise RuntimeError("node or yaml-language-server missing: run scripts/setup.sh (installs both)")


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("editor")


@pytest.fixture(scope="module")
def lsp(workspace: Path) -> Iterator[LspClient]:
    with LspClient(workspace) as client:
        yield client


def errors(lsp: LspClient, path: Path, text: str | None = None) -> list[tuple[int, str]]:
    """(1-based line, message) of every diagnostic the editor shows for ``path``."""
    uri = lsp.open(path, text)
    found = [(d["range"]["start"]["line"] + 1, d["message"]) for d in lsp.diagnostics(uri)]
    lsp.close_document(uri)
    return found


def template(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    code, _, err = call("template", RUBRIC_ID, "-o", str(path))
    assert code == 0, err
    return path.read_text(encoding="utf-8")


def filled(text: str) -> str:
    """The template with the values of examples/001 (a correct submission) put in its placeholders."""
    import yaml

    values = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    section = ""
    out = []
    for line in text.splitlines():
        if match := re.match(r"([a-z_]+):", line):
            section = match.group(1)
        match = re.match(r'  ([\w.]+): (~|\[\]|"")(.*)$', line)
        given = (values.get(section) or {}) if section in ("agency", "facts", "self_scores") else {}
        if match and match.group(1) in given:
            value = json.dumps(given[match.group(1)], ensure_ascii=False, default=str)
            line = f"  {match.group(1)}: {value}{match.group(3)}"
        out.append(line)
    return "\n".join(out) + "\n"


# -- the $schema line works where the file is written ------------------------------------------------


@pytest.mark.parametrize("where", ["我的自评.yaml", "各单位/住建局/2017 自评.yaml"])
def test_a_fresh_template_shows_no_error_wherever_it_is_written(lsp, workspace, where):
    path = workspace / where
    text = template(path)
    assert text.startswith(f"# yaml-language-server: $schema={RUBRIC_ID}.submission.schema.json\n")
    assert errors(lsp, path) == []
    # the schema was found and applied: a wrong value is flagged in the same file
    broken = text.replace("  published_total: ~", "  published_total: 三十", 1)
    assert errors(lsp, path.with_name("改坏-" + path.name), broken) != []


def test_a_template_printed_to_the_screen_names_the_schema_relative_to_the_current_folder(lsp, monkeypatch):
    monkeypatch.chdir(ROOT)  # the README's quick start: in the project folder, `> 我的自评.yaml`
    code, text, err = call("template", RUBRIC_ID)
    assert (code, err) == (0, "")
    assert text.startswith(f"# yaml-language-server: $schema=rubrics/{RUBRIC_ID}.submission.schema.json\n")
    # opened (not written: the project folder stays clean) as if saved in the project folder
    assert errors(lsp, ROOT / "我的自评.yaml", text) == []
    assert errors(lsp, ROOT / "我的自评-改坏.yaml", text.replace("year: 2017", "year: 二〇一七", 1)) != []


def test_the_readme_editor_steps_work_as_written(lsp, workspace, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### 用编辑器填写") : readme.index("## 评分细则格式")]
    command = re.search(r"`\.venv/bin/scoring (template [^`]+)`", section)
    assert command is not None
    folder = workspace / "readme"
    folder.mkdir()
    monkeypatch.chdir(folder)
    code, _, err = call(*command.group(1).split())
    assert code == 0, err
    written = folder / command.group(1).split()[-1]
    schema = re.search(r"同时写出\s*`([^`]+)`", section)
    assert schema is not None and (folder / schema.group(1)).is_file()
    assert errors(lsp, written) == []
    assert "![" in section and (ROOT / "docs/images/editor-completion.png").stat().st_size < 200_000


# -- the editor accepts what the tool accepts -----------------------------------------------------------


def test_a_filled_template_and_the_example_show_no_error_and_the_tool_accepts_them(lsp, workspace):
    path = workspace / "填好的自评.yaml"
    text = filled(template(path))
    path.write_text(text, encoding="utf-8")
    assert errors(lsp, path) == []
    assert call("validate", str(path))[0] == 0
    assert errors(lsp, EXAMPLE) == []
    assert call("validate", str(EXAMPLE))[0] == 0


def test_a_broken_file_shows_the_errors_the_tool_reports(lsp, workspace):
    path = workspace / "填错的自评.yaml"
    text = filled(template(path))
    text = text.replace("  published_total: 30", "  published_total: 三十", 1)  # wrong type
    text = text.replace("  trainings: 1", "  trainigs: 1", 1)  # unknown key (typo)
    text = re.sub(r"\n  published_normative: [^\n]*", "", text, count=1)  # a required fact deleted
    text = text.replace("  org.head: 5", "  org.head: 6", 1)  # above the maximum
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    at = {
        key: next(i + 1 for i, line in enumerate(lines) if line.startswith(key))
        for key in ("  published_total:", "  trainigs:", "facts:", "  org.head:")
    }
    found = errors(lsp, path)
    assert found == [
        (at["facts:"], 'Missing property "published_normative".'),  # the server has no Chinese for this one
        (at["facts:"], 'Missing property "trainings".'),  # the typo leaves a required fact out
        (at["  published_total:"], "“主动公开政府信息总数（不同渠道发相同信息计1条）”应填非负整数；不知道的写 ~"),
        (at["  trainigs:"], "属性 trainigs 不被允许。"),
        (at["  org.head:"], "值高于最大值 5。"),
    ], found
    code, _, err = call("validate", str(path))
    assert code == 1
    # the tool: the same three format errors at the same lines, each with the field's Chinese label, and
    # the deleted required fact in the same round (the typo "trainigs" is not reported missing twice)
    assert [int(line.split(":")[1]) for line in err.splitlines()] == [
        at["facts:"],
        at["  published_total:"],
        at["  trainigs:"],
        at["  org.head:"],
    ], err
    assert "必填项“主动公开政府信息中的规范性文件数”（统计表第 3 行）没有填写" in err.splitlines()[0], err


# One value per document, written into every fact kind of the hostile rubric: editor and tool must agree.
VALUES = [
    "~",
    "null",
    "",
    '""',
    "0",
    "12",
    "-1",
    "+3",
    "12.0",
    "1e3",
    "1.5",
    ".5",
    "95.50",
    "101",
    "true",
    "False",
    "是",
    "否",
    "yes",
    "NO",
    "好",
    "[]",
    "[网站, 微信]",
    "[网站, 网站]",
    "{}",
    "abc",
    "2024-02-01",
    '"2024-02-01"',
    '"2024-02-30"',
    "12:30",
    "二",
    # YAML 1.2 (the editor) reads these as numbers; the tool keeps them as text (codes such as 010)
    "010",
    "0x1F",
    "0o17",
    "１２",  # full-width digits: the tool reads 12 (scoring/typing_fixes.py); the editor asks for half-width
]
# (fact, value) where the two readings of YAML differ; listed so that a new difference fails
COUNTS = ("meetings", "requests", "requests_online", "requests_letter")
YAML_READINGS_DIFFER = {
    **{(f, v): "tool" for f in COUNTS for v in ("010", "0x1F", "0o17")},  # editor: the number 10, 31, 15
    **{("rate", v): "tool" for v in ("010", "0x1F", "0o17")},
    **{("note", v): "editor" for v in ("010", "0x1F", "0o17")},  # editor: a number where text is wanted
    **{(f, "１２"): "editor" for f in (*COUNTS, "rate")},  # the tool reads full-width digits as a number
}


def test_editor_and_tool_accept_the_same_values(lsp, workspace):
    rubric = load_rubric(HOSTILE)
    folder = workspace / "corpus"
    folder.mkdir()
    assert call("schema", str(HOSTILE), "-o", str(folder / "hostile.schema.json"))[0] == 0
    facts = [f.id for f in rubric.facts]
    head = [
        "# yaml-language-server: $schema=hostile.schema.json",
        'rubric: {id: hostile-fixture, version: "1.0"}',
        "agency: {name: 测试局}",
        "year: 2024",
        "facts:",
    ]
    line_of = {len(head) + 1 + i: fact for i, fact in enumerate(facts)}  # 1-based
    differ: dict[tuple[str, str], str] = {}
    for index, value in enumerate(VALUES):
        text = "\n".join([*head, *(f"  {fact}: {value}" for fact in facts), f"submitted: {value}"]) + "\n"
        line_of[len(head) + 1 + len(facts)] = "submitted"
        editor_refused = {line_of[line] for line, _ in errors(lsp, folder / f"v{index}.yaml", text)}
        try:
            submission_from_text(text, rubric, "s.yaml")
            tool_refused = set()
        except ScoringError as exc:
            tool_refused = {line_of[p.line] for p in exc.problems}
        for name in editor_refused ^ tool_refused:
            differ[(name, value)] = "tool" if name in tool_refused else "editor"  # the one that refuses it
    assert differ == YAML_READINGS_DIFFER


# -- completion and hover show the Chinese names ------------------------------------------------------------


def test_completion_shows_chinese_labels_criteria_and_inserts_a_blank(lsp, workspace):
    text = textwrap.dedent(
        f"""\
        # yaml-language-server: $schema={RUBRIC_ID}.submission.schema.json
        rubric: {{id: {RUBRIC_ID}, version: "2017.1"}}
        agency: {{name: 测试局}}
        year: 2017
        facts:
          published_total: 3
          publ
        self_scores:
          org.h
        """
    )
    shutil.copy(ROOT / "rubrics" / f"{RUBRIC_ID}.submission.schema.json", workspace)
    uri = lsp.open(workspace / "补全.yaml", text)
    lsp.diagnostics(uri)
    items = {i["label"]: i for i in lsp.completion(uri, 6, 6)}
    item = items["published_normative"]
    assert item["documentation"]["kind"] == "markdown"
    assert item["documentation"]["value"].startswith(
        "**主动公开政府信息中的规范性文件数（非负整数，单位：条，必填）**\n\n说明：统计表第3行"
    )
    assert item["textEdit"]["newText"] == "published_normative: ~"  # blank, not the editor's default 0
    assert "published_total" not in items  # already written
    scores = {i["label"]: i for i in lsp.completion(uri, 8, 7)}
    doc = scores["org.head"]["documentation"]["value"]
    assert doc.startswith("**主要负责人亲自抓（满分 5 分）**\n\n评分标准：主要领导年内至少听取一次政务公开工作汇报")
    hover = lsp.hover(uri, 5, 4)["contents"]["value"]
    assert hover.startswith("#### 主动公开政府信息总数（不同渠道发相同信息计1条）")
