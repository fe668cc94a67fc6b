"""``scoring compare A B``: two scorings of the same body, node by node.

A and B are submissions (scored now, optionally with a review) or result JSON
files (``scoring score --format json``, ``OUTDIR/results/*.json`` of a batch).
Nodes are matched by id; a mapping file pairs ids across rubric versions.
Which figure each side shows is chosen per side: 自评分, 系统核算分, 核定分, or
the final one (核定分 when reviewed, else 系统核算分).
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from . import resultjson
from .errors import InputError, Problem, UsageError
from .numbers import ZERO, fmt
from .resultjson import Fields
from .validation import make_validator, schema_problems
from .yamlio import Document, load_file

FIGURES = {"self": "自评分", "computed": "系统核算分", "reviewed": "核定分", "final": "最终得分"}

MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "评分项编号对照（跨细则版本对比）",
    "type": "object",
    "additionalProperties": False,
    "required": ["nodes"],
    "properties": {
        "mapping": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "from": {"$ref": "#/$defs/ref", "title": "前一版细则（A）"},
                "to": {"$ref": "#/$defs/ref", "title": "后一版细则（B）"},
            },
        },
        "nodes": {
            "type": ["object", "null"],
            "title": "A 的评分项编号: B 的评分项编号",
            "additionalProperties": {"type": ["string", "null"]},
        },
    },
    "$defs": {
        "ref": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "properties": {"id": {"type": "string"}, "version": {"type": ["string", "number"]}},
        }
    },
}


@attrs.frozen
class Node:
    id: str
    title: str
    parent: str
    depth: int
    max: Decimal
    points: Decimal | None


@attrs.frozen
class Side:
    """One scoring, reduced to the figure being compared."""

    file: str
    agency: str
    year: int
    rubric_id: str
    rubric_version: str
    rubric_title: str
    figure: str  # self | computed | reviewed
    total: Decimal | None
    grade: str
    nodes: tuple[Node, ...]

    def index(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}


@attrs.frozen
class Mapping:
    pairs: dict[str, str | None]  # A id -> B id (None: no counterpart)
    from_id: str = ""
    to_id: str = ""
    doc: Document | None = attrs.field(default=None, eq=False, repr=False)


# -- sides ---------------------------------------------------------------------------------------------


def side_from_dict(data: dict[str, Any], file: str, figure: str, origin: str = "") -> Side:
    """A side from ``Result.to_dict()`` or a result JSON file (see :mod:`scoring.resultjson`):
    every field read is checked, so a hand-edited file is refused with the field named
    (messages name ``origin``, the path as given, or else ``file``)."""
    f = Fields(origin or file)
    if not isinstance(data, dict):
        raise f.fail("", "评分结果的最外层应为映射（{…}）")
    review = f.get(data, "review", "", "object", nullable=True) if "review" in data else None
    if figure == "final":
        figure = "reviewed" if review else "computed"
    if figure == "reviewed" and not review:
        raise InputError(Problem("这份结果没有核定记录，不能取核定分（可改用 --a-figure/--b-figure computed）", file))
    raw = f.get(data, "nodes", "", "list")
    key = {"computed": "points", "reviewed": "reviewed_points", "self": "self_points"}[figure]
    parsed: list[tuple[str, str, str, int, Decimal]] = []
    own: dict[str, Decimal | None] = {}
    children: dict[str, list[str]] = {}
    for i, n in enumerate(raw):
        f.get(raw, i, "nodes", "object")
        path = f"nodes[{i}]"
        ident = f.get(n, "id", path, "text")
        if ident in own:
            raise f.fail(f"{path}.id", f"评分项编号“{ident}”重复出现")
        parent = (f.get(n, "parent", path, "text", nullable=True) if "parent" in n else None) or ""
        depth = f.get(n, "depth", path, "integer")
        maximum = _dec(f.get(n, "max", path, "number"))
        assert maximum is not None
        present = figure != "self" or key in n
        own[ident] = _dec(f.get(n, key, path, "number", nullable=True)) if present else None
        parsed.append((ident, f.get(n, "title", path, "text"), parent, depth, maximum))
        if parent:
            children.setdefault(parent, []).append(ident)
    values = own if figure != "self" else _self_points(own, children, f)
    nodes = tuple(Node(i, t, p, d, mx, values[i]) for i, t, p, d, mx in parsed)
    score = f.get(data, "score", "", "object")
    if figure == "computed":
        total, grade = _dec(f.get(score, "final", "score", "number", nullable=True)), f.get(data, "grade", "", "text")
    elif figure == "reviewed":
        assert review is not None
        total = _dec(f.get(review, "final", "review", "number", nullable=True))
        grade = f.get(review, "grade", "review", "text")
    else:
        part = f.get(data, "self_assessment", "", "object")
        declared = f.get(part, "declared_total", "self_assessment", "number", nullable=True)
        total = _dec(
            declared if declared is not None else f.get(part, "total", "self_assessment", "number", nullable=True)
        )
        grade = ""
    agency = f.get(data, "agency", "", "object")
    rubric = f.get(data, "rubric", "", "object")
    version = rubric.get("version")
    if not isinstance(version, str):
        version = f.get(rubric, "version", "rubric", "number")
    return Side(
        file=file,
        agency=f.get(agency, "name", "agency", "text"),
        year=f.get(data, "year", "", "integer"),
        rubric_id=f.get(rubric, "id", "rubric", "text"),
        rubric_version=str(version),
        rubric_title=f.get(rubric, "title", "rubric", "text"),
        figure=figure,
        total=total,
        grade=grade,
        nodes=nodes,
    )


def _self_points(
    own: dict[str, Decimal | None], children: dict[str, list[str]], f: Fields
) -> dict[str, Decimal | None]:
    """自评分 per node: its own, else the sum of its children's (iteratively: a file may nest deeply or loop)."""
    done: dict[str, Decimal | None] = {}
    for root in own:
        stack, path = [(root, False)], set()
        while stack:
            ident, finished = stack.pop()
            if finished:
                parts = [p for c in children.get(ident, ()) if (p := done.get(c)) is not None]
                done[ident] = own.get(ident) if own.get(ident) is not None else (sum(parts, ZERO) if parts else None)
                path.discard(ident)
                continue
            if ident in done:
                continue
            if ident in path:
                raise f.fail("nodes", f"评分项“{ident}”的上下级关系形成了循环")
            path.add(ident)
            stack.append((ident, True))
            stack.extend((c, False) for c in children.get(ident, ()) if c not in done)
    return done


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def load_side(app: Any, path: str, review: str | None, figure: str, rubric: str | None = None) -> Side:
    """A submission (.yaml, scored now) or a result (.json)."""
    if path.lower().endswith(".json"):
        if review:
            raise InputError(Problem("评分结果 JSON 已包含核定信息，不能再指定核定记录", review))
        data = resultjson.load(path)  # bounded depth and digits, no NaN, exact decimals
        if not isinstance(data, dict) or not {"nodes", "score", "agency", "rubric"} <= set(data):
            raise InputError(Problem("这不是 scoring 生成的评分结果 JSON（缺少 nodes、score 等内容）", path))
        return side_from_dict(data, Path(path).name, figure, origin=path)
    from .engine import evaluate

    used, submission, _missing = app.submission(path, rubric)
    result = evaluate(used, submission)
    if review:
        from .review import apply_review, load_review

        result = apply_review(result, load_review(review, used), used, submission)
    return side_from_dict(result.to_dict(), Path(path).name, figure)


def load_mapping(path: str, a: Side, b: Side) -> Mapping:
    doc = load_file(path)
    if not isinstance(doc.data, dict):
        raise InputError(doc.problem((), "编号对照文件的最外层应为映射（mapping:、nodes:）"))
    problems = schema_problems(doc, make_validator(MAPPING_SCHEMA))
    if problems:
        raise InputError(problems)
    meta = doc.data.get("mapping") or {}
    from_id = (meta.get("from") or {}).get("id", "")
    to_id = (meta.get("to") or {}).get("id", "")
    if from_id and from_id != a.rubric_id:
        problems.append(
            doc.problem(("mapping", "from", "id"), f"对照文件的前一版细则是“{from_id}”，而 A 用的是“{a.rubric_id}”")
        )
    if to_id and to_id != b.rubric_id:
        problems.append(
            doc.problem(("mapping", "to", "id"), f"对照文件的后一版细则是“{to_id}”，而 B 用的是“{b.rubric_id}”")
        )
    a_ids, b_ids = a.index(), b.index()
    pairs: dict[str, str | None] = {}
    for key, value in (doc.data.get("nodes") or {}).items():
        if key not in a_ids:
            problems.append(
                doc.problem(("nodes", key), f"A 的评分细则中没有评分项“{key}”{_hint(key, a_ids)}", at_key=True)
            )
        if value is not None and value not in b_ids:
            problems.append(doc.problem(("nodes", key), f"B 的评分细则中没有评分项“{value}”{_hint(value, b_ids)}"))
        pairs[key] = value
    if problems:
        raise InputError(problems)
    return Mapping(pairs, from_id, to_id, doc)


def _hint(ident: str, index: dict[str, Node]) -> str:
    close = difflib.get_close_matches(ident, list(index), n=1, cutoff=0.6)
    return f"；是不是“{close[0]}”（{index[close[0]].title}）？" if close else ""


# -- comparison -------------------------------------------------------------------------------------------


def compare(a: Side, b: Side, mapping: Mapping | None = None) -> dict[str, Any]:
    """Deltas per node (matched by id or by the mapping), per section and in total."""
    pairs = mapping.pairs if mapping else {}
    b_index = b.index()
    matched_b: set[str] = set()
    rows = []
    only_a = []
    for node in a.nodes:
        target = pairs.get(node.id, node.id) if node.id in pairs else node.id
        other = b_index.get(target) if target else None
        if other is None:
            only_a.append(node)
            continue
        matched_b.add(other.id)
        rows.append(
            {
                "a_id": node.id,
                "b_id": other.id,
                "title": other.title,
                "a_title": node.title,
                "depth": other.depth,
                "a_max": node.max,
                "b_max": other.max,
                "a": node.points,
                "b": other.points,
                "delta": None if node.points is None or other.points is None else other.points - node.points,
                "renamed": node.id != other.id,
                "section": node.depth == 0,
            }
        )
    only_b = [n for n in b.nodes if n.id not in matched_b]
    delta = None if a.total is None or b.total is None else b.total - a.total
    warnings = []
    if a.agency != b.agency:
        warnings.append(f"两份材料的单位名称不同：A 为“{a.agency}”，B 为“{b.agency}”，请确认是同一单位")
    if a.rubric_id != b.rubric_id and mapping is None:
        warnings.append(
            f"两份材料的评分细则不同（{a.rubric_id} 与 {b.rubric_id}），评分项按相同编号对应；编号有变化的请用 --mapping 指定对照文件"
        )
    return {
        "a": a,
        "b": b,
        "total": {"a": a.total, "b": b.total, "delta": delta, "a_grade": a.grade, "b_grade": b.grade},
        "sections": [r for r in rows if r["section"]],
        "nodes": rows,
        "only_a": only_a,
        "only_b": only_b,
        "warnings": warnings,
    }


def signed(value: Decimal | None) -> str:
    if value is None:
        return "—"
    if value > 0:
        return f"+{fmt(value)}"
    if value < 0:
        return f"−{fmt(-value)}"
    return "0"


def _show(value: Decimal | None) -> str:
    return "—" if value is None else fmt(value)


def describe(side: Side) -> str:
    return f"{side.year} 年度，{side.rubric_title}（{side.rubric_version}），{FIGURES[side.figure]}，{side.file}"


def compare_text(c: dict[str, Any], show_all: bool = False) -> str:
    from .textual import pad

    a, b, t = c["a"], c["b"], c["total"]
    lines = [
        f"对比：{b.agency}",
        f"  A：{describe(a)}",
        f"  B：{describe(b)}",
        "",
        f"总分：{_show(t['a'])} → {_show(t['b'])}（{signed(t['delta'])}）"
        + (f"  等次：{t['a_grade'] or '—'} → {t['b_grade'] or '—'}" if t["a_grade"] or t["b_grade"] else ""),
    ]
    lines += [f"提醒：{w}" for w in c["warnings"]]
    header = [
        ("编号", 40, False),
        ("指标", 32, False),
        ("满分", 5, True),
        ("A", 6, True),
        ("B", 6, True),
        ("变化", 7, True),
    ]

    def table(rows: list[dict[str, Any]]) -> None:
        lines.append(" ".join(pad(h, w, r) for h, w, r in header))
        lines.append("-" * (sum(w for _, w, _ in header) + len(header) - 1))
        for r in rows:
            ident = r["b_id"] if not r["renamed"] else f"{r['a_id']}→{r['b_id']}"
            full = fmt(r["b_max"]) if r["a_max"] == r["b_max"] else f"{fmt(r['a_max'])}/{fmt(r['b_max'])}"
            cells = [ident, "  " * r["depth"] + r["title"], full, _show(r["a"]), _show(r["b"]), signed(r["delta"])]
            lines.append(" ".join(pad(x, w, right) for x, (_, w, right) in zip(cells, header, strict=True)))

    lines += ["", "一级指标："]
    table(c["sections"])
    changed = [r for r in c["nodes"] if not r["section"] and (show_all or r["delta"] != 0 or r["renamed"])]
    lines += ["", f"评分项（{'全部' if show_all else '有变化的'} {len(changed)} 项）："]
    if changed:
        table(changed)
    else:
        lines.append("  （没有变化）")
    if c["only_a"]:
        lines += ["", "仅在 A 中的评分项（B 的细则中没有对应项）："]
        lines += [f"  {n.id}  {n.title}  {_show(n.points)}/{fmt(n.max)}" for n in c["only_a"]]
    if c["only_b"]:
        lines += ["", "仅在 B 中的评分项（新增）："]
        lines += [f"  {n.id}  {n.title}  {_show(n.points)}/{fmt(n.max)}" for n in c["only_b"]]
    return "\n".join(lines) + "\n"


def compare_json(c: dict[str, Any]) -> str:
    def num(v: Decimal | None) -> Any:
        from .numbers import json_number

        return json_number(v)

    def side(s: Side) -> dict[str, Any]:
        return {
            "file": s.file,
            "agency": s.agency,
            "year": s.year,
            "rubric": {"id": s.rubric_id, "version": s.rubric_version, "title": s.rubric_title},
            "figure": s.figure,
            "figure_label": FIGURES[s.figure],
            "total": num(s.total),
            "grade": s.grade or None,
        }

    def row(r: dict[str, Any]) -> dict[str, Any]:
        return {
            "a_id": r["a_id"],
            "b_id": r["b_id"],
            "title": r["title"],
            "depth": r["depth"],
            "a_max": num(r["a_max"]),
            "b_max": num(r["b_max"]),
            "a": num(r["a"]),
            "b": num(r["b"]),
            "delta": num(r["delta"]),
        }

    t = c["total"]
    data = {
        "a": side(c["a"]),
        "b": side(c["b"]),
        "total": {"a": num(t["a"]), "b": num(t["b"]), "delta": num(t["delta"])},
        "sections": [row(r) for r in c["sections"]],
        "nodes": [row(r) for r in c["nodes"]],
        "only_a": [n.id for n in c["only_a"]],
        "only_b": [n.id for n in c["only_b"]],
        "warnings": c["warnings"],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def compare_view(c: dict[str, Any], issued_on: dt.date, show_all: bool) -> dict[str, Any]:
    """Plain strings for ``templates/compare.html.j2``."""
    a, b, t = c["a"], c["b"], c["total"]

    def row(r: dict[str, Any]) -> dict[str, str]:
        return {
            "id": r["b_id"] if not r["renamed"] else f"{r['a_id']} → {r['b_id']}",
            "title": r["title"],
            "depth": str(min(r["depth"], 4)),
            "max": fmt(r["b_max"]) if r["a_max"] == r["b_max"] else f"{fmt(r['a_max'])} / {fmt(r['b_max'])}",
            "a": _show(r["a"]),
            "b": _show(r["b"]),
            "delta": signed(r["delta"]),
            "trend": "up" if (r["delta"] or 0) > 0 else ("down" if (r["delta"] or 0) < 0 else ""),
        }

    changed = [r for r in c["nodes"] if not r["section"] and (show_all or r["delta"] != 0 or r["renamed"])]
    return {
        "title": "政务公开考核评分对比",
        "agency": b.agency,
        "issued_on": f"{issued_on.year}年{issued_on.month}月{issued_on.day}日",
        "a": {"label": describe(a), "figure": FIGURES[a.figure], "year": str(a.year)},
        "b": {"label": describe(b), "figure": FIGURES[b.figure], "year": str(b.year)},
        "total": {
            "a": _show(t["a"]),
            "b": _show(t["b"]),
            "delta": signed(t["delta"]),
            "a_grade": t["a_grade"] or "—",
            "b_grade": t["b_grade"] or "—",
        },
        "warnings": list(c["warnings"]),
        "sections": [row(r) for r in c["sections"]],
        "nodes": [row(r) for r in changed],
        "nodes_label": "全部评分项" if show_all else "有变化的评分项",
        "only_a": [{"id": n.id, "title": n.title, "points": _show(n.points), "max": fmt(n.max)} for n in c["only_a"]],
        "only_b": [{"id": n.id, "title": n.title, "points": _show(n.points), "max": fmt(n.max)} for n in c["only_b"]],
    }


# -- command -----------------------------------------------------------------------------------------------


def run_compare(app: Any, args: argparse.Namespace) -> int:
    a = load_side(app, args.a, args.review_a, args.a_figure, args.rubric_a or args.rubric)
    b = load_side(app, args.b, args.review_b, args.b_figure, args.rubric_b or args.rubric)
    mapping = load_mapping(args.mapping, a, b) if args.mapping else None
    c = compare(a, b, mapping)
    app.out.write(compare_json(c) if args.format == "json" else compare_text(c, args.all))
    if args.output:
        from .iofiles import write_atomic
        from .reports import ReportRenderer

        try:
            issued = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
        except ValueError:
            raise UsageError(f"--date 应为日期，写成 2018-03-01 这样，实际为“{args.date}”") from None
        pdf = ReportRenderer(templates_dir=Path(args.templates) if args.templates else None).pdf(
            "compare", compare_view(c, issued, args.all)
        )
        protect = [Path(p) for p in (args.a, args.b, args.mapping, args.review_a, args.review_b) if p]
        write_atomic(Path(args.output), pdf, protect=protect)
        app.err.write(f"已生成对比表 {args.output}\n")
    return 0
