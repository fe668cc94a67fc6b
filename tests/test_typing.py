"""Chinese typing in YAML: the pre-scan, the value hints, recovery after a syntax error, and
``validate`` saying what ``score`` says. (The exact messages per mistake are in tests/hostile/.)"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from scoring.cli import run
from scoring.errors import InputError
from scoring.prescan import scan
from scoring.recover import read
from scoring.typing_fixes import date_hint, full_width_number, number_hint, show_hidden
from scoring.yamlio import parse_text, read_text

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"


def _valid_yaml_files() -> list[Path]:
    found = []
    for path in sorted(ROOT.rglob("*.y*ml")):
        if ".venv" in path.parts or "out" in path.parts:
            continue
        try:
            parse_text(read_text(path), str(path))
        except InputError:
            continue
        found.append(path)
    return found


def test_the_prescan_finds_nothing_in_any_valid_file_of_the_project():
    """Rubrics, examples, fixtures: 140+ real files, with Chinese text full of “：”, continuation
    lines, block scalars and lists. The only ones reported are the cases written to be caught."""
    files = _valid_yaml_files()
    assert len(files) > 100
    reported = {p.name for p in files if read(read_text(p), str(p)).problems}
    assert reported == {"sub-fullwidth-colon-last-line.yaml", "sub-ideographic-space-indent-parsed.yaml"}


@pytest.mark.parametrize(
    "text",
    [
        "remarks: 第一行\n  第二行：内容\n",  # the next line of a multi-line plain value
        "remarks: |\n  一、组织：成立领导小组\n  二、制度:见附件\n",  # a block scalar
        "notes:\n  - 第一条：已完成\n  - 12:30 开会\n",  # a list of texts
        'note: "第一行\n  第二：行"\n',  # a quoted value over two lines
        "channels: [网站,\n  微博：新浪]\n",  # a flow list over two lines
        "url: http://example.org/a:b\n",
        "# 注释：不是键\nkey: 值 # 注释：也不是\n",
    ],
)
def test_the_prescan_leaves_text_alone(text):
    assert scan(text).findings == ()


def test_the_prescan_reports_each_line_and_corrects_it_in_place():
    text = "facts:\n  published_weixin： 25\n  interviews:1\n\u3000 trainings: 2\n  rate:\u00a095\n"
    found = scan(text)
    assert [(f.line, f.column, ".".join(f.path)) for f in found.findings] == [
        (2, 19, "facts.published_weixin"),
        (3, 14, "facts.interviews"),
        (4, 1, ""),
        (5, 8, "facts.rate"),
    ]
    assert found.fixed == "facts:\n  published_weixin: 25\n  interviews: 1\n  trainings: 2\n  rate: 95\n"


def test_full_width_digits_are_read_only_when_they_make_a_plain_number():
    assert full_width_number("１２") == "12"
    assert full_width_number("９５．５") == "95.5"
    assert full_width_number("－３") == "-3"
    assert full_width_number("１２件") is None
    assert full_width_number("０１２") is None  # a leading zero stays a question
    assert full_width_number("12") is None  # nothing to convert


def test_number_and_date_hints():
    assert number_hint("2", quoted=True) == "数字外面加了引号，会被当作文字：请去掉引号，写成 2"
    assert number_hint("三十", quoted=False) is None  # no typing explanation: the schema's message stands
    assert number_hint("2\u200b", quoted=False) == "数字中夹有看不见的字符 U+200B（零宽空格），请删除，只留数字 2"
    assert date_hint("“2018-01-15”") == '日期外面是中文引号 “”：请改成英文半角双引号，写成 "2018-01-15"'
    assert date_hint("２０１８-０１-１５") == '日期用了全角数字或符号：请用半角数字，写成 "2018-01-15"'
    assert show_hidden("a\u200bb\u3000c\td") == "a<U+200B>b<U+3000>c<U+0009>d"


def test_recovery_reports_what_follows_a_syntax_error_but_nothing_it_cannot_be_sure_of():
    text = "agency:\n  name: 测试局\nfacts:\n  meetings: [1, 2\n  rate: 九十\nyear: 2024\n"
    reading = read(text, "s.yaml")
    assert [p.line for p in reading.problems] == [4]
    assert reading.doc is not None
    assert reading.doc.data["facts"]["rate"] == "九十"  # still read, so its type is checked
    assert "meetings" not in reading.doc.data["facts"]  # left out, so never reported missing
    assert set(reading.omitted) == {4}


def test_recovery_is_bounded():
    """A file of nothing but broken lines: at most MAX_ROUNDS re-reads, then the first error alone."""
    text = "".join(f"k{i}: [\n" for i in range(200))
    reading = read(text, "s.yaml")
    assert reading.doc is None
    assert len(reading.problems) == 1


def _call(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return run(argv, out, err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "name",
    [
        "ok",
        "sub-check-sum-wrong",
        "sub-check-warning",
        "sub-self-total-wrong",
        "sub-self-score-unsupported",
        "sub-missing-required-fact",
        "sub-missing-required-placeholder",
        "sub-fullwidth-colon",
        "sub-fullwidth-digits-accepted",
    ],
)
def test_validate_and_score_agree_on_the_exit_code(name, tmp_path, monkeypatch):
    for file in (f"{name}.yaml", "rubric.yaml"):
        shutil.copy(HOSTILE / file, tmp_path / file)
    monkeypatch.chdir(tmp_path)
    validated = _call(["validate", f"{name}.yaml", "--rubric", "rubric.yaml"])
    scored = _call(["score", f"{name}.yaml", "--rubric", "rubric.yaml"])
    assert validated[0] == scored[0]
    errors = re.findall(r"\[错误\] (.*)", scored[1])
    for message in errors:  # every error score prints, validate prints too, with its line
        assert re.search(rf"^{name}\.yaml:\d+:\d+: \[错误\] .*{re.escape(message[:30])}", validated[2], re.M)


def test_the_issue_s_first_hour_on_the_2017_template(tmp_path, monkeypatch):
    """The 2017 template filled in as the issue describes: every mistake on its own line, in one round."""
    monkeypatch.chdir(tmp_path)
    assert _call(["template", "ordos-otqq-zjj-2017", "-o", "自评.yaml"])[0] == 0
    lines = (tmp_path / "自评.yaml").read_text(encoding="utf-8").split("\n")

    def fill(key: str, written: str) -> int:
        index = next(i for i, line in enumerate(lines) if line.startswith(f"  {key}: ~"))
        lines[index] = written
        return index + 1

    weixin = fill("published_weixin", "  published_weixin： 25")
    interviews = fill("interviews", "  interviews:1")
    total = fill("published_total", "  主动公开政府信息总数: 120")
    weibo = fill("published_weibo", "  published_weibo: １２")
    (tmp_path / "自评.yaml").write_text("\n".join(lines), encoding="utf-8")
    code, out, err = _call(["validate", "自评.yaml"])
    assert code == 1
    assert out.startswith("自评.yaml: 无效")
    by_line = {int(m.group(1)): m.group(0) for m in re.finditer(r"^自评\.yaml:(\d+):\d+: .*$", err, re.M)}
    assert "全角冒号" in by_line[weixin] and "published_weixin: 25" in by_line[weixin]
    assert "缺少空格" in by_line[interviews] and "interviews: 1" in by_line[interviews]
    assert "published_total: 120" in by_line[total]
    assert weibo not in by_line  # １２ is read as 12
    assert "字段 agency.name（单位名称）：必填项“单位名称”没有填写" in err
    # the other required facts, blank in the template, are reported at their own placeholder lines
    assert re.search(
        r"^自评\.yaml:\d+:3: 字段 facts\.published_other（其他方式公开政府信息数）：必填项.*统计表第 9 行", err, re.M
    )


def test_recovery_rereads_a_large_file_only_a_few_times(monkeypatch):
    """Re-reading is bounded by the amount of text as well: errors at the end of a big file cost two re-reads."""
    import scoring.recover as recover

    calls = []
    real = recover.parse_text
    monkeypatch.setattr(recover, "parse_text", lambda text, file: calls.append(len(text)) or real(text, file))
    monkeypatch.setattr(recover, "MAX_REREAD_CHARS", 4000)
    text = "facts:\n" + "".join(f"  n{i}: 1\n" for i in range(200)) + "".join(f"  k{i}: [\n" for i in range(30))
    reading = recover.read(text, "s.yaml")
    assert len(reading.problems) == 1
    assert len(calls) == 1 + 4000 // len(text) == 2  # the first read, then one re-read (not 20)
