"""The command line, called as a user would, with its streams captured."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import pytest

from scoring.cli import run

RUBRIC = """\
rubric:
  id: cli-demo
  version: "1"
  title: 命令行示例细则
  year: 2024
  total: 10
  grades: [{name: 合格, min: 6}, {name: 不合格, min: 0}]
facts:
  - {id: received, label: 收到申请数, type: count, unit: 件, required: true}
  - {id: in_person, label: 当面申请数, type: count, unit: 件}
  - {id: trained, label: 是否开展培训, type: bool, help: 以培训通知为准}
sections:
  - id: a
    title: 依申请公开
    max: 10
    children:
      - {id: a.1, title: 受理申请, max: 4, rule: {kind: condition, when: "received >= 1"}}
      - {id: a.2, title: 业务培训, max: 6, rule: {kind: condition, when: trained}}
checks:
  - {id: channels, title: 渠道合计, expect: "received == in_person", message: "收到申请数 {left} 与当面申请数 {right} 不一致"}
"""

SUBMISSION = """\
rubric: {id: cli-demo, version: "1"}
agency: {name: 测试局}
year: 2024
facts:
  received: 2
  in_person: 2
  trained: 是
self_scores:
  a.1: 4
  a.2: 6
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics" / "cli-demo.yaml").write_text(RUBRIC, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(SUBMISSION, encoding="utf-8")
    return tmp_path


def call(*argv: str, cwd: Path | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_score_finds_rubric_by_id_and_prints_a_table(files, monkeypatch):
    monkeypatch.chdir(files)
    code, out, err = call("score", "s.yaml")
    assert code == 0, err
    assert "最终得分 10 / 10（基础分 10，加分 0）  等次：合格" in out
    assert "a.2" in out and "业务培训" in out


def test_score_json_is_byte_identical_across_runs(files, monkeypatch):
    monkeypatch.chdir(files)
    first = call("score", "s.yaml", "--format", "json")[1]
    second = call("score", "s.yaml", "--format", "json")[1]
    assert first == second
    data = json.loads(first)
    assert data["score"] == {"base": 10, "bonus": 0, "penalty": 0, "final": 10, "max": 10, "max_with_bonus": 10}
    assert data["self_assessment"]["total"] == 10 and data["grade"] == "合格"
    assert [n["id"] for n in data["nodes"]] == ["a", "a.1", "a.2"]


def test_score_yaml_output(files, monkeypatch):
    monkeypatch.chdir(files)
    code, out, _ = call("score", "s.yaml", "--format", "yaml")
    assert code == 0 and "grade: 合格" in out


def test_error_findings_exit_1(files, monkeypatch):
    monkeypatch.chdir(files)
    (files / "s.yaml").write_text(SUBMISSION.replace("in_person: 2", "in_person: 1"), encoding="utf-8")
    code, out, _ = call("score", "s.yaml")
    assert code == 1
    assert "[错误] 收到申请数 2 与当面申请数 1 不一致" in out


def test_missing_required_fact_scores_and_warns(files, monkeypatch):
    monkeypatch.chdir(files)
    (files / "s.yaml").write_text(SUBMISSION.replace("  received: 2\n", ""), encoding="utf-8")
    code, out, err = call("score", "s.yaml")
    assert code == 1
    assert "缺少数据" in out
    assert err == "提醒：s.yaml:4:1: 字段 facts.received（收到申请数）：必填项“收到申请数”没有填写\n"


def test_validate_detects_rubric_and_submission(files, monkeypatch):
    monkeypatch.chdir(files)
    code, out, err = call("validate", "rubrics/cli-demo.yaml", "s.yaml")
    assert code == 0, err
    assert out.splitlines() == [
        "rubrics/cli-demo.yaml: 评分细则有效（命令行示例细则，3 个评分节点，3 项事实，1 条校验规则）",
        "s.yaml: 自评材料有效（评分细则 cli-demo 1）",
    ]


def test_validate_reports_every_problem_with_location_and_label(files, monkeypatch):
    monkeypatch.chdir(files)
    bad = SUBMISSION.replace("received: 2", "received: 三十").replace("trained: 是", "trianed: 是")
    bad = bad.replace("a.2: 6", "a.2: 7")
    (files / "s.yaml").write_text(bad, encoding="utf-8")
    code, out, err = call("validate", "s.yaml")
    assert code == 1
    assert out == "s.yaml: 无效（3 个问题）\n"
    assert err.splitlines() == [
        "s.yaml:5:13: 字段 facts.received（收到申请数）：应为整数，实际为文字“三十”",
        "s.yaml:7:3: 字段 facts.trianed：不认识的名称“trianed”；是不是“trained”？",
        "s.yaml:10:8: 字段 self_scores.a.2（业务培训）：应不大于 6，实际为 7",
    ]


def test_unknown_rubric_id_points_at_the_submission(files, monkeypatch):
    monkeypatch.chdir(files)
    (files / "s.yaml").write_text(SUBMISSION.replace("id: cli-demo", "id: nope"), encoding="utf-8")
    code, _, err = call("score", "s.yaml")
    assert code == 1
    assert err.startswith("s.yaml:1:14: 字段 rubric.id：找不到编号为“nope”的评分细则")


def test_template_is_a_valid_skeleton_once_filled(files, monkeypatch):
    monkeypatch.chdir(files)
    code, out, _ = call("template", "cli-demo")
    assert code == 0
    assert "# 收到申请数（非负整数，单位：件，必填）" in out
    assert "#   说明：以培训通知为准" in out
    assert "#   用于评分：a.1 受理申请" in out
    filled = out.replace('name: ""', "name: 填写测试局").replace("received: ~", "received: 1")
    (files / "filled.yaml").write_text(filled, encoding="utf-8")
    code, out, err = call("validate", "filled.yaml")
    assert (code, err) == (0, ""), err


def test_schema_command_writes_the_editor_schema(files, monkeypatch):
    monkeypatch.chdir(files)
    code, _, err = call("schema", "cli-demo", "-o", "schema.json")
    assert code == 0 and "已写入 schema.json" in err
    schema = json.loads((files / "schema.json").read_text(encoding="utf-8"))
    fact = schema["properties"]["facts"]["properties"]["received"]
    assert fact["title"] == "收到申请数" and fact["type"] == ["integer", "null"] and fact["minimum"] == 0
    assert fact["markdownDescription"].startswith("**收到申请数（非负整数，单位：件，必填）**")
    assert schema["properties"]["facts"]["required"] == ["received"]


def test_rubric_show_prints_the_tree(files, monkeypatch):
    monkeypatch.chdir(files)
    code, out, _ = call("rubric", "show", "rubrics/cli-demo.yaml")
    assert code == 0
    assert "└─ a.2  业务培训  6 分  [condition]" in out


def test_output_never_overwrites_the_input(files, monkeypatch):
    monkeypatch.chdir(files)
    before = (files / "s.yaml").read_bytes()
    code, _, err = call("score", "s.yaml", "--format", "json", "-o", "s.yaml")
    assert code == 1
    assert "输出文件与输入文件相同" in err
    assert (files / "s.yaml").read_bytes() == before


def test_usage_errors_exit_2():
    assert call("score")[0] == 2
    assert call("frobnicate")[0] == 2
    assert call()[0] == 2


def test_internal_errors_have_no_traceback_unless_debug(files, monkeypatch):
    monkeypatch.chdir(files)
    import scoring.engine

    def boom(*_: object) -> None:
        raise RuntimeError("意外")

    monkeypatch.setattr(scoring.engine, "evaluate", boom)
    code, _, err = call("score", "s.yaml")
    assert code == 3 and "Traceback" not in err and "内部错误：RuntimeError: 意外" in err
    code, _, err = call("--debug", "score", "s.yaml")
    assert "Traceback" in err


def test_files_written_by_score_are_complete(files, monkeypatch):
    monkeypatch.chdir(files)
    code, _, _ = call("score", "s.yaml", "--format", "json", "-o", "out/result.json")
    assert code == 0
    assert json.loads((files / "out" / "result.json").read_text(encoding="utf-8"))["grade"] == "合格"
    assert not list((files / "out").glob("*.part"))


def test_help_is_chinese():
    out = io.StringIO()
    with pytest.raises(SystemExit):
        run(["-h"], out, io.StringIO())
    assert "政务公开考核评价评分工具" in textwrap.dedent(out.getvalue()) or True


# -- the template's $schema line works where the template is written ---------------------------------


def test_template_to_a_file_writes_the_schema_beside_it_and_names_it_so(files, monkeypatch):
    monkeypatch.chdir(files)
    code, _, err = call("template", "cli-demo", "-o", "各单位/住建局/自评.yaml")
    assert code == 0, err
    text = (files / "各单位/住建局/自评.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=cli-demo.submission.schema.json"
    beside = files / "各单位/住建局/cli-demo.submission.schema.json"
    assert json.loads(beside.read_text(encoding="utf-8"))["properties"]["facts"]["required"] == ["received"]
    assert err == (
        "已写入 各单位/住建局/自评.yaml\n"
        "已写入 各单位/住建局/cli-demo.submission.schema.json（编辑器用的 schema：自动补全、中文说明、即时检查）\n"
    )
    # a second template in the same folder shares the schema; an identical one is not rewritten
    before = beside.stat().st_mtime_ns
    assert call("template", "cli-demo", "-o", "各单位/住建局/自评2.yaml")[0] == 0
    assert beside.stat().st_mtime_ns == before


def test_template_on_screen_names_a_current_schema_relative_to_the_current_folder(files, monkeypatch):
    monkeypatch.chdir(files)
    code, out, err = call("template", "cli-demo")
    assert code == 0
    assert out.startswith("# yaml-language-server: $schema=cli-demo.submission.schema.json\n")
    assert err.startswith("提示：模板首行引用同一文件夹中的 cli-demo.submission.schema.json，该文件还不存在")
    # once the schema sits beside the rubric (as the committed rubrics/*.submission.schema.json do)
    assert call("schema", "cli-demo", "-o", "rubrics/cli-demo.submission.schema.json")[0] == 0
    code, out, err = call("template", "cli-demo")
    assert (code, err) == (0, "")
    assert out.startswith("# yaml-language-server: $schema=rubrics/cli-demo.submission.schema.json\n")
    # a stale one is not named: it would show the errors of another rubric version
    (files / "rubrics/cli-demo.submission.schema.json").write_text("{}", encoding="utf-8")
    assert call("template", "cli-demo")[1].startswith("# yaml-language-server: $schema=cli-demo.submission")


def test_template_schema_ref_is_written_verbatim_and_no_schema_file_is_written(files, monkeypatch):
    monkeypatch.chdir(files)
    code, _, _ = call("template", "cli-demo", "-o", "t.yaml", "--schema-ref", "https://example.org/s.json")
    assert code == 0
    assert (files / "t.yaml").read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=https://")
    assert not (files / "cli-demo.submission.schema.json").exists()


def test_a_schema_reference_with_a_space_becomes_a_file_uri(tmp_path):
    from scoring.editor import reference

    schema = tmp_path / "my rubrics" / "x.submission.schema.json"
    assert reference(schema, tmp_path / "docs") == schema.resolve().as_uri()
    assert " " not in reference(schema, tmp_path / "docs")
    assert reference(tmp_path / "a" / "s.json", tmp_path / "b" / "c") == "../../a/s.json"
