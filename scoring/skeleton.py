"""``scoring template``: a fill-in submission skeleton with Chinese comments.

Every fact appears with its label, unit, whether it is required, its help
text and the criteria it feeds, so an agency can fill it in like a form.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from . import model as m
from .numbers import fmt
from .submission import fact_uses
from .yamltext import comment as c
from .yamltext import quoted


def skeleton(rubric: m.Rubric, schema_ref: str = "", values: dict[str, Any] | None = None) -> str:
    """The template; with ``values`` (a submission's plain data, e.g. read from a workbook) the
    same text with the values in place of the blanks: ``scoring import`` writes this."""
    v = values or {}
    agency = v.get("agency") if isinstance(v.get("agency"), dict) else {}
    facts = v.get("facts") if isinstance(v.get("facts"), dict) else {}
    scores = v.get("self_scores") if isinstance(v.get("self_scores"), dict) else {}
    feeds = fact_uses(rubric)
    # default: the schema beside the file (scoring template -o writes it there; see scoring.editor)
    ref = schema_ref or f"{rubric.id}.submission.schema.json"
    out = [
        f"# yaml-language-server: $schema={c(ref)}",
        f"# {c(rubric.title)}（{c(rubric.version)}）自评材料",
        "#",
        "# 填写说明：",
        "#   1. 只改冒号后面的值；“~”表示未填写，知道的请替换为实际数值。",
        '#   2. 是/否 类的项目填“是”或“否”；日期加引号，写成 "2018-01-12"。',
        "#   3. 数量只填阿拉伯数字，不要带单位；不要使用 Tab 键缩进。",
        "#   4. 填完后运行 scoring validate 本文件 检查，错误会指出行号。",
        "",
        "rubric:",
        f"  id: {rubric.id}",
        f"  version: {quoted(rubric.version)}",
        "",
        "agency:",
        f"  name: {_text(agency.get('name'))}          # 单位全称（必填）",
        f"  region: {_text(agency.get('region'))}        # 所属地区，如 内蒙古自治区鄂尔多斯市鄂托克前旗",
        f"  level: {_text(agency.get('level'))}         # 层级，如 旗县级部门",
        *([f"  code: {_text(agency['code'])}          # 统一社会信用代码或单位编码"] if agency.get("code") else []),
        *([f"  contact: {_text(agency['contact'])}       # 联系人及电话"] if agency.get("contact") else []),
        "",
        f"year: {_scalar(v.get('year', rubric.year))}        # 考核年度",
        f'submitted: {_scalar(v.get("submitted"))}       # 报送日期，如 "2018-01-12"',
        "",
        "facts:",
    ]
    for group in rubric.groups:
        out.append(f"  # ───── {c(group.label)} ─────")
        for fact_id in group.facts:
            fact = rubric.fact_index[fact_id]
            kind = m.FACT_TYPES[fact.type]
            if fact.options:
                kind += "：" + " / ".join(fact.options)
            unit = f"，单位：{fact.unit}" if fact.unit else ""
            need = "，必填" if fact.required else ""
            out.append(f"  # {c(fact.label)}（{c(kind)}{c(unit)}{need}）")
            if fact.help:
                out.append(f"  #   说明：{c(fact.help)}")
            used = feeds.get(fact.id, [])
            if used:
                names = "；".join(f"{n.id} {n.title}" for n in used[:4])
                more = f" 等 {len(used)} 项" if len(used) > 4 else ""
                out.append(f"  #   用于评分：{c(names)}{more}")
            value = _scalar(facts.get(fact.id), fact.type if values is None else "")
            out.append(f"  {fact.id}: {value}")
        out.append("")
    out.append("# 自评分：按评分表逐项填写本单位的自评分；不填的留“~”。")
    out.append("self_scores:")
    for node in rubric.all_nodes():
        indent = "  " * (1 + _depth(rubric, node.id))
        out.append(
            f"  {node.id}: {_scalar(scores.get(node.id))}{' ' * max(1, 28 - len(node.id))}"
            f"# {indent[2:]}{c(node.title)}（满分 {fmt(node.max)}）"
        )
    out += [
        "",
        f"self_total: {_scalar(v.get('self_total'))}      # 自评总分（如在评分表中填写了总分，请照填，系统会核对合计）",
        "",
        "# 佐证材料：按评分项编号列出文件文号、网址、附件名或说明，例如：",
        "#   org.head:",
        '#     - {doc: "××发〔2018〕8号", url: "https://...", file: "会议纪要.pdf", note: "说明"}',
        *_evidence(v.get("evidence")),
        "",
        f"remarks: {_text(v.get('remarks'))}        # 其他需要说明的情况",
    ]
    return "\n".join(out) + "\n"


def _scalar(value: Any, kind: str = "") -> str:
    """A value as YAML that reads back as itself (``~`` for blank, ``[]`` for an empty multiple choice)."""
    if value is None:
        return "[]" if kind == "multi_choice" else "~"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | Decimal):
        return fmt(value) if isinstance(value, int) or value != value.to_integral_value() else f"{fmt(value)}.0"
    if isinstance(value, dt.date):
        return quoted(value.isoformat())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(quoted(str(x)) for x in value) + "]"
    if isinstance(value, str) and value in ("是", "否"):
        return value
    return quoted(str(value))


def _text(value: Any) -> str:
    return quoted("" if value is None else str(value))


def _evidence(evidence: Any) -> list[str]:
    if not isinstance(evidence, dict) or not evidence:
        return ["evidence: {}"]
    out = ["evidence:"]
    for ident, entries in evidence.items():
        out.append(f"  {ident}:")
        for entry in entries or []:
            fields = ", ".join(f"{k}: {quoted(str(entry[k]))}" for k in ("doc", "url", "file", "note") if entry.get(k))
            out.append(f"    - {{{fields}}}")
    return out


def _depth(rubric: m.Rubric, ident: str) -> int:
    depth = 0
    while ident in rubric.parents:
        ident = rubric.parents[ident]
        depth += 1
    return depth
