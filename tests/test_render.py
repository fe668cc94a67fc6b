"""PDF and HTML scorecards: real WeasyPrint, real fonts, checked by extracted text and embedded fonts."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import logging
import re
import threading
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import attrs
import pytest
import yaml
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from scoring.engine import evaluate
from scoring.errors import InputError
from scoring.fonts import FontError, prepare_fonts
from scoring.render import (
    GlyphError,
    Renderer,
    RenderError,
    build_card,
    check_harfbuzz,
    default_templates_dir,
    printed_text,
    render_files,
)
from scoring.result import NodeResult, Result
from scoring.rubric import load_rubric
from scoring.submission import load_submission, submission_from_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "render"
ISSUED = dt.date(2018, 1, 20)


# -- helpers ------------------------------------------------------------------------------------


def fixture_result(**changes: object) -> Result:
    """The fixture submission scored, with top-level YAML fields replaced by ``changes``."""
    rubric = load_rubric(DATA / "rubric.yaml")
    if not changes:
        submission, _ = load_submission(DATA / "submission.yaml", rubric)
        return evaluate(rubric, submission)
    data = yaml.safe_load((DATA / "submission.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    submission, _ = submission_from_text(text, rubric, "submission.yaml")
    return evaluate(rubric, submission)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeeze(text: str) -> str:
    """Text without whitespace, so wrapped lines (long URLs, hashes) compare whole."""
    return re.sub(r"\s+", "", text)


def font_names(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


def all_stream_bytes(pdf: bytes) -> bytes:
    """Every object's decoded stream data, to look for embedded file contents."""
    reader = PdfReader(io.BytesIO(pdf))
    refs = {(num, gen) for gen, objects in reader.xref.items() for num in objects}
    refs |= {(num, 0) for num in reader.xref_objStm}
    chunks = []
    for num, gen in sorted(refs):
        obj = reader.get_object(IndirectObject(num, gen, reader))
        if isinstance(obj, StreamObject):
            chunks.append(obj.get_data())
    assert chunks, "no streams found"
    return b"\n".join(chunks)


def has_attachments(pdf: bytes) -> bool:
    reader = PdfReader(io.BytesIO(pdf))
    if reader.attachments:
        return True
    names = reader.trailer["/Root"].get("/Names")
    if names is not None and "/EmbeddedFiles" in names.get_object():
        return True
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            if annot.get_object().get("/Subtype") == "/FileAttachment":
                return True
    return b"/EmbeddedFile" in pdf or b"/FileAttachment" in pdf


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = b"SERVED-BY-LOOPBACK"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def loopback():
    """A real HTTP server on 127.0.0.1 that records every request it gets."""
    handler = type("Recorder", (_Recorder,), {"requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.requests
    finally:
        server.shutdown()
        server.server_close()


# -- module fixtures: one renderer, one fixture PDF -----------------------------------------------


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture(scope="module")
def result() -> Result:
    return fixture_result()


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def rendered(renderer: Renderer, result: Result) -> tuple[bytes, list[logging.LogRecord]]:
    handler = _ListHandler()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        pdf = renderer.pdf(result, ISSUED)
    finally:
        logger.removeHandler(handler)
    return pdf, handler.records


@pytest.fixture(scope="module")
def pdf(rendered: tuple[bytes, list[logging.LogRecord]]) -> bytes:
    return rendered[0]


@pytest.fixture(scope="module")
def text(pdf: bytes) -> str:
    return pdf_text(pdf)


# -- the fixture scorecard -------------------------------------------------------------------------


def test_pdf_shows_title_block_and_result(text: str, result: Result) -> None:
    """Title, body, year, rubric, date, total against maximum, grade and the veto banner print."""
    for expected in (
        "政务公开工作考核评分表",
        "测试旗住房和城乡建设局（喆堃）",  # 喆 and 堃 must not vanish
        "内蒙古自治区测试市测试旗",
        "旗县级部门",
        "2017年度",
        "测试市2017年度政务公开工作考核评价细则（渲染测试用）",
        "版本 1.0",
        "评分日期 2018年1月20日",
        "最终得分 24 分",
        "满分 40 分",
        "等次 不合格",
        "一 票 否 决",
        "发生泄密事件",
        "等次定为“不合格”",
    ):
        assert expected in text, expected
    assert result.final == Decimal(24)


def test_pdf_explains_every_criterion(text: str, result: Result) -> None:
    """Every node prints with its text or title, its figures, status label and reason."""
    flat = squeeze(text)
    for node in result.nodes:
        assert squeeze(node.title)[:12] in flat or squeeze(node.text)[:12] in flat, node.id
    for label in ("达标", "部分达标", "未达标", "待核定", "缺少数据"):
        assert label in text
    # the reason prints under the criterion text, in the same cell, before the figures and the status
    assert (
        squeeze(
            "每举办一次政务公开培训得2分，最多4分。 1 次 × 每次 2 分 = 2 分；举办政务公开培训班次数 = 1 次 4 4 2 +2 部分达标"
        )
        in flat
    )
    assert squeeze("未印发工作要点（是否印发年度政务公开工作要点 = 否）") in flat
    assert "人工评定项：暂按自评 9 分计，待评估人核定" in text
    assert squeeze("缺少数据：创新做法被上级推广次数（innovation）") in flat


def test_pdf_lists_summary_losses_overclaims_findings_missing_and_evidence(text: str) -> None:
    flat = squeeze(text)
    assert squeeze("1 组织领导 10 10 5 50.0%") in flat  # summary: self-score summed from the items
    assert squeeze("2 政府信息公开 30 24 19 63.3%") in flat
    assert "三、失分项及改进方向" in text
    assert squeeze("1 2.2 政策解读 5 0 5") in flat  # largest loss first
    assert "四、自评虚高项目" in text and "缺少数据支撑" in text and "自评虚高" in text
    assert "通过政府网站公开 45 条，多于主动公开总数 30 条" in text and "提醒" in text
    assert "创新做法被上级推广次数" in text and "innovation" in text
    assert "住建局党组会议纪要〔2017〕12号" in text
    url = "http://www.etkqq.gov.cn/zwgk/zjj/xxgkml/index_2017_information_disclosure_catalogue_page"
    assert url in flat  # printed as text (wrapped), never fetched
    assert "附件3-栏目截图.pdf" in text
    assert "本单位2017年度无依申请公开事项。" in text


def test_pdf_footer_pages_stamp_and_signatures(pdf: bytes, text: str, result: Result) -> None:
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert f"第 1 页 / 共 {pages} 页" in text
    assert f"第 {pages} 页 / 共 {pages} 页" in text
    flat = squeeze(text)
    assert result.rubric["sha256"] in flat and result.submission["sha256"] in flat
    assert "render-fixture-2017" in text and result.engine_version in text
    assert "评估人（签字）" in text and "审核人（签字）" in text and "年 月 日" in " ".join(text.split())


def test_pdf_embeds_only_subset_noto_cjk_sc_faces(pdf: bytes) -> None:
    """The CJK faces are embedded as subsets (6-letter prefix) and nothing else is used:
    the common-character cut for most text, the full face for 喆 and 堃 (not in GB 2312)."""
    names = font_names(pdf)
    assert names, "no fonts"
    for name in names:
        assert re.fullmatch(r"/[A-Z]{6}\+ZWGK-Noto-Sans-CJK-SC(-Common)?(-Bold)?", name), name
    assert any(n.endswith("+ZWGK-Noto-Sans-CJK-SC-Common") for n in names)
    assert any(n.endswith("+ZWGK-Noto-Sans-CJK-SC-Common-Bold") for n in names)
    assert any(n.endswith("+ZWGK-Noto-Sans-CJK-SC") for n in names)  # 喆堃 in the agency name


def test_common_characters_print_from_the_common_cut_alone(renderer: Renderer, result: Result) -> None:
    """Without rare characters only the small common cut is embedded (faster, smaller PDF),
    and what a rare character adds is the full face, not a missing glyph."""
    plain = fixture_result(agency={"name": "测试旗住房和城乡建设局"})
    common_only = renderer.pdf(plain, ISSUED)
    names = font_names(common_only)
    assert names and all("-Common" in n for n in names), names
    assert len(common_only) < len(renderer.pdf(result, ISSUED))


def test_rendering_logs_no_weasyprint_warnings(rendered: tuple[bytes, list[logging.LogRecord]]) -> None:
    """No refused URL, unsupported CSS or font fallback while rendering our own templates."""
    assert [r.getMessage() for r in rendered[1]] == []


def test_html_output(renderer: Renderer, result: Result) -> None:
    html = renderer.html(result, ISSUED)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in html
    assert "测试旗住房和城乡建设局（喆堃）" in html
    assert (
        "<style>" in html and 'font-family: "ZWGK Noto Sans CJK SC Common", "ZWGK Noto Sans CJK SC"' in html
    )  # CSS inlined, not escaped
    assert "http://www.etkqq.gov.cn/zwgk/zjj/" in html
    assert "<a " not in html and "<img" not in html and "<link" not in html and "<script" not in html
    assert " style=" not in html  # no style attributes at all: nothing submitted can reach CSS
    assert "核定分" not in html  # no reviewed points yet


def test_reviewed_column_appears_only_when_result_carries_reviewed_points(renderer: Renderer, result: Result) -> None:
    """The review step sets ``reviewed_points`` (``reviewed``); any node attribute ``reviewed`` works."""
    if "reviewed_points" in attrs.fields_dict(NodeResult):
        nodes = tuple(
            attrs.evolve(n, reviewed_points=Decimal("7.5")) if n.id == "pub.quality" else n for n in result.nodes
        )
    else:

        @attrs.frozen
        class ReviewedNode(NodeResult):
            reviewed: Decimal | None = None

        nodes = tuple(
            ReviewedNode(**attrs.asdict(n, recurse=False), reviewed=Decimal("7.5") if n.id == "pub.quality" else None)
            for n in result.nodes
        )
    reviewed = attrs.evolve(result, nodes=nodes)
    assert build_card(reviewed, ISSUED).data["show_reviewed"] is True
    assert build_card(result, ISSUED).data["show_reviewed"] is False
    html = renderer.html(reviewed, ISSUED)
    assert "<th>核定分</th>" in html and '<td class="b">7.5</td>' in html


# -- the view model ------------------------------------------------------------------------------


def test_card_numbers_are_formatted_in_python(result: Result) -> None:
    card = build_card(result, ISSUED).data
    rows = {r["number"]: r for r in card["rows"]}
    assert [r["number"] for r in card["rows"][:5]] == ["1", "1.1", "1.1.1", "1.1.2", "1.2"]
    assert rows["1.1.2"]["diff"] == "+3" and rows["1.1.2"]["points"] == "0" and rows["1.1.2"]["self"] == "3"
    assert rows["3.1"]["self"] == "2.5" and rows["3.1"]["status"] == "缺少数据"
    assert rows["2.4"]["status"] == "待核定" and rows["2.4"]["pending"] is True
    assert rows["1"]["reason"] == ""  # a plain subtotal is not explained on every parent row
    assert [s["ratio"] for s in card["sections"]] == ["50.0%", "63.3%", "0.0%"]
    assert [s["bar"] for s in card["sections"]] == ["50", "63.33", "0"]
    assert card["score"]["self_gap"] == "+12.5"
    assert [entry["lost"] for entry in card["lost"]] == ["5", "3", "3", "2", "2", "1"]
    assert [o["label"] for o in card["over"]][-1] == "3.1 创新做法"
    assert all(o["kind"] in ("自评虚高", "缺少数据支撑") for o in card["over"])


def test_printed_text_is_body_text_with_entities_decoded() -> None:
    html = "<html><head><title>不印</title><style>p{}</style></head><body><p>&lt;b&gt;甲&amp;乙</p></body></html>"
    assert printed_text(html) == "<b>甲&乙"


# -- glyph coverage -------------------------------------------------------------------------------


def test_uncovered_private_use_char_in_agency_name_is_an_error(renderer: Renderer) -> None:
    bad = fixture_result(agency={"name": "测试\ue000局"})
    with pytest.raises(GlyphError) as info:
        renderer.pdf(bad, ISSUED)
    message = str(info.value)
    assert "U+E000" in message and "私用区字符" in message
    assert "被考核单位名称“测试\ue000局”" in message
    assert info.value.missing[0][0] == "\ue000"


def test_uncovered_ext_b_char_in_evidence_note_is_an_error(renderer: Renderer) -> None:
    assert 0x20000 not in renderer.fonts.coverage  # 𠀀 (CJK Ext-B) is not in Noto CJK SC
    assert ord("喆") in renderer.fonts.coverage and ord("堃") in renderer.fonts.coverage
    bad = fixture_result(evidence={"pub.timely": [{"note": "经办人张\U00020000签收"}]})
    with pytest.raises(GlyphError) as info:
        renderer.pdf(bad, ISSUED)
    message = str(info.value)
    assert "U+20000" in message and "生僻汉字" in message
    assert "评分项 2.3 的第 1 份佐证材料（说明）" in message


def test_missing_noto_cjk_collections_name_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(FontError) as info:
        prepare_fonts(cache_dir=tmp_path / "cache", ttc_dirs=[tmp_path / "nowhere"])
    assert "fonts-noto-cjk" in str(info.value) and "NotoSansCJK-Regular.ttc" in str(info.value)


def test_fonts_are_cut_once_and_reused(tmp_path: Path, renderer: Renderer) -> None:
    """Faces come from the cache when present: the cached file is not rewritten."""
    cached = {face.path: face.path.stat().st_mtime_ns for face in renderer.fonts.faces}
    again = prepare_fonts(cache_dir=renderer.fonts.folder)
    assert {face.path: face.path.stat().st_mtime_ns for face in again.faces} == cached
    assert again.coverage == renderer.fonts.coverage
    assert not list(renderer.fonts.folder.glob("*.tmp")) and not list(renderer.fonts.folder.glob(".*part"))


def test_harfbuzz_subsetting_is_available() -> None:
    check_harfbuzz()  # raises RenderError naming libharfbuzz-subset0 when missing


# -- security: submitted text is printed, never fetched or embedded ---------------------------------


def test_markup_and_urls_in_submitted_fields_are_printed_not_fetched(
    renderer: Renderer, tmp_path: Path, loopback: tuple[str, list[str]]
) -> None:
    base, requests = loopback
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a9c", encoding="utf-8")
    file_url = secret.as_uri()
    attach = f'<link rel="attachment" href="{file_url}">'
    payloads = {
        "name": f'<b>x</b><img src="{base}/name.png">{attach}',
        "url": f"{base}/evidence-url",
        "doc": f'<a rel="attachment" href="{file_url}">附件</a><object data="{base}/object"></object>',
        "note": f'<iframe src="{file_url}"></iframe><style>@import url("{base}/import.css");</style>',
        "remarks": f'{attach}<img src="{file_url}"><svg><image href="{base}/svg.png"/></svg>{file_url}',
    }
    hostile = fixture_result(
        agency={"name": payloads["name"], "region": f"{base}/region"},
        evidence={
            "org.leader.hear": [
                {"doc": payloads["doc"], "url": payloads["url"], "file": file_url, "note": payloads["note"]},
                {"url": file_url},
            ]
        },
        remarks=payloads["remarks"],
    )
    pdf = renderer.pdf(hostile, ISSUED)
    html = renderer.html(hostile, ISSUED)

    assert requests == []  # the loopback server was never contacted
    assert not has_attachments(pdf)
    assert b"TOP-SECRET-7f3a9c" not in all_stream_bytes(pdf)
    assert b"SERVED-BY-LOOPBACK" not in all_stream_bytes(pdf)
    flat = squeeze(pdf_text(pdf))
    assert squeeze(f'<b>x</b><img src="{base}/name.png">') in flat  # markup prints literally
    assert squeeze(attach) in flat and squeeze(payloads["note"]) in flat and squeeze(file_url) in flat
    assert "&lt;b&gt;x&lt;/b&gt;&lt;img" in html and "<b>x</b>" not in html and "<img" not in html
    assert "<style>@import" not in html and "<iframe" not in html


def test_fetcher_guards_every_html_and_css_load_even_from_templates(
    tmp_path: Path, loopback: tuple[str, list[str]]
) -> None:
    """Defence in depth: a custom template that tries to fetch or attach files gets nothing."""
    base, requests = loopback
    secret = tmp_path / "secret.txt"
    secret.write_text("TEMPLATE-SECRET-51b2", encoding="utf-8")
    templates = tmp_path / "templates"
    templates.mkdir()
    source = default_templates_dir()
    css = (source / "scorecard.css").read_text(encoding="utf-8")
    (templates / "scorecard.css").write_text(
        f'@import url("{base}/import.css");\nbody {{ background: url("{secret.as_uri()}"); }}\n' + css,
        encoding="utf-8",
    )
    html = (source / "scorecard.html.j2").read_text(encoding="utf-8")
    evil = (
        f'<link rel="attachment" href="{secret.as_uri()}"><a rel="attachment" href="{secret.as_uri()}">a</a>'
        f'<img src="{base}/img.png"><link rel="stylesheet" href="{base}/style.css">'
        '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E">'
    )
    (templates / "scorecard.html.j2").write_text(html.replace("<body>", "<body>" + evil, 1), encoding="utf-8")

    custom = Renderer(templates)
    pdf = custom.pdf(fixture_result(), ISSUED)

    assert requests == []
    assert not has_attachments(pdf)
    assert b"TEMPLATE-SECRET-51b2" not in all_stream_bytes(pdf)
    refused = custom.fetcher.refused
    assert f"{base}/import.css" in refused and f"{base}/img.png" in refused and f"{base}/style.css" in refused
    assert secret.as_uri() in refused


def test_fetcher_serves_only_template_and_font_files_and_data(renderer: Renderer, tmp_path: Path) -> None:
    fetcher = renderer.fetcher
    css = renderer.templates_dir / "scorecard.css"
    assert fetcher.fetch(css.as_uri()).read().startswith(b"/*")
    assert fetcher.fetch(renderer.fonts.faces[0].path.as_uri()).read(4) == b"OTTO"
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    outside = tmp_path / "x.css"
    outside.write_text("x", encoding="utf-8")
    escape = renderer.templates_dir.as_uri() + "/../pyproject.toml"
    for url in (outside.as_uri(), "file:///etc/passwd", escape, "http://127.0.0.1:9/", "ftp://127.0.0.1/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


# -- files ------------------------------------------------------------------------------------------


def test_render_files_writes_atomically_and_keeps_old_output_on_failure(renderer: Renderer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    pdf_path, html_path = out / "card.pdf", out / "card.html"
    render_files(fixture_result(), pdf_path, html_path, issued_on=ISSUED, renderer=renderer)
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    assert "测试旗住房和城乡建设局" in html_path.read_text(encoding="utf-8")
    before = pdf_path.read_bytes()

    bad = fixture_result(agency={"name": "测试\ue000局"})
    with pytest.raises(GlyphError):
        render_files(bad, pdf_path, html_path, issued_on=ISSUED, renderer=renderer)
    assert pdf_path.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["card.html", "card.pdf"]  # no temporary files left


def test_render_files_refuses_to_overwrite_an_input(renderer: Renderer, tmp_path: Path) -> None:
    source = tmp_path / "submission.yaml"
    source.write_text("原始材料", encoding="utf-8")
    with pytest.raises(InputError):
        render_files(fixture_result(), source, issued_on=ISSUED, protect=[source], renderer=renderer)
    assert source.read_text(encoding="utf-8") == "原始材料"


def test_templates_folder_without_stylesheet_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "scorecard.html.j2").write_text("<html></html>", encoding="utf-8")
    with pytest.raises(RenderError, match=r"缺少 scorecard\.css"):
        Renderer(tmp_path)


# -- the real 2017 rubric and example ----------------------------------------------------------------


@pytest.mark.skipif(not (ROOT / "examples" / "001-otqq-zjj-2017.yaml").exists(), reason="example 001 not written yet")
def test_example_001_renders(renderer: Renderer) -> None:
    rubric = load_rubric(ROOT / "rubrics" / "ordos-otqq-zjj-2017.yaml")
    submission, _ = load_submission(ROOT / "examples" / "001-otqq-zjj-2017.yaml", rubric)
    result = evaluate(rubric, submission)
    pdf = renderer.pdf(result, dt.date(2018, 3, 1))
    text = pdf_text(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert "鄂托克前旗住房和城乡规划建设局" in text
    assert f"最终得分 {result.final} 分" in text and f"等次 {result.grade}" in text
    for section in result.top_level():
        assert section.title in text
    assert f"第 {pages} 页 / 共 {pages} 页" in text
