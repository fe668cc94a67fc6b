"""Plain-text views for the terminal: the score table and the rubric tree.

Chinese characters take two columns in a terminal, so widths are measured in display
columns (:mod:`scoring.cells`), not ``len``; the table is laid out for the width it is
given (the terminal's, or a fixed one when the output is not a terminal).
"""

from __future__ import annotations

from decimal import Decimal

from . import model as m
from .cells import DEFAULT_COLUMNS, clip, pad, width, wrap
from .numbers import fmt
from .result import KIND_LABELS, SEVERITY_LABELS, STATUS_LABELS, Result

__all__ = ["clip", "pad", "rubric_tree", "score_table", "width"]

ID_MAX = 36
TITLE_MAX = 40
FIXED = [("满分", 5, True), ("自评", 5, True), ("得分", 5, True), ("差额", 5, True), ("状态", 8, False)]


def _layout(ids: list[str], columns: int) -> tuple[int, int]:
    """Widths of the id and title columns so that a row fits ``columns``: at full width as
    before (id up to 36, title 40); narrower, the title keeps a little over half the room."""
    room = columns - sum(w for _, w, _ in FIXED) - len(FIXED) - 1  # the separators between 7 columns
    id_width = min(ID_MAX, max([width(i) for i in ids] + [4]))
    if id_width + TITLE_MAX <= room:
        return id_width, TITLE_MAX
    title = max(10, min(TITLE_MAX, room * 11 // 20))
    return max(6, min(id_width, room - title)), title


def score_table(result: Result, columns: int = DEFAULT_COLUMNS, fit: bool = False) -> str:
    """The result as a table no wider than ``columns``. With ``fit`` (a screen) the text lines
    are wrapped to ``columns`` too; without (a pipe, a file) each stays one line, for grep."""
    r = result
    lines = [
        f"{r.agency['name']}  {r.year} 年度",
        f"评分细则：{r.rubric['title']}（{r.rubric['id']} {r.rubric['version']}）",
        "",
        f"最终得分 {fmt(r.final)} / {fmt(r.max)}（基础分 {fmt(r.base)}，加分 {fmt(r.bonus)}"
        + (f"，扣分 {fmt(r.penalty)}" if r.penalty else "")
        + f"）  等次：{r.grade}",
    ]
    if r.self_total is not None:
        lines.append(f"自评总分 {fmt(r.self_total)}，系统核算 {fmt(r.final)}，相差 {fmt(r.self_total - r.final)}")
    for veto in r.vetoes:
        lines.append(f"!! 一票否决：{veto.title}：{veto.message}")
    lines.append("")
    id_width, title_width = _layout([n.id for n in r.nodes], columns)
    header = [("编号", id_width, False), ("指标", title_width, False), *FIXED]
    head = [line for text in lines for line in (wrap(text, columns) if fit else [text])]
    lines = []
    lines.append(" ".join(pad(h, w, right) for h, w, right in header).rstrip())
    lines.append("-" * (sum(w for _, w, _ in header) + len(header) - 1))
    for n in r.nodes:
        title = "  " * n.depth + (n.title or n.text)
        diff = n.difference
        cells = [n.id, title, fmt(n.max), fmt(n.self_points), fmt(n.points), _signed(diff), STATUS_LABELS[n.status]]
        lines.append(" ".join(pad(c, w, right) for c, (_, w, right) in zip(cells, header, strict=True)).rstrip())
    table = lines
    lines = []
    if r.differences:
        lines += ["", "自评差异："]
        for d in r.differences:
            lines.append(
                f"  {d.id} {d.title}：自评 {fmt(d.self_points)}，核算 {fmt(d.computed)}（{_kind(d.kind)} {_signed(d.difference)}）"
            )
    if r.findings:
        lines += ["", "数据校验："]
        for f in r.findings:
            lines.append(f"  [{SEVERITY_LABELS[f.severity]}] {f.message}")
    if r.missing_facts:
        lines += ["", "缺少的数据："]
        for mf in r.missing_facts:
            need = "（必填）" if mf.required else ""
            feeds = f" → 影响 {'、'.join(mf.feeds)}" if mf.feeds else ""
            lines.append(f"  {mf.label}（{mf.id}）{need}{feeds}")
    lines.append("")
    lines.append(f"数据完整度：{r.facts_filled}/{r.facts_total} 项已填写")
    tail = [line for text in lines for line in (wrap(text, columns) if fit else [text])]
    return "\n".join(head + table + tail) + "\n"


def _signed(value: Decimal | None) -> str:
    if value is None or value == 0:
        return ""
    return ("+" if value > 0 else "") + fmt(value)


def _kind(kind: str) -> str:
    return KIND_LABELS[kind]


def rubric_tree(rubric: m.Rubric) -> str:
    lines = [
        f"{rubric.title}（{rubric.id} 版本 {rubric.version}）",
        f"发布机关：{rubric.issuer or '—'}  年度：{rubric.year}  基础总分：{fmt(rubric.total)}"
        + (f"  含加分最高：{fmt(rubric.max_with_bonus)}" if rubric.bonus else ""),
        "等次：" + "；".join(f"{g.name} ≥ {fmt(g.min)}" for g in rubric.grades),
        "",
    ]

    def walk(node: m.Node, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        rule = f"  [{node.rule.kind}]" if node.rule else ""
        extra = "（封顶）" if node.cap else ""
        if node.pool_deductions:
            extra += "（扣分跨子项累计）"
        gate = f"  前提：{node.gate.source}" if node.gate else ""
        lines.append(f"{prefix}{branch}{node.id}  {node.title}  {fmt(node.max)} 分{extra}{rule}{gate}")
        child_prefix = prefix + ("" if top else ("   " if last else "│  "))
        for i, child in enumerate(node.children):
            walk(child, child_prefix, i == len(node.children) - 1, False)

    for section in rubric.sections:
        walk(section, "", True, True)
    if rubric.bonus:
        lines += ["", "加分部分（不计入基础总分）："]
        for b in rubric.bonus:
            walk(b, "", True, True)
    for title, items in (("重大扣分项", rubric.penalties), ("一票否决项", rubric.vetoes)):
        if items:
            lines += ["", f"{title}："] + [f"  {i.id}  {i.title}" for i in items]
    if rubric.checks:
        errors = sum(1 for c in rubric.checks if c.severity == "error")
        lines += [
            "",
            f"数据校验规则 {len(rubric.checks)} 条（错误 {errors} 条，提醒 {len(rubric.checks) - errors} 条）",
        ]
    lines.append(f"需填报的事实 {len(rubric.facts)} 项（必填 {sum(1 for f in rubric.facts if f.required)} 项）")
    return "\n".join(lines) + "\n"
