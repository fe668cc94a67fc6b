"""Templates supplied by an evaluator (``--templates DIR``) run sandboxed: the view data and
Jinja's filters, nothing else. Escapes such as ``cycler.__init__.__globals__.os.popen`` fail
with a Chinese message naming the template file and line and never run; the default
templates render exactly as before (same HTML, same PDF bytes)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import jinja2
import pytest

from scoring.cli import run
from scoring.render import Renderer, build_card, default_templates_dir
from scoring.templating import describe, environment

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "001-otqq-zjj-2017.yaml"
HOSTILE = ROOT / "tests" / "hostile"
RULES = "模板只能读取评分表数据、使用 Jinja 的过滤器，不能访问以下划线开头的属性，不能修改数据，不能读写文件或联网；已停止生成"


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def templates_with(tmp_path: Path, name: str, line: str) -> tuple[Path, int]:
    """A copy of the default templates with ``line`` added to ``name``; returns the folder and its line number."""
    folder = tmp_path / "tpl"
    shutil.copytree(default_templates_dir(), folder, ignore=shutil.ignore_patterns("__*"))
    path = folder / name
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, text in enumerate(lines) if "<body" in text) + 1
    lines.insert(at, line + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return folder, at + 1


def test_the_popen_escape_is_refused_with_file_and_line_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    folder, line = templates_with(
        tmp_path, "scorecard.html.j2", f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}"
    )
    out_pdf = tmp_path / "card.pdf"
    code, _, err = call("render", str(EXAMPLE), "-o", str(out_pdf), "--templates", str(folder))
    assert code == 1
    assert err == f"模板 {folder / 'scorecard.html.j2'} 第 {line} 行：不允许访问“__init__”。{RULES}\n"
    assert not marker.exists() and not out_pdf.exists()


def test_a_compare_report_template_is_sandboxed_too(tmp_path: Path) -> None:
    folder, line = templates_with(tmp_path, "compare.html.j2", "{{ lipsum.__globals__['os'].getcwd() }}")
    a = HOSTILE / "ok.yaml"
    code, _, err = call(
        "compare", str(a), str(a), "--rubric", str(HOSTILE / "rubric.yaml"), "-o", str(tmp_path / "c.pdf"),
        "--templates", str(folder),
    )  # fmt: skip
    assert code == 1
    assert err.endswith(f"模板 {folder / 'compare.html.j2'} 第 {line} 行：不允许访问“__globals__”。{RULES}\n")
    assert not (tmp_path / "c.pdf").exists()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "第 1 行：不允许访问“__class__”。"),
        ("{{ self.__init__ }}", "第 1 行：不允许访问“__init__”。"),
        ("x\n{{ cycler.__init__ }}", "第 2 行：不允许访问“__init__”。"),
        ("{{ range.__self__ }}", "第 1 行：使用了不存在的数据：'function object' has no attribute '__self__'"),
        ("{{ view|attr('__class__') }}", "第 1 行：不允许访问“__class__”。"),
        ("{{ joiner.__call__.__globals__ }}", "第 1 行：不允许访问“__call__”。"),
        ("{% set _ = view.update({'a': 1}) %}", "第 1 行：不允许访问“update”。"),
        ("{{ 'a' * 100000000 }}", "第 1 行：不允许的操作（重复生成的文字或列表不能超过 100000 项）。"),
        ("{{ 10 ** 100000 }}", "第 1 行：不允许的操作（乘方的指数不能超过 1000）。"),
        ("{{ range(10**8)|list }}", "第 1 行：无法生成：OverflowError"),
        ("{{ 1 / 0 }}", "第 1 行：无法生成：ZeroDivisionError: division by zero"),
        ("{% include '../secret.html' %}", "第 1 行：找不到模板 ../secret.html（只能引用模板文件夹中的文件）"),
        ("{% include '/etc/passwd' %}", "第 1 行：找不到模板 /etc/passwd（只能引用模板文件夹中的文件）"),
        ("{{ nothing.here }}", "第 1 行：使用了不存在的数据：'nothing' is undefined"),
        ("{% if %}", "第 1 行：语法有误："),
    ],
)
def test_template_escapes_and_mistakes_are_located_chinese_errors(tmp_path: Path, source: str, message: str) -> None:
    (tmp_path / "secret.html").write_text("机密", encoding="utf-8")
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "t.html.j2").write_text(source, encoding="utf-8")
    env = environment([folder])
    try:
        env.get_template("t.html.j2").render(view={"a": 0})
    except Exception as exc:
        text = describe(exc, "t.html.j2")
    else:
        pytest.fail("the template rendered")
    assert text.startswith(f"模板 {folder / 't.html.j2'} {message}")
    assert "机密" not in text


def test_what_a_template_may_use_still_works(tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "part.html.j2").write_text("[{{ view.name|upper }}]", encoding="utf-8")
    (folder / "t.html.j2").write_text(
        "{% include 'part.html.j2' %}{{ view.rows|map(attribute='v')|sum }} {{ view.rows|length }} "
        "{{ '%s-%s'|format(1, 2) }} {{ '<b>' }} {{ 'x' * 3 }} {{ 2 ** 10 }} {{ view.name.startswith('a') }}",
        encoding="utf-8",
    )
    out = environment([folder]).get_template("t.html.j2").render(view={"name": "ab", "rows": [{"v": 1}, {"v": 2}]})
    assert out == "[AB]3 2 1-2 &lt;b&gt; xxx 1024 True"


def test_default_templates_render_the_same_html_and_pdf_bytes_as_an_unsandboxed_environment() -> None:
    """The sandbox changes nothing for the packaged templates (WeasyPrint output is deterministic here)."""
    from scoring.cli import App
    from scoring.engine import evaluate

    rubric, submission, _ = App(io.StringIO(), io.StringIO(), []).submission(str(EXAMPLE), None)
    result = evaluate(rubric, submission)
    day = dt.date(2018, 3, 1)
    renderer = Renderer()
    plain = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(renderer.templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    card = build_card(result, day)
    sandboxed_html = renderer._render(card, standalone=True)
    sandboxed_pdf = renderer.pdf(result, day)
    assert renderer.pdf(result, day) == sandboxed_pdf
    renderer.template = plain.get_template("scorecard.html.j2")
    assert renderer._render(card, standalone=True) == sandboxed_html
    assert renderer.pdf(result, day) == sandboxed_pdf
