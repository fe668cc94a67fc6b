"""Self-evaluation submissions: a JSON Schema derived from the rubric, loading, typing.

The derived schema is what editors use for completion (``scoring schema``) and
what validation uses, so a wrong type, an unknown fact or a self-score above
the maximum is reported at its line and column with the fact's Chinese label.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import weakref
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import attrs

from . import model as m
from .errors import Problem, SubmissionError
from .numbers import decimal_places, fmt
from .typing_fixes import ODD_SPACES, char_name, date_hint, full_width_number, hidden_chars, number_hint, show_hidden
from .validation import make_validator, schema_problems
from .yamlio import Document, Path_, load_file, load_text

MAX_COUNT = 10**12
# a date that exists (leap years included), so that editors, which check "format" by shape only,
# refuse 2018-02-30 as the tool does
DATE_PATTERN = (
    r"^(?!0000)\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))$|^(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29$"
)
# what completing a key inserts as its value: blank, never the editor's own default 0 (0 is a real figure)
BLANK_SNIPPET = [{"label": "~（未填写）", "body": "~"}]
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


def fact_schema(fact: m.Fact, blank: bool = False, uses: list[m.Node] | None = None) -> dict[str, Any]:
    """The JSON Schema of one fact's value; ``blank`` also accepts null (``~``, the template's placeholder)."""
    base: dict[str, Any] = {"title": fact.label, **_descriptions(fact_lines(fact, uses or []))}
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
        spec = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
    elif fact.type == "choice":
        spec = {"enum": list(fact.options)}
    elif fact.type == "multi_choice":
        spec = {"type": "array", "items": {"enum": list(fact.options)}, "uniqueItems": True}
    else:
        spec = {"type": "string", "maxLength": 5000}
    if blank:
        if "enum" in spec:
            spec["enum"] = [*spec["enum"], None]
        else:
            spec["type"] = [spec["type"], "null"]
        spec["defaultSnippets"] = BLANK_SNIPPET
        # the editor's own words for a wrong type or option ("Incorrect type…") name neither field nor fix
        spec["errorMessage"] = f"“{fact.label}”应填{_kind(fact)}；不知道的写 ~"
    return {**spec, **base}


def _kind(fact: m.Fact) -> str:
    if fact.type == "bool":
        return "“是”或“否”"
    if fact.type == "date":
        return '日期，写成 "2018-01-12"（加引号）'
    if fact.options:
        return m.FACT_TYPES[fact.type] + "：" + " / ".join(fact.options)
    return m.FACT_TYPES[fact.type]


def fact_uses(rubric: m.Rubric) -> dict[str, list[m.Node]]:
    """For each fact, the scoring nodes whose rules read it (in rubric order)."""
    from .engine import rule_expressions

    uses: dict[str, list[m.Node]] = {}
    for node in rubric.all_nodes():
        for e in rule_expressions(node.rule):
            if e is not None:
                for name in sorted(e.reads):
                    uses.setdefault(name, []).append(node)
    return uses


def fact_lines(fact: m.Fact, uses: list[m.Node]) -> list[str]:
    """What an editor shows for a fact: its label and kind first, then help, uses, how to leave it blank."""
    kind = m.FACT_TYPES[fact.type]
    if fact.options:
        kind += "：" + " / ".join(fact.options)
    unit = f"，单位：{fact.unit}" if fact.unit else ""
    need = "，必填" if fact.required else ""
    lines = [f"{fact.label}（{kind}{unit}{need}）"]
    if fact.help:
        lines.append(f"说明：{fact.help}")
    if fact.type == "date":
        lines.append('日期写成 "2018-01-12"（加引号）')
    if uses:
        names = "；".join(f"{n.id} {n.title}" for n in uses[:4])
        lines.append(f"用于评分：{names}" + (f" 等 {len(uses)} 项" if len(uses) > 4 else ""))
    lines.append("不知道的写 ~（表示未填写，与 0 不同）" + ("；必填项不要删除" if fact.required else ""))
    return lines


def node_lines(node: m.Node) -> list[str]:
    """What an editor shows for a self-score key: title and maximum first, then the criteria text."""
    lines = [f"{node.title}（满分 {fmt(node.max)} 分）"]
    if node.text and node.text != node.title:
        lines.append(f"评分标准：{node.text}")
    if node.evidence:
        lines.append(f"佐证材料：{node.evidence}")
    return lines


_MARKDOWN = re.compile(r"([\\`*_\[\]<>#!|~])")  # links, images, HTML, emphasis, code, tables


def _descriptions(lines: list[str]) -> dict[str, str]:
    """``description`` (plain) and ``markdownDescription`` (first line bold). Rubric text is escaped,
    so a rubric cannot put links or remote images into the editor's hover and completion panes."""
    escaped = [_MARKDOWN.sub(r"\\\1", line) for line in lines]
    return {
        "description": "\n".join(lines),
        "markdownDescription": "\n\n".join([f"**{escaped[0]}**", *escaped[1:]]),
    }


def submission_schema(rubric: m.Rubric, for_tool: bool = False) -> dict[str, Any]:
    """The JSON Schema of a submission to ``rubric`` (plain JSON types), as editors use it.

    It accepts what the tool accepts: blank (``~``) wherever the tool reads it as "not filled in",
    and it lists the required facts, so deleting one is flagged in the editor. ``for_tool`` leaves
    the required facts out: the tool reports unfilled ones itself (blank or deleted alike), as
    reminders at their lines, and scores the rest.
    """
    nodes = rubric.all_nodes()
    uses = fact_uses(rubric)
    facts = {f.id: _jsonable(fact_schema(f, blank=True, uses=uses.get(f.id, []))) for f in rubric.facts}
    required = [] if for_tool else [f.id for f in rubric.facts if f.required]
    scores = {
        n.id: {
            "type": ["number", "null"],
            "minimum": 0,
            "maximum": _jsonable(n.max),
            "title": f"{n.title}（满分 {fmt(n.max)}）",
            "defaultSnippets": BLANK_SNIPPET,
            "errorMessage": f"“{n.title}”的自评分应填数字（满分 {fmt(n.max)} 分）；不填的写 ~",
            **_descriptions(node_lines(n)),
        }
        for n in nodes
    }
    evidence = {
        n.id: {
            **EVIDENCE_SCHEMA,
            "title": f"{n.title} 的佐证材料",
            **_descriptions([f"{n.title} 的佐证材料", *([f"应提供：{n.evidence}"] if n.evidence else [])]),
        }
        for n in nodes
    }
    schema = {
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
                    # blank in a fresh template; the tool reports it as an unfilled required item
                    "name": {"type": "string", "maxLength": 200, "title": "单位名称"},
                    "region": {"type": "string", "maxLength": 200, "title": "所属地区"},
                    "level": {"type": "string", "maxLength": 100, "title": "层级"},
                    "code": {"type": "string", "maxLength": 50, "title": "统一社会信用代码或单位编码"},
                    "contact": {"type": "string", "maxLength": 200, "title": "联系人及电话"},
                },
            },
            "year": {"type": "integer", "minimum": 1990, "maximum": 2100, "title": "考核年度"},
            "submitted": {
                "type": ["string", "null"],
                "format": "date",
                "pattern": DATE_PATTERN,
                "errorMessage": '报送日期应写成 "2018-01-12"（加引号，须是存在的日期）；不知道的写 ~',
                "title": "报送日期",
            },
            "facts": {
                "type": ["object", "null"],
                "additionalProperties": False,
                **({"required": required} if required else {}),
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
    top = schema["properties"]
    for path, lines in FIELD_HELP.items():
        spot = top
        for part in path[:-1]:
            spot = spot[part]["properties"]
        spot[path[-1]].update(_descriptions(lines))
    return schema


# what the editor shows for the fixed fields (the Chinese name first, as for facts)
FIELD_HELP: dict[tuple[str, ...], list[str]] = {
    ("rubric",): ["对应的评分细则", "模板已填好，不要修改"],
    ("agency",): ["被考核单位"],
    ("agency", "name"): ["单位名称（必填）", '单位全称；模板中的空白 "" 由 scoring validate 提醒填写'],
    ("agency", "region"): ["所属地区", "如 内蒙古自治区鄂尔多斯市鄂托克前旗"],
    ("agency", "level"): ["层级", "如 旗县级部门"],
    ("agency", "code"): ["统一社会信用代码或单位编码", '加引号，如 "010"'],
    ("agency", "contact"): ["联系人及电话", "填报联系人姓名和电话，如 张三 0477-1234567（选填）"],
    ("year",): ["考核年度", "整数，如 2017"],
    ("submitted",): ["报送日期", '写成 "2018-01-12"（加引号）；不知道的写 ~'],
    ("facts",): ["填报数据", "事实编号: 值；不知道的写 ~（与 0 不同），必填项不要删除"],
    ("self_scores",): ["自评分", "评分项编号: 分数；不填的写 ~"],
    ("self_total",): ["自评总分（如填写）", "评分表“总分”栏填了的照填，系统会核对合计；没填的写 ~"],
    ("evidence",): ["佐证材料", "评分项编号 → 文号（doc）、网址（url）、附件名（file）、说明（note）"],
    ("remarks",): ["备注", "其他需要说明的情况"],
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

    return make_validator(json.loads(schema_json), check=False)  # derived: tests check it against the metaschema


_VALIDATORS: dict[int, tuple[weakref.ref[m.Rubric], Any]] = {}


def validator_for(rubric: m.Rubric) -> Any:
    """The tool's validator for ``rubric``, built once per rubric object (the schema with its
    descriptions is ~250 KB of JSON for the 2017 rubric: not to be rebuilt for each submission)."""
    import json

    entry = _VALIDATORS.get(id(rubric))
    if entry is not None and entry[0]() is rubric:
        return entry[1]
    schema_json = json.dumps(submission_schema(rubric, for_tool=True), ensure_ascii=False, sort_keys=True)
    validator = _validator_for((rubric.id, rubric.version, rubric.sha256), schema_json)
    ident = id(rubric)
    _VALIDATORS[ident] = (weakref.ref(rubric, lambda _: _VALIDATORS.pop(ident, None)), validator)
    return validator


def peek_rubric_ref(doc: Document) -> tuple[str, str] | None:
    """The (id, version) a submission names, if it names one."""
    data = doc.data
    if isinstance(data, dict) and isinstance(data.get("rubric"), dict):
        ref = data["rubric"]
        if isinstance(ref.get("id"), str):
            return ref["id"], str(ref.get("version", ""))
    return None


def load_submission(path: str | Path, rubric: m.Rubric) -> tuple[m.Submission, list[Problem]]:
    doc = load_file(path)  # read once: the recorded SHA-256 is of the bytes scored
    submission, missing = submission_from_document(doc, rubric)
    import attrs

    return attrs.evolve(submission, sha256=doc.sha256), missing


def submission_from_text(text: str, rubric: m.Rubric, file: str = "<submission>") -> tuple[m.Submission, list[Problem]]:
    doc = load_text(text, file)
    submission, missing = submission_from_document(doc, rubric)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    import attrs

    return attrs.evolve(submission, sha256=digest), missing


def submission_from_document(doc: Document, rubric: m.Rubric) -> tuple[m.Submission, list[Problem]]:
    """Validate and type a submission. Returns it with the missing required facts
    (located problems the caller reports); raises SubmissionError if it is invalid
    (with the missing required facts too: one round of messages, not two)."""
    submission, problems, missing = check_document(doc, rubric)
    if submission is None:
        raise SubmissionError(sorted(problems + missing, key=lambda p: (p.line or MAX_COUNT, p.column)))
    return submission, missing


def check_document(doc: Document, rubric: m.Rubric) -> tuple[m.Submission | None, list[Problem], list[Problem]]:
    """Every problem of a submission at once: (the typed submission or None, the problems
    that make it invalid, the missing required facts). A workbook's problems are at its cells."""
    try:
        submission, problems, missing = _check_document(doc, rubric)
    except SubmissionError as exc:
        raise SubmissionError(doc.relocated(exc.problems)) from None
    return submission, doc.relocated(problems), doc.relocated(missing)


def _check_document(doc: Document, rubric: m.Rubric) -> tuple[m.Submission | None, list[Problem], list[Problem]]:
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

    label_for = labeller(rubric)
    typed, problems = typing_problems(doc, data, rubric, label_for)
    problems += schema_problems(attrs.evolve(doc, data=typed), validator_for(rubric), label_for)
    problems += places_problems(doc, typed, rubric, label_for)
    problems = sorted(problems, key=lambda p: (p.line or MAX_COUNT, p.column))  # "另有 N 个问题" stays last
    written = data.get("facts")
    meant = _meant_facts(written, rubric) if isinstance(written, dict) else set()
    missing = (  # no facts: mapping at all is the schema's message, not one per fact
        [
            missing_fact(doc, f)
            for f in rubric.facts
            if f.required and _blank(f, (written or {}).get(f.id)) and f.id not in meant
        ]
        if isinstance(written, dict) or (written is None and "facts" in data)
        else []
    )
    agency = data.get("agency")
    if isinstance(agency, dict) and isinstance(agency.get("name"), str):
        missing = _blank_agency_name(doc, agency) + missing
    if problems:
        return None, problems, missing
    cleaned = _drop_blank_facts(typed, rubric)
    facts = {k: _typed(rubric.fact_index[k], v) for k, v in (cleaned.get("facts") or {}).items()}
    agency = data["agency"]
    scores = {k: Decimal(v) for k, v in (cleaned.get("self_scores") or {}).items() if v is not None}
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
            agency=m.Agency(
                agency["name"],
                agency.get("region", ""),
                agency.get("level", ""),
                agency.get("code", ""),
                agency.get("contact", ""),
            ),
            year=cleaned["year"],
            facts=facts,
            self_scores=scores,
            submitted=dt.date.fromisoformat(submitted) if submitted else None,
            self_total=None if cleaned.get("self_total") is None else Decimal(cleaned["self_total"]),
            evidence=evidence,
            remarks=data.get("remarks") or "",
            file=doc.file,
        ),
        [],
        missing,
    )


def places_problems(doc: Document, data: Any, rubric: m.Rubric, label_for: Any) -> list[Problem]:
    """Points written with more decimals than the rubric's rounding keeps (``2.25`` when it keeps one):
    the tool would otherwise compare and total digits no scorecard can show."""
    if not isinstance(data, dict):
        return []
    found: list[tuple[Path_, Any]] = []
    scores = data.get("self_scores")
    if isinstance(scores, dict):
        found += [(("self_scores", k), v) for k, v in scores.items()]
    found.append((("self_total",), data.get("self_total")))
    return [
        doc.problem(path, points_places_message(value, rubric.places), label_for(path))
        for path, value in found
        if isinstance(value, Decimal) and decimal_places(value) > rubric.places
    ]


def points_places_message(value: Decimal, places: int) -> str:
    keeps = f"保留 {places} 位小数" if places else "只计整数分"
    return f"分数 {fmt(value)} 的小数位数多于评分细则的计分精度（{keeps}）；请按细则的精度填写"


def missing_fact(doc: Document, fact: m.Fact) -> Problem:
    """A required fact left blank: at its placeholder (``fact: ~``) if the line is there, else at ``facts:``."""
    line, column = doc.key_positions.get(("facts", fact.id)) or doc.locate_key(("facts",))
    row = f"（统计表第 {fact.row} 行）" if fact.row else ""
    return Problem(f"必填项“{fact.label}”{row}没有填写", doc.file, line, column, f"facts.{fact.id}", fact.label)


_TOP_LABELS = {
    "agency": "被考核单位",
    "year": "考核年度",
    "submitted": "报送日期",
    "facts": "填报数据",
    "self_scores": "自评分",
    "self_total": "自评总分",
    "rubric": "评分细则",
    "evidence": "佐证材料",
    "remarks": "备注",
}


def labeller(rubric: m.Rubric) -> Any:
    """The Chinese label of the field at a path: a fact's label, a node's title, or the schema's title."""
    schema: dict[str, Any] = {}  # built on first need: labels are asked for only when there is a problem

    def label_for(path: Path_) -> str:
        if len(path) >= 2 and path[0] == "facts" and path[1] in rubric.fact_index:
            return rubric.fact_index[str(path[1])].label
        if len(path) >= 2 and path[0] in ("self_scores", "evidence") and path[1] in rubric.node_index:
            return rubric.node_index[str(path[1])].title
        if len(path) == 1:
            return _TOP_LABELS.get(str(path[0]), "")
        if not schema:
            schema.update(submission_schema(rubric))
        node: Any = schema
        for part in path:
            props = node.get("properties") if isinstance(node, dict) else None
            if not isinstance(props, dict) or part not in props:
                return ""
            node = props[part]
        return str(node.get("title", "")) if isinstance(node, dict) else ""

    return label_for


def typing_problems(doc: Document, data: Any, rubric: m.Rubric, label_for: Any) -> tuple[Any, list[Problem]]:
    """Chinese-typing mistakes in the values, explained before the schema would give a bare
    "expected a number" (:mod:`scoring.typing_fixes`). Full-width digits ``１２`` are read as 12;
    every other case is a problem, and the value is left out of the schema check."""
    if not isinstance(data, dict):
        return data, []
    problems: list[Problem] = []
    data = dict(data)

    def visit(section: dict[str, Any], path: Path_, kind: str) -> Any:
        value = section[path[-1]]
        if not isinstance(value, str):
            return value
        quoted = tuple(path) in doc.quoted
        if kind == "date":
            hint = date_hint(value)
        else:
            converted = None if quoted else full_width_number(value)
            if converted is not None:
                return Decimal(converted) if "." in converted else int(converted)
            hint = number_hint(value, quoted)
        if hint is None:
            return value
        problems.append(doc.problem(path, hint, label_for(path)))
        return _DROP

    facts = data.get("facts")
    if isinstance(facts, dict):
        facts = dict(facts)
        for key in list(facts):
            fact = rubric.fact_index.get(key)
            if fact is None:
                hint = _unknown_fact_hint(key, facts[key], rubric)
                if hint:
                    line, column = doc.locate_key(("facts", key))
                    problems.append(Problem(hint[0], doc.file, line, column, f"facts.{show_hidden(key)}", hint[1]))
                    del facts[key]
                continue
            kind = {"count": "number", "integer": "number", "decimal": "number", "date": "date"}.get(fact.type)
            if kind:
                facts[key] = visit(facts, ("facts", key), kind)
        data["facts"] = {k: v for k, v in facts.items() if v is not _DROP}
    scores = data.get("self_scores")
    if isinstance(scores, dict):
        scores = {k: visit(scores, ("self_scores", k), "number") for k in scores}
        data["self_scores"] = {k: v for k, v in scores.items() if v is not _DROP}
    for key, kind in (("self_total", "number"), ("year", "number"), ("submitted", "date")):
        if key in data:
            data[key] = visit(data, (key,), kind)
            if data[key] is _DROP:  # explained above; a stand-in the schema accepts, so it is not reported twice
                data[key] = None if key != "year" else 2000
    return data, problems


_DROP = object()


def _meant_facts(written: dict[str, Any], rubric: m.Rubric) -> set[str]:
    """The facts that unknown keys were meant to be (a typo, a Chinese label): their "unknown
    name; did you mean" message already covers them, so they are not reported missing too."""
    ids = list(rubric.fact_index)
    meant: set[str] = set()
    for key in written:
        if key in rubric.fact_index:
            continue
        bare = "".join(c for c in key if c not in hidden_chars(key)).strip()
        close = difflib.get_close_matches(bare, ids, n=1, cutoff=0.6)
        labels = [
            f.id for f in rubric.facts if _squeeze(bare) in (_squeeze(f.label), _squeeze(_PAREN.sub("", f.label)))
        ]
        meant.update(close or labels or ([bare] if bare in rubric.fact_index else []))
    return meant


def _unknown_fact_hint(key: str, value: Any, rubric: m.Rubric) -> tuple[str, str] | None:
    """(message, label) for an unknown fact key that is a fact's Chinese label (as the review
    loader matches titles), or a fact id with invisible characters in it."""
    hidden = hidden_chars(key)
    bare = "".join(c for c in key if c not in hidden).strip()
    shown_value = "值" if value is None or isinstance(value, dict | list) else _plain(value)
    if hidden and bare in rubric.fact_index:
        shown = "、".join(char_name(c) for c in hidden)
        what = "空格" if all(ODD_SPACES.match(c) for c in hidden) else "看不见的字符"
        message = f"名称“{show_hidden(key)}”中有{what} {shown}（从网页、微信复制时常见）；请删除，写成“{bare}”"
        return message, rubric.fact_index[bare].label
    if not _CJK.search(bare):
        return None
    by_label = [f for f in rubric.facts if _squeeze(bare) in (_squeeze(f.label), _squeeze(_PAREN.sub("", f.label)))]
    if by_label:
        return (
            f"“{bare}”是事实的中文名，这里要写它的编号：请写成“{by_label[0].id}: {shown_value}”"
            "（中文名可以写在 # 后面作注释）",
            "",
        )
    close = difflib.get_close_matches(bare, [f.label for f in rubric.facts], n=1, cutoff=0.75)
    if close:
        fact = next(f for f in rubric.facts if f.label == close[0])
        return (
            f"不认识的名称“{bare}”；它像是事实“{fact.label}”的中文名，这里要写编号：请写成“{fact.id}: {shown_value}”",
            "",
        )
    return None


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return fmt(value) if isinstance(value, int | Decimal) else str(value)


_CJK = re.compile(r"[\u3400-\u9fff]")
_PAREN = re.compile(r"（[^）]*）|\([^)]*\)")  # "总数（不同渠道发相同信息计1条）": the name without its note


def _squeeze(text: str) -> str:
    return re.sub(r"[\s（）()，,、：:]", "", text)


def _drop_blank_facts(data: dict[str, Any], rubric: m.Rubric) -> dict[str, Any]:
    """Facts left blank are not filled in: ``~`` for every kind, and ``""`` for text facts."""
    facts = data.get("facts")
    if not isinstance(facts, dict):
        return data
    kept = {k: v for k, v in facts.items() if v is not None and not (v == "" and rubric.fact_index[k].type == "text")}
    return {**data, "facts": kept}


def _blank(fact: m.Fact, value: Any) -> bool:
    """Not filled in: ``~`` (or nothing) for every kind, ``""`` for text facts (elsewhere ``""`` is a wrong value)."""
    return value is None or (value == "" and fact.type == "text")


def _blank_agency_name(doc: Document, agency: dict[str, Any]) -> list[Problem]:
    """The template leaves the name blank (``""``) so the editor shows no error; the tool reminds."""
    if agency["name"].strip():
        return []
    line, column = doc.locate(("agency", "name"))
    return [Problem("必填项“单位名称”没有填写", doc.file, line, column, "agency.name", "单位名称")]


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
