"""Reading a filled-in workbook back: the same plain data the YAML loader gives, located at cells.

:func:`read_workbook` checks the zip container (:mod:`.limits`), reads the stamp, finds the
rubric the way a YAML file's ``rubric:`` is resolved, then reads every input cell of the
rubric's :mod:`.layout`. The result is a :class:`scoring.yamlio.Document` whose positions are
the cells (``Document.cells``), so every check the YAML route makes — types, ranges, required
facts, consistency checks, the self-score total, the self-audit — runs unchanged and each
problem reads ``自评表.xlsx 统计表!D23（收到申请数）：…``. Nothing in the file is trusted:
formulas are reported, not evaluated; validation and protection may have been dropped by
another program and are not relied on.

How cells are read (the YAML loader's rules, plus what Excel users type):

* numbers: a number cell as it is; text in a number cell is trimmed, ASCII and full-width
  digits (``３０``) are read as the number, anything else (``三十``) is reported;
* 是/否: also √ ✓ 有 对 (是) and × ✗ 无 没有 (否), and Excel's TRUE/FALSE;
* dates: a date cell, or text ``2018-01-12``, ``2018/1/12``, ``2018.1.12``, ``2018年1月12日``;
* multiple choice: options separated by 、 , ， ; ； or line breaks; 无 for none of them
  (a blank cell is "not known", as ``~`` in YAML);
* leading and trailing spaces are removed everywhere except in free text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import warnings
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from .. import model as m
from ..errors import InputError, Problem
from ..numbers import MAX_SIGNIFICANT, bounded, fmt, significant_digits
from ..recover import Reading
from ..yamlio import Document, Path_
from . import layout as L
from .limits import check_container
from .stamp import Stamp, read_stamp

RubricFor = Callable[[Document], m.Rubric]
YES = {"是", "√", "✓", "✔", "有", "对", "true", "TRUE", "True"}
NO = {"否", "×", "✗", "✘", "无", "没有", "不是", "false", "FALSE", "False"}
NONE_CHOSEN = {"无", "（无）", "(无)", "没有", "都没有", "均无"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_DEC = re.compile(r"[-+]?(0|[1-9][0-9]*)\.[0-9]+")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_SPLIT = re.compile(r"[、,，;；\n]")
FORMULA = "单元格中是公式“{f}”：这里要直接填写内容，不能用公式（系统不会采用公式算出的值）；请复制后用“选择性粘贴 → 数值”粘回本单元格"


class _Cells:
    """Cell values of every sheet, read once: {sheet: {"D23": (value, data_type)}}."""

    def __init__(self, raw: bytes, file: str) -> None:
        from openpyxl import load_workbook

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not read
                wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=False, keep_links=False)
        except Exception:  # openpyxl raises many kinds on a damaged file; each means the same to a user
            raise InputError(
                Problem(
                    "工作簿无法打开（文件已损坏或不是 Excel 工作簿）；请用 Excel 或 WPS 重新保存为 .xlsx 后提交", file
                )
            ) from None
        self.sheets: dict[str, dict[str, tuple[Any, str]]] = {}
        try:
            for ws in wb.worksheets:
                values: dict[str, tuple[Any, str]] = {}
                for row in ws.iter_rows():
                    for cell in row:
                        if getattr(cell, "value", None) is not None:
                            values[cell.coordinate] = (cell.value, cell.data_type)
                self.sheets[ws.title] = values
        except Exception:
            raise InputError(
                Problem("工作簿内容无法读取（文件已损坏）；请用 Excel 或 WPS 重新保存为 .xlsx 后提交", file)
            ) from None
        finally:
            wb.close()

    def plain(self) -> dict[str, dict[str, object]]:
        return {s: {ref: v for ref, (v, _t) in cells.items()} for s, cells in self.sheets.items()}

    def get(self, sheet: str, ref: str) -> tuple[Any, str]:
        return self.sheets.get(sheet, {}).get(ref, (None, "n"))


def read_workbook(raw: bytes, file: str, rubric_for: RubricFor) -> tuple[Reading, m.Rubric]:
    """The workbook ``raw`` read as a :class:`Reading` of the rubric ``rubric_for`` resolves."""
    check_container(raw, file)
    cells = _Cells(raw, file)
    stamp = read_stamp(cells.plain())
    if stamp is None:
        raise InputError(
            Problem(
                "这不是本工具生成的自评表（找不到细则编号）；请用 scoring template 细则编号 --xlsx 生成的空白表填写，"
                "或把本表内容照填到空白表中",
                file,
            )
        )
    rubric = _rubric(stamp, file, rubric_for)
    reader = _Reader(cells, rubric, file)
    return reader.reading(hashlib.sha256(raw).hexdigest()), rubric


def inspect_workbook(raw: bytes, name: str, rubric_for: RubricFor) -> Any:
    """An uploaded workbook's bytes checked in one round: the :class:`scoring.diagnose.Inspection`
    ``validate`` prints (``.submission`` is None when invalid; ``.problems``, ``.missing``, then
    :func:`scoring.diagnose.audit` for the checks and self-audit). Raises InputError when the file
    cannot be read at all (not a workbook, macros, another rubric...)."""
    from ..diagnose import inspect_reading

    reading, _rubric = read_workbook(raw, name, rubric_for)
    return inspect_reading(reading, rubric_for)


def _rubric(stamp: Stamp, file: str, rubric_for: RubricFor) -> m.Rubric:
    where = "填报说明!B6" if not stamp.hidden else f"{L.STAMP}!B1"
    stub = Document(
        {"rubric": {"id": stamp.rubric_id, "version": stamp.rubric_version}},
        file,
        {(): (1, 1), ("rubric",): (1, 1), ("rubric", "id"): (1, 1), ("rubric", "version"): (1, 1)},
        cells={1: (where, "细则编号")},
    )
    made_for = f"本表是按评分细则“{stamp.rubric_id}”（版本 {stamp.rubric_version}）生成的"
    fix = f"请索取当前细则的空白表（scoring template {stamp.rubric_id} --xlsx），把内容照填后重新提交"
    try:
        rubric = rubric_for(stub)
    except InputError as exc:
        pinned = _current(stub, rubric_for, {})
        if pinned is not None:  # the evaluator named a rubric (--rubric, a batch pin)
            named = f"“{pinned.id}”（版本 {pinned.version}，{pinned.title}）"
            again = f"请索取该细则的空白表（scoring template {pinned.id} --xlsx），把内容照填后重新提交"
            raise InputError(
                Problem(f"{made_for}，而本次评分指定的细则是{named}，两者不能混用；{again}", file)
            ) from None
        current = _current(stub, rubric_for, {"rubric": {"id": stamp.rubric_id}})
        if current is not None:
            now = f"，而现行的是版本 {current.version}（{current.title}）"
            raise InputError(Problem(f"{made_for}{now}，旧表不能用于本次评分；{fix}", file)) from None
        reason = "；".join(p.message.rstrip("。") for p in exc.problems)
        raise InputError(Problem(f"{made_for}，无法使用：{reason}；{fix}", file)) from None
    if rubric.id != stamp.rubric_id or rubric.version != stamp.rubric_version:
        raise InputError(
            Problem(f"{made_for}，而本次使用的是“{rubric.id}”（版本 {rubric.version}，{rubric.title}）；{fix}", file)
        )
    if stamp.format and stamp.format != L.FORMAT_VERSION:
        raise InputError(
            Problem(f"{made_for}，表格格式版本为 {stamp.format}，本工具读取的是第 {L.FORMAT_VERSION} 版；{fix}", file)
        )
    return rubric


def _current(stub: Document, rubric_for: RubricFor, data: dict[str, Any]) -> m.Rubric | None:
    """The rubric ``rubric_for`` gives for ``data`` instead of the stamp: with no reference, the
    evaluator's pinned rubric; with the id alone, the registered one (an older workbook)."""
    try:
        return rubric_for(attrs.evolve(stub, data=data))
    except InputError:
        return None


class _Reader:
    def __init__(self, cells: _Cells, rubric: m.Rubric, file: str) -> None:
        self.cells = cells
        self.rubric = rubric
        self.file = file
        self.lay = L.layout(rubric)
        self.problems: list[Problem] = []
        self.positions: dict[Path_, tuple[int, int]] = {(): (1, 1), ("rubric",): (1, 1)}
        self.where: dict[int, tuple[str, str]] = {1: (f"{L.INFO}!B6", "细则编号")}
        self.line = 1

    def place(self, path: Path_, where: str, label: str = "") -> int:
        self.line += 1
        self.positions[path] = (self.line, 1)
        self.where[self.line] = (where, label)
        for i in range(1, len(path)):
            self.positions.setdefault(path[:i], (self.line, 1))
        return self.line

    def fail(self, line: int, path: Path_, label: str, message: str) -> None:
        self.problems.append(Problem(message, self.file, line, 1, _dotted(path), label, cell=self.where[line][0]))

    def reading(self, sha256: str) -> Reading:
        structure = self.check_structure()
        if structure:
            raise InputError(structure)
        data: dict[str, Any] = {"rubric": {"id": self.rubric.id, "version": self.rubric.version}}
        self.positions[("rubric", "id")] = self.positions[("rubric", "version")] = (1, 1)
        agency: dict[str, Any] = {}
        data["agency"] = agency
        facts: dict[str, Any] = {}
        scores: dict[str, Any] = {}
        for item in self.lay.inputs:
            label = item.fact.label if item.fact else (item.node.title if item.node else item.label)
            line = self.place(item.path, item.where, label)
            value, kind = self.cells.get(item.sheet, item.ref)
            if kind == "f" or (isinstance(value, str) and value.startswith("=") and kind == "f"):
                self.fail(line, item.path, label, FORMULA.format(f=str(value)[:60]))
                value = _FORMULA
            else:
                try:
                    value = self.value(item, value)
                except _Bad as bad:
                    self.fail(line, item.path, label, str(bad))
                    value = _FORMULA
            head = item.path[0]
            if head == "agency":
                if value is _FORMULA:
                    value = ""
                if value not in (None, "") or item.path[1] == "name":
                    agency[item.path[1]] = value or ""
            elif head == "facts":
                facts[item.path[1]] = None if value is _FORMULA else value
            elif head == "self_scores":
                scores[item.path[1]] = None if value is _FORMULA else value
            elif value is not _FORMULA and (value is not None or head in ("submitted", "self_total")):
                data[head] = value
        data["facts"] = facts
        data["self_scores"] = scores
        data["self_total"] = data.get("self_total")
        data["evidence"] = self.evidence()
        data.setdefault("remarks", "")
        keys = {p: pos for p, pos in self.positions.items() if p}
        doc = Document(data, self.file, dict(self.positions), keys, sha256, cells=dict(self.where))
        return Reading(doc, tuple(self.problems))

    def check_structure(self) -> list[Problem]:
        """Rows added, removed or moved: the labels are not where the layout puts them."""
        wanted = [(L.AGENCY, f"A{i.row}", i.label) for i in self.lay.agency]
        wanted += [(i.sheet, f"B{i.row}", i.fact.label) for i in self.lay.fact_inputs() if i.fact]
        wanted += [(L.SCORES, f"D{r.row}", _n(r.node.max)) for r in self.lay.scores]
        missing = sorted({s for s, _r, _l in wanted if s not in self.cells.sheets})
        if missing:
            return [
                Problem(
                    f"工作簿中缺少工作表“{'”“'.join(missing)}”（被删除或改名）；请用原表填写，不要删除或改名工作表",
                    self.file,
                )
            ]
        out = []
        for sheet, ref, label in wanted:
            value, _kind = self.cells.get(sheet, ref)
            found = _text(value).lstrip("* ").removesuffix("（必填）")
            if found != label:
                out.append(
                    Problem(
                        f"这里应为“{label}”，实际为“{_text(value)[:40]}”：表格的行被增删、移动或改动过，无法确定各数字属于哪一项；"
                        "请用原表填写（不要增删行、不要改动灰白色的文字），或重新索取空白表",
                        self.file,
                        cell=f"{sheet}!{ref}",
                    )
                )
            if len(out) >= 5:
                break
        return out

    def value(self, item: L.Input, value: Any) -> Any:
        kind = item.kind
        if isinstance(value, dt.time):
            raise _Bad("应填写内容，实际为时间")
        if kind in ("count", "integer", "decimal", "score", "total", "year"):
            return _number(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str):
                text = value.strip()
                if text in YES:
                    return "是"
                if text in NO:
                    return "否"
                if text:
                    raise _Bad(f"应填“是”或“否”（也可以填 √、有，或 ×、无），实际为“{text[:40]}”")
                return None
            return value if not isinstance(value, float) else _number(value)
        if kind == "date":
            return _date(value)
        if kind == "multi_choice":  # blank: not known; 无: none of the options
            text = _text(value).strip()
            if not text:
                return None
            if text in NONE_CHOSEN:
                return []
            return _choices(text, item.fact.options if item.fact else ())
        if kind in ("choice", "name", "short"):
            return _text(value).strip() or (None if kind == "choice" else "")
        # free text: verbatim (a number typed into a text cell becomes its digits)
        if value is None:
            return None
        return value if isinstance(value, str) else _text(value)

    def evidence(self) -> dict[str, list[dict[str, str]]]:
        ids = {c.split(" ", 1)[0] for c in self.lay.node_choices}
        sheet = self.cells.sheets.get(L.EVIDENCE, {})
        rows = sorted({int(re.sub(r"[A-Z]+", "", ref)) for ref in sheet if ref[0] in "ABCDE"})
        out: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            if row < self.lay.evidence_first:
                continue
            values = {col: self.cells.get(L.EVIDENCE, f"{col}{row}") for col in "ABCDE"}
            if all(v is None or _text(v).strip() == "" for v, _k in values.values()):
                continue
            choice = _text(values["A"][0]).strip()
            ident = choice.split(" ", 1)[0] if choice else ""
            entry: dict[str, str] = {}
            index = len(out.get(ident, []))
            path: Path_ = ("evidence", ident or "?", index)
            line = self.place(path, f"{L.EVIDENCE}!A{row}", "评分项")
            for col, field in zip("BCDE", L.EVIDENCE_FIELDS, strict=True):
                value, kind = values[col]
                if value is None or _text(value).strip() == "":
                    continue
                field_line = self.place((*path, field), f"{L.EVIDENCE}!{col}{row}", L.EVIDENCE_LABELS[field])
                if kind == "f":
                    self.fail(field_line, (*path, field), L.EVIDENCE_LABELS[field], FORMULA.format(f=str(value)[:60]))
                    continue
                entry[field] = _text(value) if not isinstance(value, str) else value.strip()
            if not ident:
                self.fail(line, path, "评分项", "这一行填了佐证材料，但没有选择评分项：请在 A 列从下拉列表中选择")
                continue
            if ident not in ids:
                self.fail(line, path, "评分项", f"不认识的评分项“{choice[:40]}”：请在 A 列从下拉列表中选择")
                continue
            out.setdefault(ident, []).append(entry)
        return out


class _Bad(Exception):
    pass


_FORMULA = object()


def _number(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Bad("应为数字，实际为错误值")
        # Excel keeps 15 significant digits: a computed cell's binary tail (0.30000000000000004) is not data
        number = bounded(Decimal(repr(value)))
        return int(number) if number == number.to_integral_value() and abs(number) < 10**15 else number
    if isinstance(value, dt.datetime | dt.date):
        raise _Bad(
            f"应为数字，实际为日期 {value:%Y-%m-%d}（单元格格式被设成了日期）：请把单元格格式改为“常规”后重新填写"
        )
    text = str(value).strip()
    if not text:
        return None
    if _INT.fullmatch(text):
        return int(text)
    if _DEC.fullmatch(text):
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if significant_digits(number) > MAX_SIGNIFICANT:  # the digits policy, as for YAML
            raise _Bad(f"数字的有效数字过多（超过 {MAX_SIGNIFICANT} 位）：{text[:40]}；请按实际精度填写")
        return number
    return text  # full-width digits and everything else: the YAML route's rules and messages


def _choices(text: str, options: tuple[str, ...]) -> list[str]:
    """Options in the order written; an option may itself contain 、 or a comma, so the known
    options are matched first (longest first), and only what matches none is split at separators."""
    out: list[str] = []
    rest = text
    by_length = sorted(options, key=len, reverse=True)
    while rest:
        rest = rest.lstrip("、,，;；\n \t\u3000")
        if not rest:
            break
        match = next(
            (o for o in by_length if rest.startswith(o) and (len(rest) == len(o) or rest[len(o)] in _SEPARATORS)), None
        )
        if match is None:
            found = _SPLIT.search(rest)
            match = rest[: found.start()] if found else rest
            out.append(match.strip())
        else:
            out.append(match)
        rest = rest[len(match) :]
    return [o for o in out if o]


_SEPARATORS = "、,，;；\n"


def _date(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        if 1 <= value < 2958466:
            return from_excel(value).date().isoformat()
        raise _Bad(f"应为日期，如 2018-01-12，实际为数字 {fmt(Decimal(repr(value)))}")
    text = str(value).strip()
    if not text:
        return None
    found = _DATE.fullmatch(text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    if found:
        year, month, day = (int(g) for g in found.groups())
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            raise _Bad(f"日期不存在：“{text}”") from None
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return fmt(Decimal(repr(value)).normalize()) if value == value else ""
    if isinstance(value, int | Decimal):
        return fmt(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value)


def _n(value: Decimal) -> str:
    return fmt(value)


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def submission_values(submission: m.Submission, rubric: m.Rubric) -> dict[str, Any]:
    """A typed submission as the plain data :func:`scoring.skeleton.skeleton` writes."""
    agency = attrs.asdict(submission.agency)
    return {
        "agency": agency,
        "year": submission.year,
        "submitted": submission.submitted,
        "facts": {f.id: _plain(submission.facts.get(f.id)) for f in rubric.facts},
        "self_scores": dict(submission.self_scores),
        "self_total": submission.self_total,
        "evidence": {k: [attrs.asdict(e) for e in v] for k, v in submission.evidence.items()},
        "remarks": submission.remarks,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def workbook_yaml(rubric: m.Rubric, submission: m.Submission) -> str:
    """The canonical YAML of a workbook's submission: ``scoring template``'s text with the values filled in."""
    from ..skeleton import skeleton

    return skeleton(rubric, "", submission_values(submission, rubric))


def is_workbook(path: str) -> bool:
    return str(path).lower().endswith((".xlsx", ".xlsm", ".xltx", ".xltm"))
