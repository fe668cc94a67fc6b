"""The rubric and submission as frozen value objects: no I/O, no parsing.

:mod:`scoring.rubric` and :mod:`scoring.submission` build these from YAML;
:mod:`scoring.engine` reads them. Points are exact ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from .expr import Expression

FACT_TYPES = {
    "count": "非负整数",
    "integer": "整数",
    "decimal": "数字",
    "bool": "是/否",
    "date": "日期",
    "choice": "单选",
    "multi_choice": "多选",
    "text": "文字",
}


@attrs.frozen
class Source:
    """Where a rubric element was written, for messages."""

    file: str = ""
    line: int = 0
    column: int = 0


@attrs.frozen
class Fact:
    id: str
    label: str
    type: str
    unit: str = ""
    help: str = ""
    required: bool = False
    options: tuple[str, ...] = ()
    group: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    source: Source = Source()
    row: str = ""  # its row in the paper statistics table (统计表), for messages


@attrs.frozen
class FactGroup:
    id: str
    label: str
    facts: tuple[str, ...]


# -- rules: one class per kind; the engine has one function per kind ---------------------------


@attrs.frozen
class Condition:
    when: Expression
    met: str = ""
    unmet: str = ""
    kind = "condition"


@attrs.frozen
class Proportional:
    ratio: Expression | None = None
    numerator: Expression | None = None
    denominator: Expression | None = None
    kind = "proportional"


@attrs.frozen
class Tier:
    when: Expression
    points: Decimal
    label: str = ""


@attrs.frozen
class Tiers:
    tiers: tuple[Tier, ...]
    otherwise: Decimal = Decimal(0)
    kind = "tiers"


@attrs.frozen
class PerItem:
    count: Expression
    each: Decimal
    cap: Decimal | None = None
    unit: str = "项"
    kind = "per_item"


@attrs.frozen
class Scale:
    value: Expression
    levels: tuple[tuple[str, Decimal], ...]
    kind = "scale"


@attrs.frozen
class DeductionItem:
    label: str
    per: Decimal
    count: Expression | None = None
    when: Expression | None = None


@attrs.frozen
class Deduction:
    items: tuple[DeductionItem, ...]
    kind = "deduction"


@attrs.frozen
class Manual:
    guidance: str = ""
    kind = "manual"


@attrs.frozen
class Formula:
    points: Expression
    kind = "formula"


Rule = Condition | Proportional | Tiers | PerItem | Scale | Deduction | Manual | Formula


@attrs.frozen
class Node:
    """A section, item or criterion. Leaves carry a rule; parents add up children."""

    id: str
    title: str
    max: Decimal
    text: str = ""
    children: tuple[Node, ...] = ()
    rule: Rule | None = None
    cap: bool = False  # children's maxima may exceed ours; we cap their sum
    combine: str = "sum"  # or "weighted": children weighted by `weight`
    weight: Decimal | None = None
    pool_deductions: bool = False  # deductions may cross children, capped here
    gate: Expression | None = None  # bonus parts: counted only when this holds
    evidence: str = ""  # what evidence the criterion expects
    bonus: bool = False
    source: Source = Source()

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def walk(self) -> list[Node]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@attrs.frozen
class Check:
    id: str
    title: str
    severity: str  # "error" | "warning"
    expect: Expression
    message: str
    when: Expression | None = None
    source: Source = Source()


@attrs.frozen
class Veto:
    id: str
    title: str
    when: Expression
    message: str = ""
    effect: str = "grade"  # "grade": lowest band; "zero": final score 0 as well
    node: str = ""
    source: Source = Source()


@attrs.frozen
class Penalty:
    id: str
    title: str
    item: DeductionItem
    source: Source = Source()


@attrs.frozen
class Grade:
    name: str
    min: Decimal


@attrs.frozen
class Rubric:
    id: str
    version: str
    title: str
    issuer: str
    year: int
    total: Decimal
    grades: tuple[Grade, ...]
    facts: tuple[Fact, ...]
    groups: tuple[FactGroup, ...]
    sections: tuple[Node, ...]
    bonus: tuple[Node, ...] = ()
    bonus_cap: Decimal | None = None
    checks: tuple[Check, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    penalties: tuple[Penalty, ...] = ()
    places: int = 1
    grade_on: str = "final"
    source_document: str = ""
    description: str = ""
    file: str = ""
    sha256: str = ""
    # the years the rubric applies to (inclusive; None = open-ended); default: `year` only
    years: tuple[int, int | None] | None = None
    fact_index: dict[str, Fact] = attrs.field(factory=dict, eq=False, repr=False)
    node_index: dict[str, Node] = attrs.field(factory=dict, eq=False, repr=False)
    parents: dict[str, str] = attrs.field(factory=dict, eq=False, repr=False)

    def all_nodes(self) -> list[Node]:
        out: list[Node] = []
        for top in (*self.sections, *self.bonus):
            out.extend(top.walk())
        return out

    def applies_to(self, year: int) -> bool:
        first, last = self.years or (self.year, self.year)
        return first <= year and (last is None or year <= last)

    @property
    def years_text(self) -> str:
        """``2017 年``, ``2008–2018 年`` or ``2021 年及以后``."""
        first, last = self.years or (self.year, self.year)
        if last is None:
            return f"{first} 年及以后"
        return f"{first} 年" if first == last else f"{first}–{last} 年"

    @property
    def max_with_bonus(self) -> Decimal:
        bonus = sum((b.max for b in self.bonus), Decimal(0))
        if self.bonus_cap is not None:
            bonus = min(bonus, self.bonus_cap)
        return self.total + bonus


@attrs.frozen
class Evidence:
    doc: str = ""
    url: str = ""
    file: str = ""
    note: str = ""


@attrs.frozen
class Agency:
    name: str
    region: str = ""
    level: str = ""
    code: str = ""
    contact: str = ""  # 联系人及电话 (optional; not part of a result)


@attrs.frozen
class Submission:
    rubric_id: str
    rubric_version: str
    agency: Agency
    year: int
    facts: dict[str, Any]
    self_scores: dict[str, Decimal]
    submitted: dt.date | None = None
    self_total: Decimal | None = None
    evidence: dict[str, tuple[Evidence, ...]] = attrs.field(factory=dict)
    remarks: str = ""
    file: str = ""
    sha256: str = ""
