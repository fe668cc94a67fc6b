"""Load a rubric YAML into a checked :class:`~scoring.model.Rubric`.

Loading reports every problem at once, each with file:line:column: schema
errors, duplicate ids, expressions that do not compile or read undeclared
facts, and children whose points do not add up to their parent's maximum.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import model as m
from .errors import Problem, RubricError
from .expr import CompileError, Expression, compile_expression
from .validation import packaged_validator, schema_problems
from .yamlio import Document, Path_, load_file, load_text

SPECIAL_NAMES = {"base"}  # readable in bonus gates only
# foreach multiplies: 3 variables x 120 values were 1.7 million checks (85 s, 3 GB) before these limits
MAX_FOREACH = 1_000  # checks one foreach may expand into
MAX_CHECKS = 10_000  # checks in a rubric after expansion


def load_rubric(path: str | Path) -> m.Rubric:
    """Read the file once; its SHA-256 is of exactly the bytes parsed (what ``sha256sum`` prints)."""
    doc = load_file(path)
    return _with(rubric_from_document(doc), sha256=doc.sha256)


def rubric_from_text(text: str, file: str = "<rubric>") -> m.Rubric:
    rubric = rubric_from_document(load_text(text, file))
    return _with(rubric, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())


def _with(rubric: m.Rubric, **changes: Any) -> m.Rubric:
    import attrs

    return attrs.evolve(rubric, **changes)


def is_rubric_document(doc: Document) -> bool:
    """A rubric has sections, or a `rubric:` block with more than a submission's {id, version}."""
    data = doc.data
    if not isinstance(data, dict):
        return False
    meta = data.get("rubric")
    return "sections" in data or (isinstance(meta, dict) and bool({"title", "total", "grades"} & meta.keys()))


def rubric_from_document(doc: Document) -> m.Rubric:
    if not isinstance(doc.data, dict):
        raise RubricError(doc.problem((), "评分细则文件的最外层应为“名称: 值”形式的映射"))
    problems = schema_problems(doc, packaged_validator("rubric.schema.json"))
    if problems:
        raise RubricError(problems)
    return _Builder(doc).build()


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.facts: dict[str, m.Fact] = {}
        self.nodes: dict[str, m.Node] = {}
        self.parents: dict[str, str] = {}
        self.node_paths: dict[str, Path_] = {}
        self.first_seen: dict[str, int] = {}
        # failed_checks() patterns used by rules, checked against the check ids at the end
        self.check_refs: list[tuple[str, Path_]] = []
        self.in_checks = False

    # -- helpers ------------------------------------------------------------------------
    def problem(self, path: Path_, message: str, label: str = "") -> None:
        self.problems.append(self.doc.problem(path, message, label))

    def source(self, path: Path_) -> m.Source:
        line, column = self.doc.locate(path)
        return m.Source(self.doc.file, line, column)

    def expr(self, text: str | bool | Decimal | int, path: Path_, extra: set[str] | None = None) -> Expression:
        known = set(self.facts) | (extra or set())
        if not isinstance(text, str):  # `when: true` written unquoted in YAML
            text = str(text) if not isinstance(text, bool) else ("True" if text else "False")
        try:
            compiled = compile_expression(text, known)
        except CompileError as exc:
            where = (
                "" if "个字符" in exc.message or "语法错误" in exc.message else f"（第 {exc.offset + 1} 个字符附近）"
            )
            shown = text.strip() if len(text.strip()) <= 80 else text.strip()[:77] + "…"
            self.problem(path, f"表达式“{shown}”有误：{exc.message}{where}")
            return compile_expression("False")
        if compiled.check_patterns and self.in_checks:
            self.problem(
                path, f"校验规则中不能使用 failed_checks()（表达式“{text.strip()}”）：校验结果只供评分规则引用"
            )
        self.check_refs.extend((pattern, path) for pattern in sorted(compiled.check_patterns))
        return compiled

    # -- build --------------------------------------------------------------------------
    def build(self) -> m.Rubric:
        data = self.doc.data
        meta = data["rubric"]
        groups = self.build_facts(data.get("facts", []))
        sections = tuple(self.node(n, ("sections", i), "", bonus=False) for i, n in enumerate(data["sections"]))
        bonus = tuple(self.node(n, ("bonus", i), "", bonus=True) for i, n in enumerate(data.get("bonus", [])))
        total = Decimal(meta["total"])
        base_max = sum((s.max for s in sections), Decimal(0))
        if base_max != total:
            self.problem(
                ("rubric", "total"),
                f"基础总分写为 {_fmt(total)}，但各一级指标满分之和为 {_fmt(base_max)}",
            )
        bonus_max = sum((b.max for b in bonus), Decimal(0))
        if meta.get("bonus_cap") is not None:
            bonus_max = min(bonus_max, Decimal(meta["bonus_cap"]))
        ceiling = total + (bonus_max if meta.get("grade_on", "final") == "final" else Decimal(0))
        grades = self.grades(meta["grades"], ceiling)
        checks = tuple(self.checks(data.get("checks", [])))
        vetoes = tuple(self.veto(v, ("vetoes", i)) for i, v in enumerate(data.get("vetoes", [])))
        penalties = tuple(self.penalty(p, ("penalties", i)) for i, p in enumerate(data.get("penalties", [])))
        self.unique([v.id for v in vetoes], "vetoes", "否决项")
        self.unique([p.id for p in penalties], "penalties", "扣分项")
        self.check_patterns([c.id for c in checks])
        years = self.years(meta)
        if self.problems:
            raise RubricError(sorted(self.problems, key=lambda p: (p.line, p.column)))
        return m.Rubric(
            id=meta["id"],
            version=str(meta["version"]),
            title=meta["title"],
            issuer=meta.get("issuer", ""),
            year=meta["year"],
            total=total,
            grades=grades,
            facts=tuple(self.facts.values()),
            groups=groups,
            sections=sections,
            bonus=bonus,
            bonus_cap=_dec(meta.get("bonus_cap")),
            checks=checks,
            vetoes=vetoes,
            penalties=penalties,
            places=meta.get("rounding", {}).get("places", 1),
            grade_on=meta.get("grade_on", "final"),
            source_document=meta.get("source", ""),
            description=meta.get("description", ""),
            years=years,
            file=self.doc.file,
            fact_index=dict(self.facts),
            node_index=dict(self.nodes),
            parents=dict(self.parents),
        )

    def build_facts(self, items: list[dict[str, Any]]) -> tuple[m.FactGroup, ...]:
        groups: list[m.FactGroup] = []
        loose: list[str] = []
        for i, item in enumerate(items):
            if "group" in item:
                ids = [self.fact(f, ("facts", i, "facts", j), item["group"]).id for j, f in enumerate(item["facts"])]
                groups.append(m.FactGroup(item["group"], item["label"], tuple(ids)))
            else:
                loose.append(self.fact(item, ("facts", i), "").id)
        if loose:
            groups.insert(0, m.FactGroup("", "基本情况", tuple(loose)))
        self.unique([g.id for g in groups if g.id], "facts", "事实分组")
        return tuple(groups)

    def years(self, meta: dict[str, Any]) -> tuple[int, int | None] | None:
        span = meta.get("years")
        if span is None:
            return None
        first, last = span["from"], span.get("to")
        if last is not None and last < first:
            self.problem(("rubric", "years", "to"), f"适用年度范围的截止年度 {last} 早于起始年度 {first}")
        return first, last

    def check_patterns(self, check_ids: list[str]) -> None:
        for pattern, path in self.check_refs:
            if not any(fnmatch.fnmatchcase(ident, pattern) for ident in check_ids):
                self.problem(path, f'failed_checks("{pattern}") 没有匹配任何校验规则编号（checks 中的 id）')

    def fact(self, data: dict[str, Any], path: Path_, group: str) -> m.Fact:
        fact = m.Fact(
            id=data["id"],
            label=data["label"],
            type=data["type"],
            unit=data.get("unit", ""),
            help=data.get("help", ""),
            required=data.get("required", False),
            options=tuple(data.get("options", ())),
            group=group,
            minimum=_dec(data.get("minimum")),
            maximum=_dec(data.get("maximum")),
            source=self.source(path),
            row=str(data.get("row", "")),
        )
        if fact.id in self.facts:
            first = self.facts[fact.id].source.line
            self.problem((*path, "id"), f"事实编号“{fact.id}”重复（第一次在第 {first} 行）", fact.label)
        if fact.id in SPECIAL_NAMES:
            self.problem((*path, "id"), f"“{fact.id}”是保留名称，请换一个事实编号", fact.label)
        if fact.type in ("choice", "multi_choice") and not fact.options:
            self.problem(path, f"类型 {fact.type} 需要 options 列出可选项", fact.label)
        if fact.options and fact.type not in ("choice", "multi_choice"):
            self.problem((*path, "options"), "只有 choice / multi_choice 类型可以有 options", fact.label)
        self.facts[fact.id] = fact
        return fact

    def unique(self, ids: list[str], where: str, what: str) -> None:
        seen: set[str] = set()
        for i, ident in enumerate(ids):
            if ident in seen:
                self.problem((where, i, "id"), f"{what}编号“{ident}”重复")
            seen.add(ident)

    def node(self, data: dict[str, Any], path: Path_, parent: str, bonus: bool) -> m.Node:
        ident = data["id"]
        title = data.get("title") or data.get("text", "")[:40]
        # register before the children, so a descendant reusing an ancestor's id is caught too
        if ident in self.first_seen:
            self.problem((*path, "id"), f"节点编号“{ident}”重复（第一次在第 {self.first_seen[ident]} 行）")
        else:
            self.first_seen[ident] = self.doc.locate(path)[0]
        children = tuple(
            self.node(c, (*path, "children", i), ident, bonus) for i, c in enumerate(data.get("children", []))
        )
        maximum = Decimal(data["max"])
        rule = None
        if "rule" in data:
            rule = self.rule(data["rule"], (*path, "rule"), maximum)
        gate = None
        if "gate" in data:
            if not bonus or parent:
                self.problem((*path, "gate"), "gate 只能用于 bonus 下的顶层加分项")
            gate = self.expr(data["gate"], (*path, "gate"), SPECIAL_NAMES)
        node = m.Node(
            id=ident,
            title=title,
            max=maximum,
            text=data.get("text", ""),
            children=children,
            rule=rule,
            cap=data.get("cap", False),
            combine=data.get("combine", "sum"),
            weight=_dec(data.get("weight")),
            pool_deductions=data.get("pool_deductions", False),
            gate=gate,
            evidence=data.get("evidence", ""),
            bonus=bonus,
            source=self.source(path),
        )
        self.check_node(node, data, path)
        self.nodes.setdefault(ident, node)
        self.node_paths.setdefault(ident, path)
        if parent:
            self.parents[ident] = parent
        return node

    def check_node(self, node: m.Node, data: dict[str, Any], path: Path_) -> None:
        name = node.title or node.id
        if node.children and node.rule is not None:
            self.problem((*path, "rule"), "有子项的节点不能再有 rule；请把规则放到子项上", name)
        if not node.children and node.rule is None:
            self.problem(path, "末级评分标准必须有 rule（评分规则）", name)
        if not node.children:
            for key in ("cap", "combine", "pool_deductions"):
                if key in data:
                    self.problem((*path, key), f"{key} 只用于有子项的节点", name)
            return
        if node.combine == "weighted":
            missing = [c.id for c in node.children if c.weight is None]
            if missing:
                self.problem(path, f"按权重合成时每个子项都要有 weight，缺少：{'、'.join(missing)}", name)
            else:
                total = sum((c.weight for c in node.children if c.weight), Decimal(0))
                if total != 1:
                    self.problem((*path, "combine"), f"子项权重之和应为 1，实际为 {_fmt(total)}", name)
            return
        for child in node.children:
            if child.weight is not None:
                self.problem(self.node_paths[child.id], "weight 只在父节点 combine: weighted 时使用", child.title)
        child_sum = sum((c.max for c in node.children), Decimal(0))
        if node.cap:
            if child_sum < node.max:
                self.problem(
                    (*path, "max"),
                    f"本项满分 {_fmt(node.max)}，但子项满分之和只有 {_fmt(child_sum)}，无法得满分",
                    name,
                )
        elif child_sum != node.max:
            self.problem(
                (*path, "max"),
                f"本项满分 {_fmt(node.max)}，但子项满分之和为 {_fmt(child_sum)}；如果本项是“得分封顶”，请加 cap: true",
                name,
            )

    def rule(self, data: dict[str, Any], path: Path_, maximum: Decimal) -> m.Rule:
        kind = data["kind"]

        def ex(key: str) -> Expression:
            return self.expr(data[key], (*path, key))

        def not_above(value: Decimal, key_path: Path_, what: str) -> None:
            if value > maximum:
                self.problem(key_path, f"{what} {_fmt(value)} 超过本项满分 {_fmt(maximum)}")

        if kind == "condition":
            return m.Condition(ex("when"), data.get("met", ""), data.get("unmet", ""))
        if kind == "proportional":
            if "ratio" in data:
                return m.Proportional(ratio=ex("ratio"))
            return m.Proportional(numerator=ex("numerator"), denominator=ex("denominator"))
        if kind == "tiers":
            tiers = []
            for i, tier in enumerate(data["tiers"]):
                points = Decimal(tier["points"])
                not_above(points, (*path, "tiers", i, "points"), "档次分值")
                tiers.append(
                    m.Tier(self.expr(tier["when"], (*path, "tiers", i, "when")), points, tier.get("label", ""))
                )
            otherwise = Decimal(data.get("otherwise", 0))
            not_above(otherwise, (*path, "otherwise"), "其他情况分值")
            return m.Tiers(tuple(tiers), otherwise)
        if kind == "per_item":
            cap = _dec(data.get("cap"))
            if cap is not None:
                not_above(cap, (*path, "cap"), "上限")
            return m.PerItem(ex("count"), Decimal(data["each"]), cap, data.get("unit", "项"))
        if kind == "scale":
            levels = tuple((str(k), Decimal(v)) for k, v in data["levels"].items())
            for label, points in levels:
                not_above(points, (*path, "levels", label), f"等级“{label}”的分值")
            return m.Scale(ex("value"), levels)
        if kind == "deduction":
            return m.Deduction(tuple(self.deduction_item(d, (*path, "items", i)) for i, d in enumerate(data["items"])))
        if kind == "manual":
            return m.Manual(data.get("guidance", ""))
        return m.Formula(ex("points"))

    def deduction_item(self, data: dict[str, Any], path: Path_) -> m.DeductionItem:
        return m.DeductionItem(
            label=data.get("label", data.get("title", "")),
            per=Decimal(data["per"]),
            count=self.expr(data["count"], (*path, "count")) if "count" in data else None,
            when=self.expr(data["when"], (*path, "when")) if "when" in data else None,
        )

    def grades(self, items: list[dict[str, Any]], ceiling: Decimal) -> tuple[m.Grade, ...]:
        """The bands, highest first; ``ceiling`` is the highest score the graded figure can reach."""
        grades = tuple(m.Grade(g["name"], Decimal(g["min"])) for g in items)
        for i, grade in enumerate(grades):
            if grade.min > ceiling:
                self.problem(
                    ("rubric", "grades", i, "min"),
                    f"等次“{grade.name}”的分数线 {_fmt(grade.min)} 超过可得的最高分 {_fmt(ceiling)} 分，"
                    "这一等次永远评不上；请核对分数线和总分（total）",
                )
        for i in range(1, len(grades)):
            if grades[i].min >= grades[i - 1].min:
                self.problem(("rubric", "grades", i, "min"), "等次应从高到低排列，分数线逐档降低")
        if grades[-1].min != 0:
            self.problem(("rubric", "grades", len(grades) - 1, "min"), "最后一档的 min 应为 0，否则低分无等次可评")
        self.unique_names([g.name for g in grades])
        return grades

    def unique_names(self, names: list[str]) -> None:
        if len(set(names)) != len(names):
            self.problem(("rubric", "grades"), "等次名称重复")

    def checks(self, items: list[dict[str, Any]]) -> list[m.Check]:
        out: list[m.Check] = []
        seen: dict[str, int] = {}
        self.in_checks = True
        expanded = 0
        for i, raw in enumerate(items):
            path: Path_ = ("checks", i)
            copies = foreach_count(raw)
            if copies > MAX_FOREACH:
                self.problem(
                    (*path, "foreach"),
                    f"foreach 展开后有 {copies:,} 条校验规则，超过每条 {MAX_FOREACH:,} 条的上限；"
                    "请减少取值，或拆成几条不同的校验规则",
                )
                continue
            expanded += copies
            if expanded > MAX_CHECKS:
                self.problem(
                    (*path, "foreach"),
                    f"展开 foreach 后校验规则累计超过 {MAX_CHECKS:,} 条的上限（到这一条为 {expanded:,} 条）；请精简校验规则",
                )
                break
            for data in expand_foreach(raw):
                ident = data["id"]
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", ident):
                    self.problem((*path, "id"), f"展开后的编号“{ident}”不合规：只能含字母、数字、下划线、点或连字符")
                if ident in seen:
                    self.problem((*path, "id"), f"校验规则编号“{ident}”重复")
                seen[ident] = i
                message = data["message"]
                expect = self.expr(data["expect"], (*path, "expect"))
                for name in re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", message):
                    if name not in self.facts and name not in ("left", "right"):
                        self.problem((*path, "message"), f"提示中的 {{{name}}} 不是已声明的事实")
                out.append(
                    m.Check(
                        id=ident,
                        title=data.get("title", ""),
                        severity=data.get("severity", "error"),
                        expect=expect,
                        message=message,
                        when=self.expr(data["when"], (*path, "when")) if "when" in data else None,
                        source=self.source(path),
                    )
                )
        self.in_checks = False
        return out

    def veto(self, data: dict[str, Any], path: Path_) -> m.Veto:
        node = data.get("node", "")
        if node and node not in self.nodes:
            self.problem((*path, "node"), f"关联的评分节点“{node}”不存在")
        return m.Veto(
            id=data["id"],
            title=data["title"],
            when=self.expr(data["when"], (*path, "when")),
            message=data.get("message", ""),
            effect=data.get("effect", "grade"),
            node=node,
            source=self.source(path),
        )

    def penalty(self, data: dict[str, Any], path: Path_) -> m.Penalty:
        return m.Penalty(data["id"], data["title"], self.deduction_item(data, path), self.source(path))


def foreach_count(data: dict[str, Any]) -> int:
    """How many checks ``data`` expands into: the product of its foreach value counts (not built)."""
    count = 1
    for values in (data.get("foreach") or {}).values():
        count *= len(values)
    return count


def expand_foreach(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Expand ``foreach: {col: [a, b]}`` into one copy per value, substituting ``{col}``."""
    loops = data.get("foreach")
    if not loops:
        return [data]
    copies: list[tuple[dict[str, str], dict[str, str]]] = [({}, {})]
    for var, values in loops.items():
        pairs = values.items() if isinstance(values, dict) else ((v, v) for v in values)
        pairs = list(pairs)
        copies = [({**ids, var: k}, {**labels, var: lab}) for ids, labels in copies for k, lab in pairs]
    out = []
    for ids, labels in copies:

        def fill(text: str, ids: dict[str, str] = ids, labels: dict[str, str] = labels) -> str:
            for var in ids:
                text = text.replace("{" + var + ".label}", labels[var]).replace("{" + var + "}", ids[var])
            return text

        out.append({k: fill(v) if isinstance(v, str) else v for k, v in data.items() if k != "foreach"})
    return out


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _fmt(value: Decimal) -> str:
    from .numbers import fmt

    return fmt(value)
