"""The body's form, generated from the rubric, and the submission YAML it stands for.

Nothing here is written per rubric: :func:`form_spec` turns the rubric's fact groups (the
统计表 in its row order), facts (label, unit, help, the criteria they feed) and criteria tree
into sections of fields. A filled-in form is a dict of field name -> typed text;
:func:`to_yaml` writes it as the project's submission YAML (what ``scoring validate``,
``score`` and ``batch`` read), remembering which line holds which field so that the CLI's
located messages are shown next to the field they are about. What the body typed goes into
the YAML as typed (a number as a number, anything else as a quoted string), so a wrong value
gets the CLI's own message about it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from .. import model as m
from ..numbers import fmt
from ..submission import fact_uses
from ..yamltext import quoted

NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
EVIDENCE_PARTS = ("doc", "url", "file", "note")  # the submission format's evidence keys, in its order
EVIDENCE_LABELS = {"doc": "文号或文件名称", "url": "网址", "file": "附件文件名", "note": "说明"}
MAX_EVIDENCE = 20  # entries per criterion
MAX_FIELD = 5000  # characters in one field (the submission schema's longest text)
AGENCY_FIELDS = (
    ("agency.name", "单位全称"),
    ("agency.region", "所属地区"),
    ("agency.level", "层级"),
    ("agency.contact", "联系人及电话"),  # optional: written only when filled in, as `scoring template` does
)
HEAD_FIELDS = {"submitted": "报送日期", "self_total": "自评总分", "remarks": "其他需要说明的情况"}


@attrs.frozen
class Field:
    name: str  # the form field: f.<fact>, s.<node>, agency.name, ...
    fact: m.Fact
    uses: tuple[tuple[str, str], ...]  # (node id, title) of the criteria it feeds


@attrs.frozen
class Section:
    id: str
    label: str
    fields: tuple[Field, ...]
    statistics: bool  # the 统计表: rows numbered as on paper


@attrs.frozen
class Criterion:
    node: m.Node
    depth: int
    name: str  # s.<node id>


@attrs.frozen
class FormSpec:
    sections: tuple[Section, ...]
    criteria: tuple[Criterion, ...]
    labels: dict[str, str]  # field name -> Chinese label, for messages


def _row_key(fact: m.Fact) -> tuple[int, str]:
    digits = re.match(r"\d+", fact.row or "")
    return (int(digits.group()) if digits else 10**9, fact.row)


def form_spec(rubric: m.Rubric) -> FormSpec:
    uses = fact_uses(rubric)
    sections = []
    labels: dict[str, str] = dict(AGENCY_FIELDS) | HEAD_FIELDS
    for group in rubric.groups:
        facts = [rubric.fact_index[f] for f in group.facts]
        statistics = bool(facts) and all(f.row for f in facts)
        if statistics:
            facts.sort(key=_row_key)
        fields = []
        for fact in facts:
            labels[f"f.{fact.id}"] = fact.label
            fields.append(Field(f"f.{fact.id}", fact, tuple((n.id, n.title) for n in uses.get(fact.id, []))))
        sections.append(Section(group.id, group.label, tuple(fields), statistics))
    criteria = []
    for node in rubric.all_nodes():
        depth = 0
        ident = node.id
        while ident in rubric.parents:
            ident = rubric.parents[ident]
            depth += 1
        labels[f"s.{node.id}"] = f"{node.title}（自评分）"
        criteria.append(Criterion(node, depth, f"s.{node.id}"))
    return FormSpec(tuple(sections), tuple(criteria), labels)


# -- form values <-> submission YAML -------------------------------------------------------------


def _scalar(text: str) -> str:
    return text if NUMBER.fullmatch(text) else quoted(text)


def _fact_value(fact: m.Fact, value: str | list[str]) -> str | None:
    """The YAML of one fact's value, or None when left blank."""
    if fact.type == "multi_choice":
        items = [v for v in (value if isinstance(value, list) else [value]) if v.strip()]
        return "[" + ", ".join(quoted(v) for v in items) + "]" if items else None
    text = value if isinstance(value, str) else (value[0] if value else "")
    text = text.strip()
    if not text:
        return None
    if fact.type == "bool" and text in ("是", "否"):
        return text
    if fact.type in ("count", "integer", "decimal"):
        return _scalar(text)
    return quoted(text)  # choice, date, text: strings (a date is written quoted, as the CLI asks)


def clean(form: Mapping[str, Any], spec: FormSpec) -> dict[str, str | list[str]]:
    """The known fields of a posted form (anything else is dropped), each cut to a sane length."""
    out: dict[str, str | list[str]] = {}
    for name, value in form.items():
        if name in spec.labels or _evidence_name(name):
            if isinstance(value, list):
                out[name] = [str(v)[:MAX_FIELD] for v in value][:100]
            else:
                out[name] = str(value)[:MAX_FIELD]
    return out


def _evidence_name(name: str) -> bool:
    parts = name.split(":")
    return (
        len(parts) == 4
        and parts[0] == "e"
        and parts[2].isdigit()
        and int(parts[2]) < MAX_EVIDENCE
        and parts[3] in EVIDENCE_PARTS
    )


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def to_yaml(rubric: m.Rubric, year: int, values: Mapping[str, Any], header: str = "") -> tuple[str, dict[int, str]]:
    """The submission YAML of ``values`` and, per line number, the field written there."""
    lines: list[str] = []
    where: dict[int, str] = {}

    def put(line: str, field: str = "") -> None:
        lines.append(line)
        if field:
            where[len(lines)] = field

    for comment_line in header.splitlines():
        put(f"# {comment_line}")
    put(f"rubric: {{id: {rubric.id}, version: {quoted(rubric.version)}}}")
    put("")
    put("agency:")
    for name, _label in AGENCY_FIELDS:
        if name != "agency.contact" or _text(values, name):
            put(f"  {name.split('.')[1]}: {quoted(_text(values, name))}", name)
    put("")
    put(f"year: {int(year)}")
    submitted = _text(values, "submitted")
    put(f"submitted: {quoted(submitted) if submitted else '~'}", "submitted")
    put("")
    put("facts:")
    spec_order = [rubric.fact_index[f] for g in rubric.groups for f in g.facts]
    written = 0
    for fact in spec_order:
        yaml_value = _fact_value(fact, values.get(f"f.{fact.id}", ""))
        if yaml_value is not None:
            put(f"  {fact.id}: {yaml_value}", f"f.{fact.id}")
            written += 1
    if not written:
        lines[-1] = "facts: {}"
    put("")
    put("self_scores:")
    for node in rubric.all_nodes():
        text = _text(values, f"s.{node.id}")
        put(f"  {node.id}: {_scalar(text) if text else '~'}", f"s.{node.id}")
    put("")
    total = _text(values, "self_total")
    put(f"self_total: {_scalar(total) if total else '~'}", "self_total")
    put("")
    evidence = _evidence(rubric, values)
    if evidence:
        put("evidence:")
        for node_id, entries in evidence:
            put(f"  {node_id}:")
            for i, entry in entries:
                first = True
                for part, text in entry:
                    put(f"    {'- ' if first else '  '}{part}: {quoted(text)}", f"e:{node_id}:{i}:{part}")
                    first = False
    else:
        put("evidence: {}")
    put("")
    put(f"remarks: {quoted(_text(values, 'remarks'))}", "remarks")
    return "\n".join(lines) + "\n", where


def _evidence(rubric: m.Rubric, values: Mapping[str, Any]) -> list[tuple[str, list[tuple[int, list[tuple[str, str]]]]]]:
    """The evidence rows typed, per criterion in rubric order, rows in their order, blank rows left out."""
    typed: dict[str, dict[int, dict[str, str]]] = {}
    for name in values:
        if name.startswith("e:") and _evidence_name(name):
            _e, node_id, index, part = name.split(":")
            text = _text(values, name)
            if text and node_id in rubric.node_index:
                typed.setdefault(node_id, {}).setdefault(int(index), {})[part] = text
    out = []
    for node in rubric.all_nodes():
        rows = typed.get(node.id)
        if rows:
            entries = [(i, [(p, rows[i][p]) for p in EVIDENCE_PARTS if p in rows[i]]) for i in sorted(rows)]
            out.append((node.id, entries))
    return out


def _shown(value: Any, fact: m.Fact | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return fmt(value) if fact is None else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def from_document(rubric: m.Rubric, data: Any) -> dict[str, str | list[str]]:
    """Form values from a submission's YAML data (a stored draft, or an uploaded file): what it says,
    as the body typed it (a wrong value stays wrong, to be shown with its message)."""
    values: dict[str, str | list[str]] = {}
    if not isinstance(data, dict):
        return values
    agency = data.get("agency") if isinstance(data.get("agency"), dict) else {}
    for name, _label in AGENCY_FIELDS:
        values[name] = _shown(agency.get(name.split(".")[1]))
    values["submitted"] = _shown(data.get("submitted"))
    values["self_total"] = _shown(data.get("self_total"))
    values["remarks"] = _shown(data.get("remarks"))
    facts = data.get("facts") if isinstance(data.get("facts"), dict) else {}
    for fact_id, value in facts.items():
        fact = rubric.fact_index.get(str(fact_id))
        if fact is None:
            continue
        if fact.type == "multi_choice" and isinstance(value, list):
            values[f"f.{fact.id}"] = [_shown(v) for v in value]
        else:
            values[f"f.{fact.id}"] = _shown(value, fact)
    scores = data.get("self_scores") if isinstance(data.get("self_scores"), dict) else {}
    for node_id, value in scores.items():
        if str(node_id) in rubric.node_index:
            values[f"s.{node_id}"] = _shown(value)
    evidence = data.get("evidence") if isinstance(data.get("evidence"), dict) else {}
    for node_id, entries in evidence.items():
        if str(node_id) not in rubric.node_index or not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries[:MAX_EVIDENCE]):
            if isinstance(entry, dict):
                for part in EVIDENCE_PARTS:
                    if entry.get(part):
                        values[f"e:{node_id}:{i}:{part}"] = _shown(entry[part])
    return values


def from_submission(submission: m.Submission) -> dict[str, str | list[str]]:
    """Form values from a typed submission (an upload read by the CLI's loader)."""
    values: dict[str, str | list[str]] = {
        "agency.name": submission.agency.name,
        "agency.region": submission.agency.region,
        "agency.level": submission.agency.level,
        "agency.contact": submission.agency.contact,
        "submitted": _shown(submission.submitted),
        "self_total": _shown(submission.self_total),
        "remarks": submission.remarks,
    }
    for fact_id, value in submission.facts.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | frozenset | set):
            values[f"f.{fact_id}"] = [_shown(v) for v in value]
        else:
            values[f"f.{fact_id}"] = _shown(value, m.Fact(fact_id, "", "decimal"))
    for node_id, points in submission.self_scores.items():
        if points is not None:
            values[f"s.{node_id}"] = fmt(points)
    for node_id, entries in submission.evidence.items():
        for i, entry in enumerate(entries[:MAX_EVIDENCE]):
            for part in EVIDENCE_PARTS:
                text = getattr(entry, part)
                if text:
                    values[f"e:{node_id}:{i}:{part}"] = text
    return values


def field_for(where: dict[int, str], path: str, line: int) -> str:
    """The form field a located problem is about: by its path (facts.x, self_scores.x, agency.name),
    else by the line it points at; "" for the whole file."""
    head, _, rest = path.partition(".")
    if head == "facts" and rest:
        return f"f.{rest}"
    if head == "self_scores" and rest:
        return f"s.{rest}"
    if head == "agency" and rest in ("name", "region", "level", "contact"):
        return path
    if head in HEAD_FIELDS and not rest:
        return head
    return where.get(line, "")
