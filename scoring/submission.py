"""Self-evaluation submissions: a JSON Schema derived from the rubric, loading, typing.

The derived schema is what editors use for completion (``scoring schema``) and
what validation uses, so a wrong type, an unknown fact or a self-score above
the maximum is reported at its line and column with the fact's Chinese label.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import model as m
from .errors import Problem, SubmissionError
from .numbers import fmt
from .validation import make_validator, schema_problems
from .yamlio import Document, Path_, load_text, read_text

MAX_COUNT = 10**12
BOOL_WORDS = {"是": True, "否": False, True: True, False: False}

EVIDENCE_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "doc": {"type": "string", "maxLength": 500, "title": "文号或文件名称"},
            "url": {"type": "string", "maxLength": 2000, "title": "网址（只打印，不访问）"},
            "file": {"type": "string", "maxLength": 500, "title": "附件文件名"},
            "note": {"type": "string", "maxLength": 5000, "title": "说明"},
        },
    },
}


def fact_schema(fact: m.Fact) -> dict[str, Any]:
    description = "；".join(x for x in (fact.help, f"单位：{fact.unit}" if fact.unit else "") if x)
    base: dict[str, Any] = {"title": fact.label}
    if description:
        base["description"] = description
    low = fact.minimum
    high = fact.maximum
    if fact.type == "count":
        spec = {"type": "integer", "minimum": low if low is not None else 0, "maximum": high or MAX_COUNT}
    elif fact.type == "integer":
        spec = {"type": "integer", "minimum": low if low is not None else -MAX_COUNT, "maximum": high or MAX_COUNT}
    elif fact.type == "decimal":
        spec = {"type": "number", "minimum": low if low is not None else -MAX_COUNT, "maximum": high or MAX_COUNT}
    elif fact.type == "bool":
        spec = {"enum": [True, False, "是", "否"]}
    elif fact.type == "date":
        spec = {
            "type": "string",
            "format": "date",
            "pattern": r"^\d{4}-\d{2}-\d{2}$",
            "description": '日期，写成 "2018-01-12"（加引号）',
        }
    elif fact.type == "choice":
        spec = {"enum": list(fact.options)}
    elif fact.type == "multi_choice":
        spec = {"type": "array", "items": {"enum": list(fact.options)}, "uniqueItems": True}
    else:
        spec = {"type": "string", "maxLength": 5000}
    return {**spec, **base}


def submission_schema(rubric: m.Rubric) -> dict[str, Any]:
    """The JSON Schema of a submission to ``rubric`` (plain JSON types, for editors)."""
    nodes = rubric.all_nodes()
    facts = {f.id: _jsonable(fact_schema(f)) for f in rubric.facts}
    scores = {
        n.id: {
            "type": ["number", "null"],
            "minimum": 0,
            "maximum": _jsonable(n.max),
            "title": f"{n.title}（满分 {fmt(n.max)}）",
        }
        for n in nodes
    }
    evidence = {n.id: {**EVIDENCE_SCHEMA, "title": f"{n.title} 的佐证材料"} for n in nodes}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{rubric.title}（{rubric.version}）自评材料",
        "type": "object",
        "additionalProperties": False,
        "required": ["rubric", "agency", "year", "facts"],
        "properties": {
            "rubric": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "version"],
                "title": "对应的评分细则",
                "properties": {
                    "id": {"const": rubric.id, "title": "细则编号"},
                    "version": {"type": ["string", "number"], "title": "细则版本"},
                },
            },
            "agency": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "title": "被考核单位",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200, "title": "单位名称"},
                    "region": {"type": "string", "maxLength": 200, "title": "所属地区"},
                    "level": {"type": "string", "maxLength": 100, "title": "层级"},
                    "code": {"type": "string", "maxLength": 50, "title": "统一社会信用代码或单位编码"},
                },
            },
            "year": {"type": "integer", "minimum": 1990, "maximum": 2100, "title": "考核年度"},
            "submitted": {
                "type": ["string", "null"],
                "format": "date",
                "title": "报送日期",
                "description": '写成 "2018-01-12"（加引号）',
            },
            "facts": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "properties": facts,
                "title": "填报数据",
            },
            "self_scores": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "properties": scores,
                "title": "自评分",
            },
            "self_total": {"type": ["number", "null"], "minimum": 0, "title": "自评总分（如填写）"},
            "evidence": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "properties": evidence,
                "title": "佐证材料",
            },
            "remarks": {"type": ["string", "null"], "maxLength": 20000, "title": "备注"},
        },
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@lru_cache(maxsize=32)
def _validator_for(rubric_key: tuple[str, str, str], schema_json: str) -> Any:
    import json

    return make_validator(json.loads(schema_json))


def validator_for(rubric: m.Rubric) -> Any:
    import json

    schema_json = json.dumps(submission_schema(rubric), ensure_ascii=False, sort_keys=True)
    return _validator_for((rubric.id, rubric.version, rubric.sha256), schema_json)


def peek_rubric_ref(doc: Document) -> tuple[str, str] | None:
    """The (id, version) a submission names, if it names one."""
    data = doc.data
    if isinstance(data, dict) and isinstance(data.get("rubric"), dict):
        ref = data["rubric"]
        if isinstance(ref.get("id"), str):
            return ref["id"], str(ref.get("version", ""))
    return None


def load_submission(path: str | Path, rubric: m.Rubric) -> tuple[m.Submission, list[Problem]]:
    text = read_text(path)
    return submission_from_text(text, rubric, str(path))


def submission_from_text(text: str, rubric: m.Rubric, file: str = "<submission>") -> tuple[m.Submission, list[Problem]]:
    doc = load_text(text, file)
    submission, missing = submission_from_document(doc, rubric)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    import attrs

    return attrs.evolve(submission, sha256=digest), missing


def submission_from_document(doc: Document, rubric: m.Rubric) -> tuple[m.Submission, list[Problem]]:
    """Validate and type a submission. Returns it with the missing required facts
    (located problems the caller reports); raises SubmissionError if it is invalid."""
    data = doc.data
    if not isinstance(data, dict):
        raise SubmissionError(doc.problem((), "自评材料文件的最外层应为“名称: 值”形式的映射（例如 agency:、facts:）"))
    ref = peek_rubric_ref(doc)
    if ref and ref[0] != rubric.id:
        raise SubmissionError(
            doc.problem(
                ("rubric", "id"), f"本材料对应的评分细则是“{ref[0]}”，而所用细则是“{rubric.id}”（{rubric.title}）"
            )
        )

    def label_for(path: Path_) -> str:
        if len(path) >= 2 and path[0] == "facts" and path[1] in rubric.fact_index:
            return rubric.fact_index[str(path[1])].label
        if len(path) >= 2 and path[0] in ("self_scores", "evidence") and path[1] in rubric.node_index:
            return rubric.node_index[str(path[1])].title
        return {
            "agency": "被考核单位",
            "year": "考核年度",
            "submitted": "报送日期",
            "facts": "填报数据",
            "self_scores": "自评分",
            "self_total": "自评总分",
            "rubric": "评分细则",
        }.get(str(path[0]) if len(path) == 1 else "", "")

    cleaned = _drop_blank_facts(data)
    problems = schema_problems(
        Document(cleaned, doc.file, doc.positions, doc.key_positions), validator_for(rubric), label_for
    )
    if problems:
        raise SubmissionError(problems)
    facts = {k: _typed(rubric.fact_index[k], v) for k, v in (cleaned.get("facts") or {}).items()}
    line, column = doc.locate_key(("facts",))
    missing = [
        Problem(f"必填项“{f.label}”没有填写", doc.file, line, column, f"facts.{f.id}", f.label)
        for f in rubric.facts
        if f.required and f.id not in facts
    ]
    agency = data["agency"]
    scores = {k: Decimal(v) for k, v in (data.get("self_scores") or {}).items() if v is not None}
    evidence = {
        k: tuple(m.Evidence(**{f: str(e.get(f, "")) for f in ("doc", "url", "file", "note")}) for e in v)
        for k, v in (data.get("evidence") or {}).items()
        if v
    }
    submitted = data.get("submitted")
    version = data["rubric"]["version"] if isinstance(data.get("rubric"), dict) else rubric.version
    return (
        m.Submission(
            rubric_id=rubric.id,
            rubric_version=str(version),
            agency=m.Agency(agency["name"], agency.get("region", ""), agency.get("level", ""), agency.get("code", "")),
            year=data["year"],
            facts=facts,
            self_scores=scores,
            submitted=dt.date.fromisoformat(submitted) if submitted else None,
            self_total=None if data.get("self_total") is None else Decimal(data["self_total"]),
            evidence=evidence,
            remarks=data.get("remarks") or "",
            file=doc.file,
        ),
        missing,
    )


def _drop_blank_facts(data: dict[str, Any]) -> dict[str, Any]:
    facts = data.get("facts")
    if not isinstance(facts, dict):
        return data
    return {**data, "facts": {k: v for k, v in facts.items() if v is not None and v != ""}}


def _typed(fact: m.Fact, value: Any) -> Any:
    if fact.type in ("count", "integer"):
        return int(value)
    if fact.type == "decimal":
        return Decimal(value)
    if fact.type == "bool":
        return BOOL_WORDS[value]
    if fact.type == "date":
        return dt.date.fromisoformat(value)
    if fact.type == "multi_choice":
        return tuple(value)
    return value
