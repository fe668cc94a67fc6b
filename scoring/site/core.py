"""What the site does, without HTTP: rounds, bodies, drafts, checks, submission, review, downloads.

Every check is the CLI's: a draft is written as submission YAML and read by the same
:class:`scoring.cli.App` (``inspect`` + ``audit`` = ``scoring validate``; ``evaluate`` =
``scoring score``); an upload is saved to a temporary file and read by ``App.submission``
(the CLI's one "load a submission from a path"); reviews are review YAML read by
:func:`scoring.review.review_from_text`; downloads are written by :func:`scoring.batch.run_batch`.

Files under the data folder (names are ids only, never user text):
``rounds/<n>/rubric.yaml``, ``rounds/<n>/submitted/body-<id>.yaml`` (the submitted version),
``rounds/<n>/reviews/body-<id>.review.yaml``, ``rounds/<n>/output/`` (the last batch run).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sqlite3
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs

from .. import model as m
from ..cli import App
from ..errors import ExactPickle, Problem, ScoringError
from ..iofiles import write_atomic
from ..numbers import fmt
from ..registry import PROJECT_RUBRICS, Source
from ..result import Result
from ..rubric import is_rubric_document, rubric_from_document
from ..yamlio import load_bytes, load_text
from . import auth, db
from .forms import FormSpec, field_for, form_spec, from_submission, to_yaml

T = TypeVar("T")

MAX_UPLOAD = 2 * 1024 * 1024  # bytes: a rubric, a submission or a list of bodies
MAX_BODIES = 5000
# what a body may upload instead of typing: read by the CLI's loader (App.submission), which reads the
# rubric's Excel workbook (scoring/workbook/) as it reads YAML
UPLOAD_SUFFIXES = (".yaml", ".yml", ".xlsx")
MAX_ATTACHMENTS = 50  # per body
# kept as files for the office to download; none is ever opened, converted or shown inline
ATTACHMENT_SUFFIXES = (
    ".pdf",
    ".ofd",
    ".jpg",
    ".jpeg",
    ".png",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".wps",
    ".et",
    ".txt",
    ".zip",
)
STATUS = {"new": "未开始", "draft": "填报中", "submitted": "已提交", "returned": "已退回", "approved": "已核定"}
LOCKED = ("submitted", "approved")


class SiteError(ExactPickle, Exception):
    """A user mistake the page shows (Chinese, with the CLI's located problems when there are any)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@attrs.frozen
class Check:
    """``scoring validate`` on a draft, and ``scoring score`` when it can be scored."""

    yaml: str
    valid: bool  # can be scored
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    by_field: dict[str, list[str]]
    general: tuple[Problem, ...]  # problems about no one field
    fields: dict[Problem, str]  # the form field each problem is about ("" for none)
    result: Result | None
    summary: str  # validate's first line

    @property
    def lines(self) -> list[str]:
        return [str(p) for p in sorted([*self.errors, *self.warnings], key=lambda p: (p.line or 10**9, p.column))]


def shipped_rubrics() -> list[tuple[str, str, Path]]:
    """(id, title, path) of the rubrics that come with the project."""
    out = []
    for path in sorted(PROJECT_RUBRICS.glob("*.yaml")):
        try:
            doc = load_bytes(path.read_bytes(), path.name)
            if is_rubric_document(doc):
                rubric = rubric_from_document(doc)
                out.append((rubric.id, f"{rubric.title}（{rubric.version}）", path))
        except (ScoringError, OSError):
            continue
    return out


def _short(value: Any) -> str:
    """A field's value for the audit log: lists joined, long texts cut."""
    text = "、".join(value) if isinstance(value, list) else str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def body_file(body_id: int) -> str:
    return f"body-{int(body_id):04d}.yaml"


def read_upload(raw: bytes, name: str, read: Callable[[Path], T], refused: str) -> tuple[str, T]:
    """An uploaded file checked like a CLI input: suffix and size first, then ``read`` (a CLI loader)
    on a temporary copy that never carries the user's file name. Returns the name to show and what
    ``read`` gave; the loader's problems come back as a :class:`SiteError` naming the upload."""
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise SiteError(f"只接收 {' / '.join(UPLOAD_SUFFIXES)} 文件，实际为“{suffix or name[:40]}”")
    if len(raw) > MAX_UPLOAD:
        raise SiteError(f"文件超过 {MAX_UPLOAD // 1024 // 1024} MB，未接收")
    shown_name = Path(name).name[:100] or f"上传文件{suffix}"
    with tempfile.TemporaryDirectory(prefix="zwgk-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(raw)
        try:
            return shown_name, read(path)
        except ScoringError as exc:  # ReviewError is one too
            problems = [str(attrs.evolve(p, file=shown_name)) if p.file else str(p) for p in exc.problems]
            raise SiteError(f"{shown_name} 有 {len(problems)} 个问题，{refused}", problems) from None


class Site:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.db_path = data / "site.db"
        self._apps: dict[int, tuple[App, m.Rubric, FormSpec]] = {}
        self._lock = threading.Lock()
        self._render_lock = threading.Lock()
        self._renderer: Any = None

    # -- set-up ---------------------------------------------------------------------------------
    def init(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        db.migrate(self.db_path)

    def connect(self) -> sqlite3.Connection:
        return db.connect(self.db_path)

    def secret_path(self) -> Path:
        return self.data / "secret.key"

    def round_dir(self, round_id: int) -> Path:
        return self.data / "rounds" / str(int(round_id))

    # -- rubrics and the CLI's App per round ----------------------------------------------------
    def app(self, round_id: int) -> tuple[App, m.Rubric, FormSpec]:
        with self._lock:
            if round_id not in self._apps:
                path = self.round_dir(round_id) / "rubric.yaml"
                source = Source(str(path), path.read_bytes())
                app = App(io.StringIO(), io.StringIO(), [], pinned=source, defaults=False)
                rubric = app.rubrics.pinned_rubric()
                assert rubric is not None
                self._apps[round_id] = (app, rubric, form_spec(rubric))
            return self._apps[round_id]

    # -- rounds ---------------------------------------------------------------------------------
    def create_round(
        self, conn: sqlite3.Connection, user: Any, title: str, year: str, deadline: str, rubric_raw: bytes, name: str
    ) -> int:
        title = title.strip()
        if not title or len(title) > 200:
            raise SiteError("请填写考核名称（200 字以内）")
        try:
            year_n = int(year.strip())
            if not 1990 <= year_n <= 2100:
                raise ValueError
        except ValueError:
            raise SiteError(f"考核年度应为 1990–2100 之间的年份，实际为“{year.strip()[:20]}”") from None
        try:
            day = dt.date.fromisoformat(deadline.strip())
        except ValueError:
            raise SiteError(f"截止日期应写成 2018-01-31 这样，实际为“{deadline.strip()[:20]}”") from None
        if len(rubric_raw) > MAX_UPLOAD:
            raise SiteError(f"评分细则文件超过 {MAX_UPLOAD // 1024 // 1024} MB，未接收")
        try:
            doc = load_bytes(rubric_raw, name)
            if not is_rubric_document(doc):
                raise SiteError(f"{name}：这不是评分细则文件（应以 rubric: 开头，写明 id、version、title 等）")
            rubric = rubric_from_document(doc)
        except ScoringError as exc:
            raise SiteError(
                f"评分细则 {name} 有 {len(exc.problems)} 个问题，未创建", [str(p) for p in exc.problems]
            ) from None
        with db.transaction(conn):
            cur = conn.execute(
                "INSERT INTO rounds (title, year, deadline, rubric_id, rubric_version, rubric_title, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (title, year_n, day.isoformat(), rubric.id, rubric.version, rubric.title, db.now()),
            )
            round_id = int(cur.lastrowid or 0)
            folder = self.round_dir(round_id)
            for sub in ("submitted", "reviews"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
            write_atomic(folder / "rubric.yaml", rubric_raw)
            db.audit(conn, user, "创建考核", None, {"round": round_id, "title": title, "rubric": rubric.id})
        return round_id

    def import_bodies(
        self, conn: sqlite3.Connection, user: Any, round_id: int, raw: bytes, name: str, base_url: str
    ) -> list[dict[str, str]]:
        """Bodies from a CSV or XLSX list (名称, 地区, 层级, 联系人): each gets an account with a
        password and a one-time sign-in link, shown once (only their hashes are kept)."""
        if len(raw) > MAX_UPLOAD:
            raise SiteError(f"单位名单文件超过 {MAX_UPLOAD // 1024 // 1024} MB，未接收")
        rows = read_table(raw, name)
        made = []
        with db.transaction(conn):
            for row in rows:
                cur = conn.execute(
                    "INSERT INTO bodies (round_id, name, region, level, contact) VALUES (?, ?, ?, ?, ?)",
                    (round_id, row["name"], row["region"], row["level"], row["contact"]),
                )
                body_id = int(cur.lastrowid or 0)
                username = f"r{int(round_id)}-{body_id:04d}"
                password = auth.new_password()
                user_id = auth.create_user(conn, username, row["name"], "body", password, body_id)
                link = auth.new_sign_in_link(conn, user_id)
                made.append(
                    {"name": row["name"], "username": username, "password": password, "link": f"{base_url}link/{link}"}
                )
            db.audit(conn, user, "导入单位名单", None, {"round": round_id, "file": name[:100], "count": len(made)})
        return made

    # -- drafts and checks ----------------------------------------------------------------------
    def header(self, body: Any) -> str:
        return f"由政务公开考核评价填报系统生成：{body_file(body['id'])}"

    def check(self, round_id: int, year: int, body: Any, values: dict[str, Any]) -> Check:
        _app, rubric, _spec = self.app(round_id)
        text, where = to_yaml(rubric, year, values, self.header(body))
        return self.check_text(round_id, text, where, body_file(body["id"]))

    def check_text(self, round_id: int, text: str, where: dict[int, str], file: str) -> Check:
        from ..diagnose import audit, inspect
        from ..engine import evaluate

        app, rubric, _spec = self.app(round_id)
        try:
            # what App.inspect does with the round's rubric pinned, without parsing the pinned bytes again each time
            found = inspect(text, file, lambda doc: app.rubrics.for_submission(doc, rubric))
        except ScoringError as exc:
            return self._outcome(
                text, where, False, list(exc.problems), [], None, f"{file}: 无效（{len(exc.problems)} 个问题）"
            )
        if found.submission is None:
            problems = list(found.problems + found.missing)
            return self._outcome(text, where, False, problems, [], None, f"{file}: 无效（{len(problems)} 个问题）")
        result = evaluate(rubric, found.submission)
        checked = audit(found, result)
        errors = [*found.missing, *checked.errors]
        notes = f"，另有 {len(checked.warnings)} 条提醒" if checked.warnings else ""
        if errors:
            counts = [f"{len(found.missing)} 个必填项未填写"] if found.missing else []
            counts += [f"{len(checked.errors)} 个错误"] if checked.errors else []
            line = f"{file}: 格式正确，但有 {'、'.join(counts)}{notes}"
        else:
            line = f"{file}: 自评材料有效（评分细则 {rubric.id} {rubric.version}）{notes}"
        return self._outcome(text, where, True, errors, list(checked.warnings), result, line)

    def _outcome(
        self,
        text: str,
        where: dict[int, str],
        valid: bool,
        errors: list[Problem],
        warnings: list[Problem],
        result: Result | None,
        line: str,
    ) -> Check:
        by_field: dict[str, list[str]] = {}
        general = []
        fields = {}
        for p in [*errors, *warnings]:
            field = field_for(where, p.path, p.line)
            fields[p] = field
            if field:
                by_field.setdefault(field, []).append(p.message)
            else:
                general.append(p)
        return Check(text, valid, tuple(errors), tuple(warnings), by_field, tuple(general), fields, result, line)

    def body_values(self, body: Any) -> dict[str, Any]:
        if body["draft_values"]:
            return dict(json.loads(body["draft_values"]))
        return {
            "agency.name": body["name"],
            "agency.region": body["region"],
            "agency.level": body["level"],
            "agency.contact": body["contact"],
        }

    def save_draft(
        self, conn: sqlite3.Connection, user: Any, body_id: int, values: dict[str, Any]
    ) -> tuple[int, Check]:
        """Store a draft (the form's values and their YAML); refused once submitted. Returns the new revision."""
        query = (
            "SELECT bodies.*, rounds.year AS year FROM bodies JOIN rounds ON rounds.id = bodies.round_id"
            " WHERE bodies.id = ?"
        )
        body = conn.execute(query, (body_id,)).fetchone()
        checked = self.check(body["round_id"], body["year"], body, values)  # outside the write lock: the slow part
        with db.transaction(conn):
            body = conn.execute(query, (body_id,)).fetchone()  # the status as of now
            if body["status"] in LOCKED:
                raise SiteError("材料已提交，不能再修改；如需修改，请联系考核办退回")
            before = self.body_values(body)
            changed = sorted(k for k in set(before) | set(values) if before.get(k, "") != values.get(k, ""))
            status = "draft" if body["status"] == "new" else body["status"]
            rev = body["draft_rev"] + 1
            score = fmt(checked.result.final) if checked.result is not None else None
            conn.execute(
                "UPDATE bodies SET draft = ?, draft_values = ?, draft_rev = ?, draft_saved = ?, status = ?,"
                " provisional = ?, errors = ? WHERE id = ?",
                (
                    checked.yaml,
                    json.dumps(values, ensure_ascii=False, sort_keys=True),
                    rev,
                    db.now(),
                    status,
                    score,
                    len(checked.errors),
                    body_id,
                ),
            )
            if changed:
                changes = {k: [_short(before.get(k, "")), _short(values.get(k, ""))] for k in changed[:300]}
                db.audit(conn, user, "保存草稿", body_id, {"rev": rev, "changes": changes, "count": len(changed)})
        return rev, checked

    def import_upload(
        self, conn: sqlite3.Connection, user: Any, body_id: int, raw: bytes, name: str
    ) -> tuple[int, Check]:
        """An uploaded submission file: saved to a temporary file, read by the CLI's loader, then
        taken into the form as a draft. A file the CLI refuses is reported with its messages."""
        body = conn.execute(
            "SELECT bodies.*, rounds.year AS year FROM bodies JOIN rounds ON rounds.id = bodies.round_id"
            " WHERE bodies.id = ?",
            (body_id,),
        ).fetchone()
        app, _rubric, _spec = self.app(body["round_id"])
        shown_name, (_rubric_read, submission, _missing) = read_upload(
            raw, name, lambda path: app.submission(str(path), None), "未导入"
        )
        if submission.year != body["year"]:
            raise SiteError(f"{shown_name}：材料的考核年度是 {submission.year}，本次考核是 {body['year']} 年度，未导入")
        values = from_submission(submission)
        rev, checked = self.save_draft(conn, user, body_id, values)
        with db.transaction(conn):
            db.audit(conn, user, "上传材料", body_id, {"file": shown_name, "sha256": hashlib.sha256(raw).hexdigest()})
        return rev, checked

    def submit(self, conn: sqlite3.Connection, user: Any, body_id: int) -> Check:
        with db.transaction(conn):
            body = conn.execute(
                "SELECT bodies.*, rounds.year AS year FROM bodies JOIN rounds ON rounds.id = bodies.round_id"
                " WHERE bodies.id = ?",
                (body_id,),
            ).fetchone()
            if body["status"] in LOCKED:
                raise SiteError("材料已提交")
            checked = self.check(body["round_id"], body["year"], body, self.body_values(body))
            if not checked.valid or checked.errors:
                raise SiteError(
                    f"材料还有 {len(checked.errors)} 个问题，请改正后再提交", [str(p) for p in checked.errors]
                )
            assert checked.result is not None
            data = checked.yaml.encode("utf-8")
            write_atomic(self.round_dir(body["round_id"]) / "submitted" / body_file(body_id), data)
            sha = hashlib.sha256(data).hexdigest()
            conn.execute(
                "INSERT INTO submissions (body_id, yaml, sha256, submitted_at, by_user) VALUES (?, ?, ?, ?, ?)",
                (body_id, checked.yaml, sha, db.now(), user["id"]),
            )
            conn.execute(
                "UPDATE bodies SET status = 'submitted', submitted_at = ?, provisional = ?, errors = 0 WHERE id = ?",
                (db.now(), fmt(checked.result.final), body_id),
            )
            db.audit(conn, user, "提交材料", body_id, {"sha256": sha, "score": fmt(checked.result.final)})
        return checked

    def draft_workbook(self, body: Any) -> bytes:
        """What was entered, as the rubric's Excel workbook (``scoring template --xlsx``, filled in)."""
        from ..workbook.generate import workbook_bytes

        _app, rubric, _spec = self.app(body["round_id"])
        checked = self.check(body["round_id"], body["year"], body, self.body_values(body))
        return workbook_bytes(rubric, load_text(checked.yaml, body_file(body["id"])).data)

    # -- attachments (stored, listed, downloaded as files; never opened, rendered or fetched) -----------
    def attachment_path(self, body: Any, attachment_id: int) -> Path:
        return (
            self.round_dir(body["round_id"]) / "attachments" / body_file(body["id"])[:-5] / f"{int(attachment_id)}.bin"
        )

    def add_attachment(self, conn: sqlite3.Connection, user: Any, body: Any, raw: bytes, name: str) -> int:
        if body["status"] in LOCKED:
            raise SiteError("材料已提交，不能再添加附件")
        suffix = Path(name).suffix.lower()
        if suffix not in ATTACHMENT_SUFFIXES:
            raise SiteError(f"附件只接收 {'、'.join(ATTACHMENT_SUFFIXES)} 文件，实际为“{suffix or name[:40]}”")
        if len(raw) > MAX_UPLOAD:
            raise SiteError(f"附件超过 {MAX_UPLOAD // 1024 // 1024} MB，未接收")
        if not raw:
            raise SiteError("附件是空文件")
        shown = Path(name).name[:100]
        with db.transaction(conn):
            count = conn.execute("SELECT COUNT(*) FROM attachments WHERE body_id = ?", (body["id"],)).fetchone()[0]
            if count >= MAX_ATTACHMENTS:
                raise SiteError(f"每个单位最多上传 {MAX_ATTACHMENTS} 个附件")
            sha = hashlib.sha256(raw).hexdigest()
            cur = conn.execute(
                "INSERT INTO attachments (body_id, name, size, sha256, uploaded, by_user) VALUES (?, ?, ?, ?, ?, ?)",
                (body["id"], shown, len(raw), sha, db.now(), user["id"]),
            )
            attachment_id = int(cur.lastrowid or 0)
            write_atomic(self.attachment_path(body, attachment_id), raw)
            db.audit(conn, user, "上传附件", body["id"], {"name": shown, "size": len(raw), "sha256": sha})
        return attachment_id

    def remove_attachment(self, conn: sqlite3.Connection, user: Any, body: Any, attachment_id: int) -> None:
        if body["status"] in LOCKED:
            raise SiteError("材料已提交，不能再删除附件")
        with db.transaction(conn):
            row = conn.execute(
                "SELECT * FROM attachments WHERE id = ? AND body_id = ?", (attachment_id, body["id"])
            ).fetchone()
            if row is None:
                raise SiteError("没有这个附件")
            conn.execute("DELETE FROM attachments WHERE id = ?", (attachment_id,))
            self.attachment_path(body, attachment_id).unlink(missing_ok=True)
            db.audit(conn, user, "删除附件", body["id"], {"name": row["name"], "sha256": row["sha256"]})

    # -- review ---------------------------------------------------------------------------------
    def submitted(self, body: Any) -> tuple[Path, str]:
        path = self.round_dir(body["round_id"]) / "submitted" / body_file(body["id"])
        return path, path.read_text(encoding="utf-8")

    def review_path(self, body: Any) -> Path:
        return self.round_dir(body["round_id"]) / "reviews" / (body_file(body["id"])[: -len(".yaml")] + ".review.yaml")

    def scored(self, body: Any, with_review: bool = True) -> tuple[Result, Any]:
        """The submitted file scored as ``scoring render`` does (with its review, if any)."""
        from ..engine import evaluate
        from ..review import apply_review, review_from_text

        app, rubric, _spec = self.app(body["round_id"])
        path, _text = self.submitted(body)
        rubric, submission, _missing = app.submission(str(path), None)
        result = evaluate(rubric, submission)
        review = None
        rpath = self.review_path(body)
        if with_review and rpath.is_file():
            review = review_from_text(rpath.read_text(encoding="utf-8"), rubric, rpath.name)
            result = apply_review(result, review, rubric, submission)
        return result, review

    def import_review(self, conn: sqlite3.Connection, user: Any, body: Any, raw: bytes, name: str) -> Result:
        """An uploaded 核定表 (.xlsx) or review YAML: saved to a temporary file, read by the CLI's review
        loader, then stored exactly as a review entered in the page (:meth:`save_review`)."""
        from ..review import load_review

        _app, rubric, _spec = self.app(body["round_id"])
        shown_name, review = read_upload(raw, name, lambda path: load_review(path, rubric), "未读入")

        def text(value: Any) -> str:
            if isinstance(value, bool):
                return "是" if value else "否"
            if isinstance(value, dt.date):
                return value.isoformat()
            return "" if value is None else str(value)

        entries = {
            "nodes": {e.target: (text(e.value), e.reason) for e in review.nodes},
            "vetoes": {e.target: (bool(e.value), e.reason) for e in review.vetoes},
            "facts": {
                e.target: (
                    [text(v) for v in e.value] if isinstance(e.value, (list, tuple)) else text(e.value),
                    e.reason,
                )
                for e in review.facts
            },
        }
        result = self.save_review(conn, user, body, entries, review.remarks)
        with db.transaction(conn):
            db.audit(
                conn, user, "上传核定表", body["id"], {"file": shown_name, "sha256": hashlib.sha256(raw).hexdigest()}
            )
        return result

    def save_review(
        self, conn: sqlite3.Connection, user: Any, body: Any, entries: dict[str, Any], remarks: str
    ) -> Result:
        """Write the review file (checked by the CLI's review reader first) and score with it."""
        from ..engine import evaluate
        from ..review import apply_review, review_from_text
        from ..yamltext import quoted
        from .forms import _scalar

        app, rubric, _spec = self.app(body["round_id"])
        path, _text = self.submitted(body)
        _rubric, submission, _missing = app.submission(str(path), None)
        today = dt.date.today().isoformat()
        lines = [
            f"# 核定记录：{body_file(body['id'])}（由政务公开考核评价填报系统生成）",
            "review:",
            f"  rubric: {{id: {rubric.id}, version: {quoted(rubric.version)}}}",
            f"  submission: {body_file(body['id'])}",
            f"  agency: {quoted(submission.agency.name)}",  # as the submission names itself (checked on reading)
            f"  reviewer: {quoted(user['display'])}",
            f'  date: "{today}"',
            f"  remarks: {quoted(remarks.strip()[:2000])}",
        ]
        nodes = entries.get("nodes", {})
        vetoes = entries.get("vetoes", {})
        facts = entries.get("facts", {})
        if facts:
            from .forms import _fact_value

            lines.append("facts:")
            for fact_id, (value, reason) in facts.items():
                written = _fact_value(rubric.fact_index[fact_id], value)  # typed as in a submission; blank: no data
                lines += [
                    f"  {fact_id}:",
                    f"    value: {written if written is not None else '~'}",
                    f"    reason: {quoted(reason)}",
                ]
        if nodes:
            lines.append("nodes:")
            for node_id, (points, reason) in nodes.items():
                lines += [f"  {node_id}:", f"    points: {_scalar(points)}", f"    reason: {quoted(reason)}"]
        if vetoes:
            lines.append("vetoes:")
            for veto_id, (applies, reason) in vetoes.items():
                lines += [f"  {veto_id}:", f"    applies: {'是' if applies else '否'}", f"    reason: {quoted(reason)}"]
        text = "\n".join(lines) + "\n"
        path = self.review_path(body)
        try:
            review = review_from_text(text, rubric, path.name)
            apply_review(evaluate(rubric, submission), review, rubric, submission)  # also checks it fits the submission
        except ScoringError as exc:
            raise SiteError(
                f"核定内容有 {len(exc.problems)} 个问题，未保存", [p.message for p in exc.problems]
            ) from None
        with db.transaction(conn):
            write_atomic(path, text.encode("utf-8"))
            conn.execute(
                "INSERT INTO reviews (body_id, yaml, saved) VALUES (?, ?, ?)"
                " ON CONFLICT(body_id) DO UPDATE SET yaml = excluded.yaml, saved = excluded.saved",
                (body["id"], text, db.now()),
            )
            result, _review = self.scored(body)
            final = result.review.final if result.review is not None else result.final
            conn.execute("UPDATE bodies SET reviewed = ? WHERE id = ?", (fmt(final), body["id"]))
            db.audit(
                conn,
                user,
                "核定",
                body["id"],
                {"facts": sorted(facts), "nodes": sorted(nodes), "vetoes": sorted(vetoes)},
            )
        return result

    def return_body(self, conn: sqlite3.Connection, user: Any, body: Any, comment: str) -> None:
        comment = comment.strip()[:2000]
        if not comment:
            raise SiteError("退回时请写明退回意见（需要单位修改什么）")
        with db.transaction(conn):
            conn.execute(
                "UPDATE bodies SET status = 'returned', return_comment = ? WHERE id = ?", (comment, body["id"])
            )
            db.audit(conn, user, "退回材料", body["id"], {"comment": comment})

    def approve(self, conn: sqlite3.Connection, user: Any, body: Any) -> None:
        result, _review = self.scored(body)
        final = result.review.final if result.review is not None else result.final
        with db.transaction(conn):
            conn.execute("UPDATE bodies SET status = 'approved', reviewed = ? WHERE id = ?", (fmt(final), body["id"]))
            db.audit(conn, user, "核定完成", body["id"], {"score": fmt(final)})

    # -- PDFs and downloads ---------------------------------------------------------------------
    def pdf(self, result: Result) -> bytes:
        from ..render import Renderer

        with self._render_lock:
            if self._renderer is None:
                self._renderer = Renderer()
            return bytes(self._renderer.pdf(result, dt.date.today()))

    def batch(self, round_id: int, issued_on: dt.date | None = None) -> Path:
        """``scoring batch submitted/ --rubric rubric.yaml --review-dir reviews/ -o output/`` for the round."""
        from ..batch import BatchOptions, run_batch

        folder = self.round_dir(round_id)
        if not any(folder.glob("submitted/*.yaml")):
            raise SiteError("还没有单位提交材料，无法生成汇总")
        rubric_path = folder / "rubric.yaml"
        options = BatchOptions(
            source=folder / "submitted",
            outdir=folder / "output",
            review_dir=folder / "reviews",
            jobs=1,
            rubric=Source(str(rubric_path), rubric_path.read_bytes()),
            issued_on=issued_on or dt.date.today(),
        )
        with self._render_lock:
            report = run_batch(options, io.StringIO(), tty=False)
        if report.summary is None:
            raise SiteError("汇总未能生成")
        return folder / "output"

    def zip_all(self, round_id: int, issued_on: dt.date | None = None) -> bytes:
        out = self.batch(round_id, issued_on)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in ("summary.pdf", "summary.csv", "summary.xlsx", "errors.txt"):
                if (out / name).is_file():
                    archive.write(out / name, name)
            for pdf in sorted((out / "scorecards").glob("*.pdf")):
                archive.write(pdf, f"scorecards/{pdf.name}")
        return buffer.getvalue()


# -- lists of bodies ------------------------------------------------------------------------------

COLUMNS = {
    "name": ("名称", "单位名称", "单位", "name"),
    "region": ("地区", "所属地区", "region"),
    "level": ("层级", "级别", "level"),
    "contact": ("联系人", "联系方式", "联系人及电话", "contact"),
}


def read_table(raw: bytes, name: str) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030 as Excel writes it) or an XLSX sheet."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        rows = _xlsx_rows(raw, name)
    elif suffix == ".csv":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise SiteError(f"{name}：无法识别文件编码（应为 UTF-8 或 GBK）")
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text))]
    else:
        raise SiteError(f"单位名单应为 .csv 或 .xlsx 文件，实际为“{suffix or name[:40]}”")
    rows = [r for r in rows if any(c for c in r)]
    if not rows:
        raise SiteError(f"{name}：文件是空的")
    head = rows[0]
    index: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for i, cell in enumerate(head):
            if cell in names:
                index[key] = i
                break
    if "name" not in index:
        raise SiteError(f"{name}：第 1 行应为表头，且有“名称”（或“单位名称”）一列；实际为 {'、'.join(head)[:200]}")
    out = []
    problems = []
    for n, row in enumerate(rows[1:], start=2):
        got = {k: (row[i] if i < len(row) else "") for k, i in index.items()}
        got.setdefault("region", "")
        got.setdefault("level", "")
        got.setdefault("contact", "")
        if not got["name"]:
            problems.append(f"{name}：第 {n} 行“名称”为空")
            continue
        if any(len(v) > 200 for v in got.values()):
            problems.append(f"{name}：第 {n} 行有超过 200 字的单元格")
            continue
        out.append(got)
    if problems:
        raise SiteError(f"{name} 有 {len(problems)} 个问题，未导入", problems)
    if len(out) > MAX_BODIES:
        raise SiteError(f"{name}：一次最多导入 {MAX_BODIES} 个单位，实际为 {len(out)} 个")
    return out


def _xlsx_rows(raw: bytes, name: str) -> list[list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:
        raise SiteError(f"{name}：不是有效的 Excel（.xlsx）文件") from None
    try:
        sheet = book.worksheets[0]
        return [
            ["" if c is None else str(c).strip() for c in row]
            for row in sheet.iter_rows(values_only=True, max_row=MAX_BODIES + 2, max_col=20)
        ]
    finally:
        book.close()
