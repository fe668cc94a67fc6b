"""The batch summary: ranking, grade counts, section averages, score distribution,
vetoes, largest over-claims and failed files; as CSV, XLSX and a PDF view.

Pure except for nothing: rows in, bytes / plain data out. A row is a small
dict made by :func:`row_from_result` in the worker that scored the file (or
:func:`failed_row`), so the parent never holds a full result.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .numbers import ZERO, fmt, quantize

RANKING_RULE = (
    "名次按最终得分从高到低排列（已核定的按核定分，未核定的按系统核算分）；最终得分相同的，"
    "依次按基础分从高到低、数据校验错误数从少到多、单位名称（按 Unicode 编码顺序）排列。"
    "触发一票否决的单位排在未被否决的单位之后（彼此之间按同样规则排列）。"
    "不同考核年度、不同评分细则的材料分开排名。"
)
TOP_OVER_CLAIMS = 10
BINS = 10


# -- rows -------------------------------------------------------------------------------------------


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def row_from_result(data: dict[str, Any], file: str, stem: str, grades: Iterable[str]) -> dict[str, Any]:
    """The summary's view of one scored file, from ``Result.to_dict()`` (small, picklable)."""
    score = data["score"]
    review = data.get("review")
    self_part = data["self_assessment"]
    self_total = _dec(self_part["declared_total"] if self_part["declared_total"] is not None else self_part["total"])
    computed = {
        "base": _dec(score["base"]),
        "bonus": _dec(score["bonus"]),
        "penalty": _dec(score["penalty"]),
        "final": _dec(score["final"]),
        "grade": data["grade"],
    }
    reviewed = None
    if review:
        reviewed = {
            "base": _dec(review["base"]),
            "bonus": _dec(review["bonus"]),
            "penalty": _dec(review["penalty"]),
            "final": _dec(review["final"]),
            "grade": review["grade"],
            "reviewer": review["reviewer"],
            "date": review["date"],
        }
    effective = reviewed or computed
    vetoes = (review or data)["vetoes"]
    by_id = {n["id"]: n for n in data["nodes"]}
    sections = [
        {
            "id": s["id"],
            "title": s["title"],
            "bonus": s["bonus"],
            "max": _dec(s["max"]),
            "points": _dec(s["reviewed_points"] if s.get("reviewed_points") is not None else s["points"]),
        }
        for s in data["sections"]
    ]
    over = sorted(
        (d for d in self_part["differences"] if d["kind"] in ("over", "unsupported")),
        key=lambda d: -Decimal(str(d["difference"])),
    )
    findings = data["findings"]
    pending = (
        len(review["pending"])
        if review
        else sum(1 for n in data["nodes"] if n["status"] == "needs_review" and n["kind"] == "criterion")
    )
    final = effective["final"]
    return {
        "status": "ok",
        "file": file,
        "stem": stem,
        "agency": data["agency"]["name"],
        "region": data["agency"].get("region") or "",
        "year": data["year"],
        "rubric_id": data["rubric"]["id"],
        "rubric_version": data["rubric"]["version"],
        "rubric_title": data["rubric"]["title"],
        "grades": list(grades),
        "max": _dec(score["max"]),
        "max_with_bonus": _dec(score["max_with_bonus"]),
        "self_total": self_total,
        "computed": computed,
        "reviewed": reviewed,
        "final": final,
        "base": effective["base"],
        "grade": effective["grade"],
        "vetoes": [v["title"] for v in vetoes],
        "sections": sections,
        "over_claim": None if self_total is None else self_total - final,
        "over_nodes": [
            {
                "id": d["id"],
                "title": by_id[d["id"]]["title"] if d["id"] in by_id else d["title"],
                "self": _dec(d["self"]),
                "computed": _dec(d["computed"]),
                "difference": _dec(d["difference"]),
            }
            for d in over[:3]
        ],
        "errors": sum(1 for f in findings if f["severity"] == "error"),
        "warnings": sum(1 for f in findings if f["severity"] != "error"),
        "error_messages": [f["message"] for f in findings if f["severity"] == "error"][:3],
        "missing_required": sum(1 for m in data["missing_facts"] if m["required"]),
        "pending": pending,
        "scorecard": f"scorecards/{stem}.pdf",
        "result": f"results/{stem}.json",
    }


def failed_row(file: str, stem: str, problems: list[str]) -> dict[str, Any]:
    return {"status": "failed", "file": file, "stem": stem, "problems": problems}


def skipped_row(file: str, stem: str, reason: str) -> dict[str, Any]:
    return {"status": "skipped", "file": file, "stem": stem, "reason": reason}


# -- rows.jsonl: the rows of a run, for --merge ----------------------------------------------------

ROWS_FORMAT = "zwgk-batch-rows"
ROWS_VERSION = 1
_DECIMAL = "$decimal"  # {"$decimal": "12.5"}: rows hold exact decimals; JSON numbers would not stay exact


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _DECIMAL in obj and isinstance(obj[_DECIMAL], str):
        return Decimal(obj[_DECIMAL])
    return obj


def rows_jsonl(
    rows: Iterable[dict[str, Any]],
    meta: dict[str, Any],
    unused: list[str],
    shard: tuple[int, int] | None,
    pdf: bool = True,
) -> bytes:
    """A header line (format, the summary's meta, unused reviews, the shard, whether PDFs were drawn)
    and one line per row, in the order given (by file name); per-run flags (``reused``, ``rank``) left out."""
    header = {
        "format": ROWS_FORMAT,
        "version": ROWS_VERSION,
        "meta": meta,
        "unused_reviews": list(unused),
        "shard": list(shard) if shard else None,
        "pdf": pdf,
    }
    lines = [json.dumps(header, ensure_ascii=False)]
    for row in rows:
        kept = {k: v for k, v in row.items() if k not in ("reused", "rank")}
        lines.append(json.dumps(_encode(kept), ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def read_rows(data: bytes, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and rows of a ``rows.jsonl``; a Chinese message naming the file and line when it is
    not one (``ValueError``, for the caller to turn into an input error)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{name}: 不是 UTF-8 文本，不是批量评分写出的 rows.jsonl") from None
    lines = text.splitlines()
    parsed = []
    for number, line in enumerate(lines, 1):
        try:
            parsed.append(json.loads(line, object_hook=_decode, parse_float=Decimal))
        except ValueError as exc:
            raise ValueError(
                f"{name}:{number}: 不是一行 JSON（{exc}），文件可能已损坏，请重新运行该份批量评分"
            ) from None
    if not parsed or not isinstance(parsed[0], dict) or parsed[0].get("format") != ROWS_FORMAT:
        raise ValueError(f"{name}:1: 开头不是批量评分汇总数据的标记（format: {ROWS_FORMAT}）")
    header = parsed[0]
    if header.get("version") != ROWS_VERSION or not isinstance(header.get("meta"), dict):
        raise ValueError(f"{name}:1: 汇总数据版本应为 {ROWS_VERSION}，实际为“{header.get('version')}”")
    rows = parsed[1:]
    for number, row in enumerate(rows, 2):
        if not (
            isinstance(row, dict)
            and row.get("status") in ("ok", "failed", "skipped")
            and isinstance(row.get("file"), str)
        ):
            raise ValueError(f"{name}:{number}: 应为一个文件的评分记录（含状态 status 和文件名 file），实际不是")
    return header, rows


# -- the summary ----------------------------------------------------------------------------------


def rank_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """Vetoed last; then final desc, base desc, fewer error findings, agency name (code points), file name."""
    return (bool(row["vetoes"]), -row["final"], -row["base"], row["errors"], row["agency"], row["file"])


def build_summary(rows: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    ok = [r for r in rows if r["status"] == "ok"]
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in ok:
        groups.setdefault((row["year"], row["rubric_id"]), []).append(row)
    out_groups = []
    for key in sorted(groups):
        members = sorted(groups[key], key=rank_key)
        for i, row in enumerate(members, 1):
            row["rank"] = i
        out_groups.append(_group(members))
    over = sorted(
        (r for r in ok if r["over_claim"] is not None and r["over_claim"] > 0),
        key=lambda r: (-r["over_claim"], r["agency"], r["file"]),
    )
    failed = sorted((r for r in rows if r["status"] == "failed"), key=lambda r: r["file"])
    skipped = sorted((r for r in rows if r["status"] == "skipped"), key=lambda r: r["file"])
    return {
        "meta": meta,
        "rule": RANKING_RULE,
        "groups": out_groups,
        "vetoed": sorted((r for r in ok if r["vetoes"]), key=lambda r: (r["year"], r["agency"], r["file"])),
        "over_claims": over[:TOP_OVER_CLAIMS],
        "failed": failed,
        "skipped": skipped,
        "counts": {
            "files": len(rows),
            "ok": len(ok),
            "failed": len(failed),
            "skipped": len(skipped),
            "with_errors": sum(1 for r in ok if r["errors"]),
            "reviewed": sum(1 for r in ok if r["reviewed"]),
        },
    }


def _group(members: list[dict[str, Any]]) -> dict[str, Any]:
    first = members[0]
    grades = {name: 0 for name in first["grades"]}
    for row in members:
        grades[row["grade"]] = grades.get(row["grade"], 0) + 1
    sections: dict[str, dict[str, Any]] = {}
    for row in members:
        for s in row["sections"]:
            entry = sections.setdefault(
                s["id"], {"id": s["id"], "title": s["title"], "max": s["max"], "sum": ZERO, "n": 0}
            )
            entry["sum"] += s["points"]
            entry["n"] += 1
    averages = []
    for entry in sections.values():
        mean = entry["sum"] / entry["n"]
        averages.append(
            {
                "id": entry["id"],
                "title": entry["title"],
                "max": entry["max"],
                "average": quantize(mean, 2),
                "ratio": quantize(mean / entry["max"] * 100, 1) if entry["max"] else ZERO,
            }
        )
    finals = [r["final"] for r in members]
    return {
        "year": first["year"],
        "rubric_id": first["rubric_id"],
        "rubric_title": first["rubric_title"],
        "rubric_versions": sorted({r["rubric_version"] for r in members}),
        "max": first["max"],
        "rows": members,
        "grades": [{"name": k, "count": v} for k, v in grades.items()],
        "sections": averages,
        "histogram": histogram(finals, first["max"]),
        "mean": quantize(sum(finals, ZERO) / len(finals), 2),
        "highest": max(finals),
        "lowest": min(finals),
    }


def histogram(values: list[Decimal], maximum: Decimal) -> list[dict[str, Any]]:
    """Ten equal bins over [0, maximum]; the last includes the maximum; scores above it
    (bonus points) get a bin of their own."""
    width = maximum / BINS if maximum > 0 else Decimal(1)
    bins = [{"low": width * i, "high": width * (i + 1), "count": 0, "above": False} for i in range(BINS)]
    above = {"low": maximum, "high": None, "count": 0, "above": True}
    for v in values:
        if v > maximum:
            above["count"] += 1
            continue
        index = min(BINS - 1, int(v / width)) if v > 0 else 0
        bins[index]["count"] += 1
    return bins + ([above] if above["count"] else [])


def bin_label(b: dict[str, Any]) -> str:
    if b["above"]:
        return f"{fmt(b['low'])} 以上（含加分）"
    return f"{fmt(quantize(b['low'], 1))}～{fmt(quantize(b['high'], 1))}"


# -- CSV / XLSX -------------------------------------------------------------------------------------

COLUMNS = [
    "考核年度",
    "评分细则",
    "名次",
    "单位名称",
    "所属地区",
    "自评总分",
    "系统核算分",
    "核定分",
    "最终得分",
    "基础分",
    "加分",
    "扣分",
    "等次",
    "一票否决",
    "自评虚高",
    "校验错误",
    "校验提醒",
    "缺少必填数据",
    "待核定项",
    "状态",
    "文件",
    "评分表",
    "说明",
]


def _section_titles(summary: dict[str, Any]) -> list[str]:
    titles: dict[str, None] = {}
    for group in summary["groups"]:
        for row in group["rows"]:
            for s in row["sections"]:
                titles.setdefault(s["title"], None)
    return list(titles)


def table(summary: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows shared by CSV and XLSX: ranked files, then failed and skipped ones."""
    sections = _section_titles(summary)
    header = COLUMNS[:13] + sections + COLUMNS[13:]
    records: list[dict[str, Any]] = []
    for group in summary["groups"]:
        for r in group["rows"]:
            reviewed = r["reviewed"]
            effective = reviewed or r["computed"]
            record = {
                "考核年度": r["year"],
                "评分细则": f"{r['rubric_title']}（{r['rubric_version']}）",
                "名次": r["rank"],
                "单位名称": r["agency"],
                "所属地区": r["region"],
                "自评总分": r["self_total"],
                "系统核算分": r["computed"]["final"],
                "核定分": reviewed["final"] if reviewed else None,
                "最终得分": r["final"],
                "基础分": r["base"],
                "加分": effective["bonus"],
                "扣分": effective["penalty"],
                "等次": r["grade"],
                "一票否决": "、".join(r["vetoes"]),
                "自评虚高": r["over_claim"],
                "校验错误": r["errors"],
                "校验提醒": r["warnings"],
                "缺少必填数据": r["missing_required"],
                "待核定项": r["pending"],
                "状态": "已核定" if reviewed else "已评分",
                "文件": r["file"],
                "评分表": r["scorecard"],
                "说明": "；".join(r["error_messages"]),
            }
            # a section title never shadows a fixed column: sections come from rubrics
            for sec in r["sections"]:
                record.setdefault(sec["title"], sec["points"])
            records.append(record)
    for r in summary["failed"]:
        records.append({"状态": "失败", "文件": r["file"], "说明": "\n".join(r["problems"])})
    for r in summary["skipped"]:
        records.append({"状态": "跳过", "文件": r["file"], "说明": r["reason"]})
    return header, [[record.get(name) for name in header] for record in records]


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # never let a spreadsheet read submitted text as a formula
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return fmt(value)
    return str(_cell(value))


def summary_csv(summary: dict[str, Any]) -> bytes:
    """UTF-8 with BOM and CRLF line ends, so Excel on Chinese Windows opens it as UTF-8."""
    header, rows = table(summary)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def summary_xlsx(summary: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: Iterable[list[Any]], widths: dict[int, int] | None = None) -> None:
        ws = book.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([_xlsx_value(v) for v in row])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, even if it starts with "="
        ws.freeze_panes = "A2"
        for index, name in enumerate(header, 1):
            width = (widths or {}).get(index) or max(8, min(40, _display_width(name) + 2))
            ws.column_dimensions[get_column_letter(index)].width = width

    book.remove(book.active)
    header, rows = table(summary)
    sheet("排名", header, rows, {4: 36, 5: 28, 2: 36})
    grade_rows = []
    section_rows = []
    for g in summary["groups"]:
        label = f"{g['year']}年度 {g['rubric_title']}"
        for item in g["grades"]:
            grade_rows.append([label, item["name"], item["count"]])
        for s in g["sections"]:
            section_rows.append([label, s["title"], s["max"], s["average"], s["ratio"]])
    sheet("等次统计", ["分组", "等次", "单位数"], grade_rows, {1: 44})
    sheet("分项平均", ["分组", "一级指标", "满分", "平均得分", "平均得分率(%)"], section_rows, {1: 44, 2: 20})
    dist_rows = [
        [f"{g['year']}年度 {g['rubric_title']}", bin_label(b), b["count"]]
        for g in summary["groups"]
        for b in g["histogram"]
    ]
    sheet("得分分布", ["分组", "得分区间", "单位数"], dist_rows, {1: 44, 2: 20})
    sheet(
        "一票否决",
        ["考核年度", "单位名称", "否决项", "最终得分", "等次", "文件"],
        [
            [r["year"], r["agency"], "、".join(r["vetoes"]), r["final"], r["grade"], r["file"]]
            for r in summary["vetoed"]
        ],
        {2: 36, 3: 40},
    )
    sheet(
        "自评虚高",
        ["考核年度", "单位名称", "自评总分", "最终得分", "虚高分值", "虚高最多的指标", "文件"],
        [
            [
                r["year"],
                r["agency"],
                r["self_total"],
                r["final"],
                r["over_claim"],
                "；".join(f"{n['title']}（自评 {fmt(n['self'])}，核算 {fmt(n['computed'])}）" for n in r["over_nodes"]),
                r["file"],
            ]
            for r in summary["over_claims"]
        ],
        {2: 36, 6: 60},
    )
    sheet(
        "失败文件",
        ["文件", "错误"],
        [[r["file"], "\n".join(r["problems"])] for r in summary["failed"]],
        {1: 30, 2: 100},
    )
    ws = book.create_sheet("说明")
    for line in explanation(summary):
        ws.append([line])
    ws.column_dimensions["A"].width = 120
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return reproducible_xlsx(book, _issued_on(summary))


def _issued_on(summary: dict[str, Any]) -> dt.date:
    text = (summary.get("meta") or {}).get("issued_on")
    return dt.date.fromisoformat(text) if text else dt.date(1980, 1, 1)


def reproducible_xlsx(book: Any, day: dt.date) -> bytes:
    """The workbook's bytes, the same for the same content: openpyxl stamps the document
    properties with the clock (``book.save`` sets ``modified`` to now) and every zip entry
    with the time it was written. Both become ``day`` (the scoring date, ``--date``)."""
    from openpyxl.writer.excel import ExcelWriter

    stamp = dt.datetime(day.year, day.month, day.day)
    book.properties.created = book.properties.modified = stamp
    raw = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    out = io.BytesIO()
    date_time = (max(day.year, 1980), day.month, day.day, 0, 0, 0)  # zip dates start in 1980
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(entry))
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return _cell(value)


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def explanation(summary: dict[str, Any]) -> list[str]:
    meta = summary["meta"]
    counts = summary["counts"]
    return [
        "政务公开考核评价汇总",
        f"材料文件夹：{meta.get('source', '')}；生成日期：{meta.get('issued_on', '')}；评分引擎 zwgk-scoring {meta.get('engine', '')}",
        f"共 {counts['files']} 个文件：评分 {counts['ok']} 份（其中已核定 {counts['reviewed']} 份），"
        f"失败 {counts['failed']} 个，跳过 {counts['skipped']} 个；有数据校验错误的 {counts['with_errors']} 份。",
        "排名规则：" + summary["rule"],
        "三种分数：自评总分＝单位自查评分；系统核算分＝按评分细则和填报数据计算；核定分＝评估人核定后的分数。",
        "自评虚高＝自评总分 − 最终得分（正数表示自评高于最终得分）。",
    ]


def errors_text(summary: dict[str, Any]) -> str:
    lines = []
    for r in summary["failed"]:
        lines.append(f"{r['file']}：处理失败")
        lines.extend(f"  {p}" for p in r["problems"])
    for group in summary["groups"]:
        for r in group["rows"]:
            if r["errors"]:
                lines.append(f"{r['file']}：已评分，但有 {r['errors']} 个数据校验错误")
                lines.extend(f"  {m}" for m in r["error_messages"])
    if not lines:
        return "没有失败的文件，也没有数据校验错误。\n"
    return "\n".join(lines) + "\n"


# -- the PDF view -----------------------------------------------------------------------------------

BAR_UNITS = 100


def summary_view(summary: dict[str, Any]) -> dict[str, Any]:
    """Plain strings for ``templates/summary.html.j2``."""
    meta = summary["meta"]
    groups = []
    for g in summary["groups"]:
        peak = max((b["count"] for b in g["histogram"]), default=0) or 1
        total = sum(x["count"] for x in g["grades"]) or 1
        groups.append(
            {
                "title": f"{g['year']}年度　{g['rubric_title']}",
                "versions": "、".join(g["rubric_versions"]),
                "count": str(len(g["rows"])),
                "mean": fmt(g["mean"]),
                "highest": fmt(g["highest"]),
                "lowest": fmt(g["lowest"]),
                "max": fmt(g["max"]),
                "rows": [_ranked(r) for r in g["rows"]],
                "grades": [
                    {
                        "name": x["name"],
                        "count": str(x["count"]),
                        "share": f"{quantize(Decimal(x['count']) * 100 / total, 1)}%",
                    }
                    for x in g["grades"]
                ],
                "sections": [
                    {
                        "title": s["title"],
                        "max": fmt(s["max"]),
                        "average": fmt(s["average"]),
                        "ratio": f"{fmt(s['ratio'])}%",
                        "bar": fmt(quantize(s["ratio"], 2)) if s["ratio"] <= 100 else "100",
                    }
                    for s in g["sections"]
                ],
                "histogram": [
                    {
                        "label": bin_label(b),
                        "count": str(b["count"]),
                        "bar": fmt(quantize(Decimal(b["count"] * BAR_UNITS) / peak, 2)),
                    }
                    for b in g["histogram"]
                ],
            }
        )
    counts = summary["counts"]
    return {
        "title": "政务公开考核评价汇总表",
        "source": meta.get("source", ""),
        "issued_on": meta.get("issued_on_text", ""),
        "engine": meta.get("engine", ""),
        "counts": {k: str(v) for k, v in counts.items()},
        "rule": summary["rule"],
        "groups": groups,
        "vetoed": [
            {
                "year": str(r["year"]),
                "agency": r["agency"],
                "vetoes": "、".join(r["vetoes"]),
                "final": fmt(r["final"]),
                "grade": r["grade"],
                "file": r["file"],
            }
            for r in summary["vetoed"]
        ],
        "over_claims": [
            {
                "year": str(r["year"]),
                "agency": r["agency"],
                "self": fmt(r["self_total"]),
                "final": fmt(r["final"]),
                "over": f"+{fmt(r['over_claim'])}",
                "nodes": "；".join(
                    f"{n['title']}（自评 {fmt(n['self'])}，核算 {fmt(n['computed'])}）" for n in r["over_nodes"]
                ),
                "file": r["file"],
            }
            for r in summary["over_claims"]
        ],
        "failed": [{"file": r["file"], "problems": list(r["problems"])} for r in summary["failed"]],
        "skipped": [{"file": r["file"], "reason": r["reason"]} for r in summary["skipped"]],
    }


def _ranked(r: dict[str, Any]) -> dict[str, str]:
    notes = []
    if r["vetoes"]:
        notes.append("否决：" + "、".join(r["vetoes"]))
    if r["errors"]:
        notes.append(f"校验错误 {r['errors']}")
    if r["pending"]:
        notes.append(f"待核定 {r['pending']}")
    return {
        "rank": str(r["rank"]),
        "agency": r["agency"],
        "region": r["region"],
        "self": fmt(r["self_total"]),
        "computed": fmt(r["computed"]["final"]),
        "reviewed": fmt(r["reviewed"]["final"]) if r["reviewed"] else "",
        "final": fmt(r["final"]),
        "base": fmt(r["base"]),
        "grade": r["grade"],
        "notes": "；".join(notes),
        "vetoed": "yes" if r["vetoes"] else "",
    }


# -- the terminal overview --------------------------------------------------------------------------


def overview_text(summary: dict[str, Any], outdir: Any, elapsed: float, top: int = 10) -> str:
    from .textual import pad

    counts = summary["counts"]
    lines = [
        f"批量评分完成：共 {counts['files']} 个文件，评分 {counts['ok']} 份（已核定 {counts['reviewed']} 份），"
        f"失败 {counts['failed']} 个，跳过 {counts['skipped']} 个；用时 {elapsed:.1f} 秒",
        "排名规则：" + summary["rule"],
    ]
    for g in summary["groups"]:
        lines += ["", f"{g['year']}年度 {g['rubric_title']}（{len(g['rows'])} 个单位，平均 {fmt(g['mean'])} 分）"]
        lines.append("  " + "  ".join(f"{x['name']} {x['count']}" for x in g["grades"]))
        for r in g["rows"][:top]:
            mark = "  否决" if r["vetoes"] else ""
            lines.append(f"  {r['rank']:>3}  {pad(r['agency'], 40)} {fmt(r['final']):>6}  {r['grade']}{mark}")
        if len(g["rows"]) > top:
            lines.append(f"  ……其余 {len(g['rows']) - top} 个单位见汇总表")
    if summary["failed"]:
        lines += ["", "处理失败的文件："]
        for r in summary["failed"]:
            lines.append(f"  {r['problems'][0] if r['problems'] else r['file']}")
            lines.extend(f"    {p}" for p in r["problems"][1:3])
    lines += [
        "",
        f"输出：{outdir}/summary.pdf、summary.csv、summary.xlsx、errors.txt；评分表在 {outdir}/scorecards/，结果 JSON 在 {outdir}/results/",
    ]
    return "\n".join(lines) + "\n"
