"""The Starlette application: routes, access rules, CSRF, size limits, security headers.

Access is decided per route by role (``office`` = administrator or evaluator, ``admin``,
``body``); a body's routes never take a body id (its own comes from its account), and office
routes take ids of rounds and bodies only. Every POST needs the session's CSRF token (form
field ``csrf`` or header ``X-CSRF-Token``). Templates autoescape everything.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
import sqlite3
import urllib.parse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..numbers import fmt
from . import auth, db
from .core import LOCKED, MAX_UPLOAD, STATUS, UPLOAD_SUFFIXES, Site, SiteError, body_file, shipped_rubrics
from .forms import EVIDENCE_LABELS, EVIDENCE_PARTS, MAX_EVIDENCE
from .serve import NAME

HERE = Path(__file__).parent
MAX_REVIEW_FACTS = 10
PAGE_SIZE = 100  # bodies per dashboard page  # verified facts in one review form
PRE_COOKIE = "zwgk_form"  # the CSRF token of the sign-in forms (before there is a session)
MAX_REQUEST = MAX_UPLOAD + 256 * 1024
Handler = Callable[[Request], Awaitable[Response]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class Limits:
    """ASGI middleware: request bodies above ``MAX_REQUEST`` bytes are refused (413) whether or not
    they announce their length; every response gets the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_REQUEST):
            await _too_large(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_REQUEST:
                    raise HTTPException(413, "上传内容过大")
            return message

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, limited, secured)


async def _too_large(send: Send) -> None:
    body = "上传内容过大（上限 2 MB）".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(data: Path, secure_cookies: bool = False, issued_on: dt.date | None = None) -> Starlette:
    site = Site(data)
    site.init()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(STATUS=STATUS, fmt=fmt, EVIDENCE_PARTS=EVIDENCE_PARTS, EVIDENCE_LABELS=EVIDENCE_LABELS)
    templates = Jinja2Templates(env=env)

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        context.setdefault("user", request.state.user if hasattr(request.state, "user") else None)
        context.setdefault("csrf", getattr(request.state, "csrf", ""))
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def problem_page(request: Request, error: SiteError, back: str, status_code: int = 400) -> Response:
        return page(
            request,
            "message.html",
            status_code,
            title="未完成",
            message=error.message,
            problems=error.problems,
            back=back,
        )

    # -- access -----------------------------------------------------------------------------
    def guarded(*roles: str) -> Callable[[Handler], Handler]:
        def wrap(handler: Handler) -> Handler:
            @functools.wraps(handler)
            async def run(request: Request) -> Response:
                conn = site.connect()
                request.state.conn = conn
                try:
                    found = auth.session_user(conn, request.cookies.get(auth.SESSION_COOKIE))
                    if found is None:
                        if request.method == "GET":
                            return RedirectResponse("/login", 303)
                        return page(
                            request,
                            "message.html",
                            401,
                            title="请先登录",
                            message="登录已失效，请重新登录",
                            problems=[],
                            back="/login",
                        )
                    user, csrf = found
                    request.state.user = user
                    request.state.csrf = csrf
                    if user["role"] not in roles:
                        return page(
                            request,
                            "message.html",
                            403,
                            title="无权访问",
                            message="您的账号无权访问此页面",
                            problems=[],
                            back="/",
                        )
                    if request.method == "POST":
                        form = await request.form(max_files=1, max_fields=3000, max_part_size=MAX_UPLOAD)
                        request.state.form = form
                        token = request.headers.get("x-csrf-token") or str(form.get("csrf") or "")
                        if not auth.csrf_ok(csrf, token):
                            return page(
                                request,
                                "message.html",
                                403,
                                title="请求无效",
                                message="页面已过期或请求来源不明（缺少安全令牌），请刷新页面后重试",
                                problems=[],
                                back="/",
                            )
                    if user["must_change"] and request.url.path != "/password":
                        return RedirectResponse("/password", 303)
                    return await handler(request)
                finally:
                    conn.close()

            return run

        return wrap

    office = ("admin", "evaluator")

    def conn_of(request: Request) -> sqlite3.Connection:
        return request.state.conn  # type: ignore[no-any-return]

    def form_of(request: Request) -> FormData:
        return request.state.form  # type: ignore[no-any-return]

    def round_or_404(conn: sqlite3.Connection, round_id: Any) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM rounds WHERE id = ?", (int(round_id),)).fetchone()
        if row is None:
            raise HTTPException(404, "没有这个考核")
        return row

    def body_or_404(conn: sqlite3.Connection, body_id: Any) -> sqlite3.Row:
        row = conn.execute(
            "SELECT bodies.*, rounds.year AS year, rounds.title AS round_title, rounds.deadline AS deadline"
            " FROM bodies JOIN rounds ON rounds.id = bodies.round_id WHERE bodies.id = ?",
            (int(body_id),),
        ).fetchone()
        if row is None:
            raise HTTPException(404, "没有这个单位")
        return row

    def cookie(response: Response, token: str) -> Response:
        response.set_cookie(
            auth.SESSION_COOKIE,
            token,
            max_age=auth.SESSION_HOURS * 3600,
            httponly=True,
            samesite="strict",
            secure=secure_cookies,
            path="/",
        )
        return response

    # -- signing in ---------------------------------------------------------------------------
    async def home(request: Request) -> Response:
        conn = site.connect()
        try:
            found = auth.session_user(conn, request.cookies.get(auth.SESSION_COOKIE))
        finally:
            conn.close()
        if found is None:
            return RedirectResponse("/login", 303)
        return RedirectResponse("/body" if found[0]["role"] == "body" else "/office", 303)

    def anonymous_page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        """A page with a form for visitors not signed in: its CSRF token is a random cookie of its own
        (SameSite=Strict, so another site's form cannot send it), repeated in the form."""
        token = request.cookies.get(PRE_COOKIE) or ""
        if not 20 <= len(token) <= 100:
            token = secrets.token_urlsafe(32)
        response = page(request, name, status_code, user=None, csrf=token, **context)
        response.set_cookie(PRE_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies, path="/")
        return response

    def anonymous_ok(request: Request, form: FormData) -> bool:
        return auth.csrf_ok(request.cookies.get(PRE_COOKIE) or "", str(form.get("csrf") or ""))

    def stale(request: Request) -> Response:
        return page(
            request,
            "message.html",
            403,
            user=None,
            csrf="",
            title="请求无效",
            message="页面已过期或请求来源不明（缺少安全令牌），请刷新页面后重试",
            problems=[],
            back="/login",
        )

    async def login(request: Request) -> Response:
        error = ""
        if request.method == "POST":
            form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
            if not anonymous_ok(request, form):
                return stale(request)
            username = str(form.get("username") or "").strip()[:100]
            password = str(form.get("password") or "")[:200]
            conn = site.connect()
            try:
                if auth.throttled(conn, username):
                    with db.transaction(conn):
                        db.audit(conn, None, "登录被暂停", None, {"username": username})
                    return anonymous_page(
                        request,
                        "login.html",
                        429,
                        error=f"该账号最近 {auth.THROTTLE_MINUTES} 分钟内登录失败次数过多，请稍后再试",
                    )
                user = await run_in_threadpool(auth.check_password, conn, username, password)
                if user is not None:
                    with db.transaction(conn):
                        token = auth.start_session(conn, user["id"])
                        db.audit(conn, user, "登录")
                    return cookie(RedirectResponse("/", 303), token)
                with db.transaction(conn):
                    db.audit(conn, None, "登录失败", None, {"username": username})
            finally:
                conn.close()
            error = "用户名或密码不正确"
        return anonymous_page(request, "login.html", 400 if error else 200, error=error)

    async def logout(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
        conn = site.connect()
        try:
            found = auth.session_user(conn, request.cookies.get(auth.SESSION_COOKIE))
            if found is not None and not auth.csrf_ok(found[1], str(form.get("csrf") or "")):
                return stale(request)  # another site cannot sign a user out
            auth.end_session(conn, request.cookies.get(auth.SESSION_COOKIE))
        finally:
            conn.close()
        response = RedirectResponse("/login", 303)
        response.delete_cookie(auth.SESSION_COOKIE, path="/")
        return response

    async def link(request: Request) -> Response:
        token = request.path_params["token"]
        if request.method == "GET":  # a GET never uses the link up (mail scanners open links)
            return anonymous_page(request, "link.html", token=token)
        if not anonymous_ok(request, await request.form(max_files=0, max_fields=10, max_part_size=4096)):
            return stale(request)
        conn = site.connect()
        try:
            user = auth.use_sign_in_link(conn, token)
            if user is None:
                return page(
                    request,
                    "message.html",
                    400,
                    user=None,
                    csrf="",
                    title="链接无效",
                    message="该登录链接无效或已使用过，请向考核办索取新的账号",
                    problems=[],
                    back="/login",
                )
            with db.transaction(conn):
                session = auth.start_session(conn, user["id"])
        finally:
            conn.close()
        return cookie(RedirectResponse("/", 303), session)

    @guarded("admin", "evaluator", "body")
    async def password(request: Request) -> Response:
        user = request.state.user
        error = ""
        if request.method == "POST":
            form = form_of(request)
            new = str(form.get("new") or "")
            if len(new) < 10 or len(new) > 200:
                error = "新密码至少 10 个字符"
            elif new != str(form.get("again") or ""):
                error = "两次输入的新密码不一致"
            else:
                conn = conn_of(request)
                with db.transaction(conn):
                    conn.execute(
                        "UPDATE users SET password_hash = ?, must_change = 0 WHERE id = ?",
                        (auth.hash_password(new), user["id"]),
                    )
                    # every other session of this account ends (someone who knew the old password is out)
                    current = auth.digest(request.cookies.get(auth.SESSION_COOKIE) or "")
                    conn.execute("DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", (user["id"], current))
                    db.audit(conn, user, "修改密码")
                return RedirectResponse("/", 303)
        return page(request, "password.html", 400 if error else 200, error=error)

    # -- the office -----------------------------------------------------------------------------
    @guarded(*office)
    async def rounds(request: Request) -> Response:
        conn = conn_of(request)
        rows = conn.execute(
            "SELECT rounds.*, COUNT(bodies.id) AS bodies,"
            " SUM(bodies.status IN ('submitted', 'approved')) AS done"
            " FROM rounds LEFT JOIN bodies ON bodies.round_id = rounds.id GROUP BY rounds.id ORDER BY rounds.id DESC"
        ).fetchall()
        return page(request, "rounds.html", rounds=rows)

    @guarded("admin")
    async def round_new(request: Request) -> Response:
        shipped = shipped_rubrics()
        if request.method == "GET":
            return page(request, "round_new.html", shipped=shipped, values={}, error=None)
        form = form_of(request)
        values = {k: str(form.get(k) or "") for k in ("title", "year", "deadline", "shipped")}
        upload = form.get("rubric_file")
        try:
            if upload is not None and not isinstance(upload, str) and upload.filename:
                raw = await upload.read(MAX_UPLOAD + 1)
                name = Path(upload.filename).name[:100]
            else:
                chosen = [p for ident, _t, p in shipped if ident == values["shipped"]]
                if not chosen:
                    raise SiteError("请上传评分细则文件，或选择一个系统自带的评分细则")
                raw, name = chosen[0].read_bytes(), chosen[0].name
            round_id = await run_in_threadpool(
                site.create_round,
                conn_of(request),
                request.state.user,
                values["title"],
                values["year"],
                values["deadline"],
                raw,
                name,
            )
        except SiteError as exc:
            return page(request, "round_new.html", 400, shipped=shipped, values=values, error=exc)
        return RedirectResponse(f"/office/rounds/{round_id}", 303)

    SORTS = {
        "name": "bodies.name",
        "status": "bodies.status",
        "score": "CAST(COALESCE(bodies.reviewed, bodies.provisional) AS REAL) DESC",
        "errors": "bodies.errors DESC",
        "saved": "bodies.draft_saved DESC",
    }

    @guarded(*office)
    async def dashboard(request: Request) -> Response:
        conn = conn_of(request)
        rnd = round_or_404(conn, request.path_params["rid"])
        status = request.query_params.get("status", "")
        query = request.query_params.get("q", "")[:50]
        sort = request.query_params.get("sort", "name")
        sql = "SELECT * FROM bodies WHERE round_id = ?"
        args: list[Any] = [rnd["id"]]
        if status in STATUS:
            sql += " AND status = ?"
            args.append(status)
        if query:
            sql += " AND (name LIKE ? ESCAPE '\\' OR region LIKE ? ESCAPE '\\')"
            like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            args += [like, like]
        matching = conn.execute(sql.replace("SELECT *", "SELECT COUNT(*)", 1), args).fetchone()[0]
        pages = max(1, -(-matching // PAGE_SIZE))
        try:
            number = min(max(1, int(request.query_params.get("page", "1"))), pages)
        except ValueError:
            number = 1
        sql += f" ORDER BY {SORTS.get(sort, SORTS['name'])}, bodies.id LIMIT ? OFFSET ?"
        bodies = conn.execute(sql, [*args, PAGE_SIZE, (number - 1) * PAGE_SIZE]).fetchall()
        counts = dict.fromkeys(STATUS, 0)
        for row in conn.execute("SELECT status, COUNT(*) FROM bodies WHERE round_id = ? GROUP BY status", (rnd["id"],)):
            counts[row[0]] = row[1]
        return page(
            request,
            "dashboard.html",
            round=rnd,
            bodies=bodies,
            matching=matching,
            pages=pages,
            number=number,
            counts=counts,
            status=status,
            q=query,
            sort=sort,
            today=dt.date.today().isoformat(),
        )

    @guarded(*office)
    async def reminders(request: Request) -> Response:
        conn = conn_of(request)
        rnd = round_or_404(conn, request.path_params["rid"])
        rows = conn.execute(
            "SELECT * FROM bodies WHERE round_id = ? AND status IN ('new', 'draft', 'returned') ORDER BY status, name",
            (rnd["id"],),
        ).fetchall()
        left = (dt.date.fromisoformat(rnd["deadline"]) - dt.date.today()).days
        return page(request, "reminders.html", round=rnd, bodies=rows, left=left)

    @guarded(*office)
    async def reminders_csv(request: Request) -> Response:
        import csv
        import io

        from ..summary import _csv_value

        conn = conn_of(request)
        rnd = round_or_404(conn, request.path_params["rid"])
        rows = conn.execute(
            "SELECT * FROM bodies WHERE round_id = ? AND status IN ('new', 'draft', 'returned') ORDER BY status, name",
            (rnd["id"],),
        ).fetchall()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["单位名称", "地区", "层级", "状态", "联系人", "最后保存（UTC）", "截止日期"])
        for b in rows:
            cells = [
                b["name"],
                b["region"],
                b["level"],
                STATUS[b["status"]],
                b["contact"],
                b["draft_saved"] or "",
                rnd["deadline"],
            ]
            writer.writerow([_csv_value(c) for c in cells])  # the summary's guard: no text read as a formula
        return download(buffer.getvalue().encode("utf-8-sig"), f"reminders-{rnd['id']}.csv", "text/csv; charset=utf-8")

    @guarded("admin")
    async def import_bodies(request: Request) -> Response:
        conn = conn_of(request)
        rnd = round_or_404(conn, request.path_params["rid"])
        upload = form_of(request).get("bodies_file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return problem_page(
                request, SiteError("请选择单位名单文件（.csv 或 .xlsx）"), f"/office/rounds/{rnd['id']}"
            )
        raw = await upload.read(MAX_UPLOAD + 1)
        try:
            made = await run_in_threadpool(
                site.import_bodies,
                conn,
                request.state.user,
                rnd["id"],
                raw,
                Path(upload.filename).name[:100],
                str(request.base_url),
            )
        except SiteError as exc:
            return problem_page(request, exc, f"/office/rounds/{rnd['id']}")
        return page(request, "credentials.html", round=rnd, made=made)

    def review_entries(review: Any) -> dict[str, Any]:
        if review is None:
            return {"nodes": {}, "vetoes": {}, "facts": [], "remarks": ""}
        from .forms import _shown

        return {
            "facts": [(e.target, _shown(e.value), e.reason) for e in review.facts],
            "nodes": {e.target: (fmt(e.value), e.reason) for e in review.nodes},
            "vetoes": {e.target: (bool(e.value), e.reason) for e in review.vetoes},
            "remarks": review.remarks,
        }

    async def review_page(
        request: Request, body: sqlite3.Row, error: SiteError | None = None, status_code: int = 200
    ) -> Response:
        _app, rubric, _spec = site.app(body["round_id"])
        result = review = None
        problems: list[str] = []
        if (
            body["status"] in ("submitted", "approved", "returned")
            and (site.round_dir(body["round_id"]) / "submitted" / body_file(body["id"])).is_file()
        ):
            try:
                result, review = await run_in_threadpool(site.scored, body)
            except Exception as exc:  # a review file that no longer fits: shown, not a crash
                problems = [str(p) for p in getattr(exc, "problems", [])] or [str(exc)]
                result, _none = await run_in_threadpool(site.scored, body, False)
        history = (
            conn_of(request)
            .execute(
                "SELECT at, username, action, detail FROM audit WHERE body_id = ? ORDER BY id DESC LIMIT 30",
                (body["id"],),
            )
            .fetchall()
        )
        return page(
            request,
            "review.html",
            status_code,
            body=body,
            rubric=rubric,
            result=result,
            entries=review_entries(review),
            vetoes=rubric.vetoes,
            problems=problems,
            error=error,
            history=history,
            attachments=attachments_of(conn_of(request), body["id"]),
            fact_rows=max(3, len(review_entries(review)["facts"]) + 2) if review else 3,
            values=site.body_values(body),
            MAX_REVIEW_FACTS=MAX_REVIEW_FACTS,
        )

    @guarded(*office)
    async def body_review(request: Request) -> Response:
        body = body_or_404(conn_of(request), request.path_params["bid"])
        return await review_page(request, body)

    @guarded(*office)
    async def body_review_save(request: Request) -> Response:
        conn = conn_of(request)
        body = body_or_404(conn, request.path_params["bid"])
        if body["status"] not in ("submitted", "approved"):
            return await review_page(request, body, SiteError("材料未提交（或已退回），不能核定"), 400)
        _app, rubric, _spec = site.app(body["round_id"])
        form = form_of(request)
        nodes: dict[str, tuple[str, str]] = {}
        problems = []
        for node in rubric.all_nodes():
            points = str(form.get(f"points.{node.id}") or "").strip()
            reason = str(form.get(f"reason.{node.id}") or "").strip()[:2000]
            if points:
                if not reason:
                    problems.append(f"“{node.title}”核定为 {points[:20]} 分，但没有写核定理由")
                nodes[node.id] = (points[:30], reason)
        vetoes: dict[str, tuple[bool, str]] = {}
        for veto in rubric.vetoes:
            choice = str(form.get(f"veto.{veto.id}") or "")
            reason = str(form.get(f"veto_reason.{veto.id}") or "").strip()[:2000]
            if choice in ("applies", "dismissed"):
                if not reason:
                    problems.append(f"对否决项“{veto.title}”的决定没有写理由")
                vetoes[veto.id] = (choice == "applies", reason)
        facts: dict[str, tuple[str, str]] = {}
        for i in range(MAX_REVIEW_FACTS):
            fact_id = str(form.get(f"fact.{i}") or "")
            if not fact_id:
                continue
            fact = rubric.fact_index.get(fact_id)
            value = str(form.get(f"fact_value.{i}") or "").strip()[:500]
            reason = str(form.get(f"fact_reason.{i}") or "").strip()[:2000]
            if fact is None:
                problems.append("核实数据中选择的事实不在本细则中")
                continue
            if not reason:
                problems.append(f"核实数据“{fact.label}”没有写理由")
            facts[fact_id] = (value, reason)
        if problems:
            return await review_page(request, body, SiteError("核定未保存", problems), 400)
        try:
            await run_in_threadpool(
                site.save_review,
                conn,
                request.state.user,
                body,
                {"nodes": nodes, "vetoes": vetoes, "facts": facts},
                str(form.get("remarks") or ""),
            )
        except SiteError as exc:
            return await review_page(request, body, exc, 400)
        return RedirectResponse(f"/office/bodies/{body['id']}?saved=1", 303)

    @guarded(*office)
    async def body_review_upload(request: Request) -> Response:
        conn = conn_of(request)
        body = body_or_404(conn, request.path_params["bid"])
        if body["status"] not in ("submitted", "approved"):
            return await review_page(request, body, SiteError("材料未提交（或已退回），不能核定"), 400)
        upload = form_of(request).get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return await review_page(request, body, SiteError("请选择要上传的核定表（.xlsx）或核定记录（.yaml）"), 400)
        raw = await upload.read(MAX_UPLOAD + 1)
        try:
            await run_in_threadpool(site.import_review, conn, request.state.user, body, raw, upload.filename)
        except SiteError as exc:
            return await review_page(request, body, exc, 400)
        return RedirectResponse(f"/office/bodies/{body['id']}?saved=1", 303)

    @guarded(*office)
    async def body_review_xlsx(request: Request) -> Response:
        """The body's 核定表: the same bytes as ``scoring review-template`` on its submitted file."""
        from ..workbook.review import review_workbook_bytes

        body = body_or_404(conn_of(request), request.path_params["bid"])
        if not (site.round_dir(body["round_id"]) / "submitted" / body_file(body["id"])).is_file():
            raise HTTPException(404, "该单位还没有提交材料")
        result, _review = await run_in_threadpool(site.scored, body, False)
        data = await run_in_threadpool(review_workbook_bytes, result.to_dict())
        return download(data, body_file(body["id"])[:-5] + ".review.xlsx", MEDIA["xlsx"])

    @guarded(*office)
    async def body_return(request: Request) -> Response:
        conn = conn_of(request)
        body = body_or_404(conn, request.path_params["bid"])
        if body["status"] not in ("submitted", "approved"):
            return await review_page(request, body, SiteError("只能退回已提交的材料"), 400)
        try:
            site.return_body(conn, request.state.user, body, str(form_of(request).get("comment") or ""))
        except SiteError as exc:
            return await review_page(request, body, exc, 400)
        return RedirectResponse(f"/office/rounds/{body['round_id']}", 303)

    @guarded(*office)
    async def body_approve(request: Request) -> Response:
        conn = conn_of(request)
        body = body_or_404(conn, request.path_params["bid"])
        if body["status"] != "submitted":
            return await review_page(request, body, SiteError("只有已提交的材料可以核定完成"), 400)
        await run_in_threadpool(site.approve, conn, request.state.user, body)
        return RedirectResponse(f"/office/bodies/{body['id']}", 303)

    def download(data: bytes, name: str, media: str) -> Response:
        return Response(data, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})

    @guarded(*office)
    async def body_scorecard(request: Request) -> Response:
        body = body_or_404(conn_of(request), request.path_params["bid"])
        if not (site.round_dir(body["round_id"]) / "submitted" / body_file(body["id"])).is_file():
            raise HTTPException(404, "该单位还没有提交材料")
        result, _review = await run_in_threadpool(site.scored, body)
        return download(
            await run_in_threadpool(site.pdf, result), body_file(body["id"])[:-5] + ".pdf", "application/pdf"
        )

    @guarded(*office)
    async def body_submission(request: Request) -> Response:
        body = body_or_404(conn_of(request), request.path_params["bid"])
        path = site.round_dir(body["round_id"]) / "submitted" / body_file(body["id"])
        if not path.is_file():
            raise HTTPException(404, "该单位还没有提交材料")
        return download(path.read_bytes(), body_file(body["id"]), "application/x-yaml; charset=utf-8")

    MEDIA = {
        "pdf": "application/pdf",
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }

    @guarded(*office)
    async def summary(request: Request) -> Response:
        conn = conn_of(request)
        rnd = round_or_404(conn, request.path_params["rid"])
        kind = request.path_params["kind"]
        if kind not in MEDIA:
            raise HTTPException(404, "没有这种格式")
        try:
            out = await run_in_threadpool(site.batch, rnd["id"], issued_on)
        except SiteError as exc:
            return problem_page(request, exc, f"/office/rounds/{rnd['id']}")
        with db.transaction(conn):
            db.audit(conn, request.state.user, "下载汇总", None, {"round": rnd["id"], "file": f"summary.{kind}"})
        return download((out / f"summary.{kind}").read_bytes(), f"summary-{rnd['id']}.{kind}", MEDIA[kind])

    @guarded(*office)
    async def scorecards_zip(request: Request) -> Response:
        conn = conn_of(request)
        rnd = round_or_404(conn, request.path_params["rid"])
        try:
            data = await run_in_threadpool(site.zip_all, rnd["id"], issued_on)
        except SiteError as exc:
            return problem_page(request, exc, f"/office/rounds/{rnd['id']}")
        with db.transaction(conn):
            db.audit(conn, request.state.user, "下载评分表压缩包", None, {"round": rnd["id"]})
        return download(data, f"round-{rnd['id']}.zip", "application/zip")

    @guarded("admin")
    async def accounts(request: Request) -> Response:
        conn = conn_of(request)
        made = None
        error = ""
        if request.method == "POST":
            form = form_of(request)
            username = str(form.get("username") or "").strip()
            display = str(form.get("display") or "").strip()[:40] or username
            role = str(form.get("role") or "")
            if not NAME.fullmatch(username):
                error = "用户名应为 2–40 个字母、数字、汉字或 _ . -"
            elif role not in ("admin", "evaluator"):
                error = "请选择角色"
            else:
                password = auth.new_password()
                try:
                    with db.transaction(conn):
                        user_id = auth.create_user(conn, username, display, role, password)
                        conn.execute("UPDATE users SET must_change = 1 WHERE id = ?", (user_id,))
                        db.audit(conn, request.state.user, "创建账号", None, {"username": username, "role": role})
                    made = {"username": username, "password": password}
                except sqlite3.IntegrityError:
                    error = f"用户名“{username}”已存在"
        users = conn.execute(
            "SELECT username, display, role, created FROM users WHERE role != 'body' ORDER BY id"
        ).fetchall()
        return page(request, "accounts.html", 400 if error else 200, users=users, made=made, error=error)

    @guarded(*office)
    async def audit_log(request: Request) -> Response:
        rows = (
            conn_of(request)
            .execute(
                "SELECT audit.*, bodies.name AS body_name FROM audit LEFT JOIN bodies ON bodies.id = audit.body_id"
                " ORDER BY audit.id DESC LIMIT 500"
            )
            .fetchall()
        )
        return page(request, "audit.html", rows=rows)

    # -- a body -----------------------------------------------------------------------------------
    def own_body(request: Request) -> sqlite3.Row:
        return body_or_404(conn_of(request), request.state.user["body_id"])

    def check_json(rev: int, checked: Any, body: sqlite3.Row | None = None) -> dict[str, Any]:
        return {
            "rev": rev,
            "saved": dt.datetime.now().strftime("%H:%M:%S"),
            "valid": checked.valid,
            "summary": checked.summary,
            "by_field": checked.by_field,
            "general": [str(p) for p in checked.general],
            "errors": len(checked.errors),
            "warnings": len(checked.warnings),
            "score": fmt(checked.result.final) if checked.result is not None else None,
            "grade": checked.result.grade if checked.result is not None else "",
        }

    def posted_values(form: FormData, spec: Any) -> dict[str, Any]:
        from .forms import clean

        multi = {f.name for s in spec.sections for f in s.fields if f.fact.type == "multi_choice"}
        raw: dict[str, Any] = {}
        for key in form:
            raw[key] = form.getlist(key) if key in multi else form.get(key)
        for key in multi:
            raw.setdefault(key, [])
        values = clean({k: v for k, v in raw.items() if not hasattr(v, "read")}, spec)
        return {k: v for k, v in values.items() if v not in ("", [])}

    @guarded("body")
    async def body_form(request: Request) -> Response:
        body = own_body(request)
        _app, rubric, spec = site.app(body["round_id"])
        values = site.body_values(body)
        checked = await run_in_threadpool(site.check, body["round_id"], body["year"], body, values)
        evidence_rows = {}
        for c in spec.criteria:
            used = [i for i in range(MAX_EVIDENCE) if any(values.get(f"e:{c.node.id}:{i}:{p}") for p in EVIDENCE_PARTS)]
            evidence_rows[c.node.id] = used
        return page(
            request,
            "body_form.html",
            body=body,
            rubric=rubric,
            spec=spec,
            values=values,
            checked=checked,
            locked=body["status"] in LOCKED,
            evidence_rows=evidence_rows,
            attachments=attachments_of(conn_of(request), body["id"]),
            upload_suffixes=",".join(UPLOAD_SUFFIXES),
        )

    @guarded("body")
    async def body_save(request: Request) -> Response:
        body = own_body(request)
        _app, _rubric, spec = site.app(body["round_id"])
        values = posted_values(form_of(request), spec)
        try:
            rev, checked = await run_in_threadpool(
                site.save_draft, conn_of(request), request.state.user, body["id"], values
            )
        except SiteError as exc:
            return JSONResponse({"error": exc.message}, 409)
        return JSONResponse(check_json(rev, checked))

    @guarded("body")
    async def body_upload(request: Request) -> Response:
        body = own_body(request)
        upload = form_of(request).get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return problem_page(request, SiteError("请选择要上传的文件"), "/body")
        if body["status"] in LOCKED:
            return problem_page(request, SiteError("材料已提交，不能再修改；如需修改，请联系考核办退回"), "/body")
        raw = await upload.read(MAX_UPLOAD + 1)
        try:
            await run_in_threadpool(
                site.import_upload, conn_of(request), request.state.user, body["id"], raw, upload.filename
            )
        except SiteError as exc:
            return problem_page(request, exc, "/body")
        return RedirectResponse("/body?uploaded=1", 303)

    @guarded("body")
    async def body_submit(request: Request) -> Response:
        body = own_body(request)
        try:
            await run_in_threadpool(site.submit, conn_of(request), request.state.user, body["id"])
        except SiteError as exc:
            return problem_page(request, exc, "/body/findings")
        return RedirectResponse("/body?submitted=1", 303)

    @guarded("body")
    async def body_findings(request: Request) -> Response:
        body = own_body(request)
        _app, rubric, spec = site.app(body["round_id"])
        checked = await run_in_threadpool(site.check, body["round_id"], body["year"], body, site.body_values(body))
        return page(
            request,
            "findings.html",
            body=body,
            rubric=rubric,
            checked=checked,
            labels=spec.labels,
            locked=body["status"] in LOCKED,
        )

    @guarded("body")
    async def body_pdf(request: Request) -> Response:
        body = own_body(request)
        checked = await run_in_threadpool(site.check, body["round_id"], body["year"], body, site.body_values(body))
        if checked.result is None:
            return problem_page(
                request,
                SiteError("材料还有格式问题，暂时无法生成评分表", [str(p) for p in checked.errors]),
                "/body/findings",
            )
        data = await run_in_threadpool(site.pdf, checked.result)
        return download(data, "provisional-scorecard.pdf", "application/pdf")

    @guarded("body")
    async def body_xlsx(request: Request) -> Response:
        body = own_body(request)
        data = await run_in_threadpool(site.draft_workbook, body)
        return download(data, body_file(body["id"])[:-5] + ".xlsx", MEDIA["xlsx"])

    @guarded("body")
    async def body_yaml(request: Request) -> Response:
        body = own_body(request)
        checked = await run_in_threadpool(site.check, body["round_id"], body["year"], body, site.body_values(body))
        return download(checked.yaml.encode("utf-8"), body_file(body["id"]), "application/x-yaml; charset=utf-8")

    def attachment_file(body: sqlite3.Row, attachment_id: int) -> Response:
        row = conn_of_any(body, attachment_id)
        data = site.attachment_path(body, row["id"]).read_bytes()
        # always a download (never shown inline), whatever the file claims to be
        quoted_name = urllib.parse.quote(row["name"])
        return Response(
            data,
            media_type="application/octet-stream",
            headers={
                "content-disposition": f"attachment; filename=\"attachment-{row['id']}\"; filename*=UTF-8''{quoted_name}"
            },
        )

    def conn_of_any(body: sqlite3.Row, attachment_id: int) -> sqlite3.Row:
        conn = site.connect()
        try:
            row = conn.execute(
                "SELECT * FROM attachments WHERE id = ? AND body_id = ?", (int(attachment_id), body["id"])
            ).fetchone()
        finally:
            conn.close()
        if row is None:
            raise HTTPException(404, "没有这个附件")
        return row

    @guarded("body")
    async def body_attach(request: Request) -> Response:
        body = own_body(request)
        upload = form_of(request).get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return problem_page(request, SiteError("请选择要上传的附件"), "/body#sec-attachments")
        raw = await upload.read(MAX_UPLOAD + 1)
        try:
            await run_in_threadpool(
                site.add_attachment, conn_of(request), request.state.user, body, raw, upload.filename
            )
        except SiteError as exc:
            return problem_page(request, exc, "/body#sec-attachments")
        return RedirectResponse("/body#sec-attachments", 303)

    @guarded("body")
    async def body_detach(request: Request) -> Response:
        body = own_body(request)
        try:
            site.remove_attachment(conn_of(request), request.state.user, body, int(request.path_params["aid"]))
        except SiteError as exc:
            return problem_page(request, exc, "/body#sec-attachments", 404 if "没有" in exc.message else 400)
        return RedirectResponse("/body#sec-attachments", 303)

    @guarded("body")
    async def body_attachment(request: Request) -> Response:
        return attachment_file(own_body(request), request.path_params["aid"])

    @guarded(*office)
    async def office_attachment(request: Request) -> Response:
        conn = conn_of(request)
        row = conn.execute(
            "SELECT body_id FROM attachments WHERE id = ?", (int(request.path_params["aid"]),)
        ).fetchone()
        if row is None:
            raise HTTPException(404, "没有这个附件")
        return attachment_file(body_or_404(conn, row["body_id"]), request.path_params["aid"])

    def attachments_of(conn: sqlite3.Connection, body_id: int) -> list[sqlite3.Row]:
        return conn.execute("SELECT * FROM attachments WHERE body_id = ? ORDER BY id", (body_id,)).fetchall()

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        detail = getattr(exc, "detail", "") or "页面不存在"
        html = env.get_template("message.html").render(
            user=None,
            csrf="",
            title="无法打开",
            message=detail if status != 500 else "服务器内部错误",
            problems=[],
            back="/",
            request=request,
        )
        return HTMLResponse(html, status_code=status)

    routes = [
        Route("/", home),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/link/{token}", link, methods=["GET", "POST"]),
        Route("/password", password, methods=["GET", "POST"]),
        Route("/office", rounds),
        Route("/office/rounds/new", round_new, methods=["GET", "POST"]),
        Route("/office/rounds/{rid:int}", dashboard),
        Route("/office/rounds/{rid:int}/reminders", reminders),
        Route("/office/rounds/{rid:int}/reminders.csv", reminders_csv),
        Route("/office/rounds/{rid:int}/bodies", import_bodies, methods=["POST"]),
        Route("/office/rounds/{rid:int}/summary.{kind}", summary),
        Route("/office/rounds/{rid:int}/scorecards.zip", scorecards_zip),
        Route("/office/bodies/{bid:int}", body_review),
        Route("/office/bodies/{bid:int}/review", body_review_save, methods=["POST"]),
        Route("/office/bodies/{bid:int}/review.xlsx", body_review_xlsx),
        Route("/office/bodies/{bid:int}/review/upload", body_review_upload, methods=["POST"]),
        Route("/office/bodies/{bid:int}/return", body_return, methods=["POST"]),
        Route("/office/bodies/{bid:int}/approve", body_approve, methods=["POST"]),
        Route("/office/bodies/{bid:int}/scorecard.pdf", body_scorecard),
        Route("/office/bodies/{bid:int}/submission.yaml", body_submission),
        Route("/office/audit", audit_log),
        Route("/office/accounts", accounts, methods=["GET", "POST"]),
        Route("/body", body_form),
        Route("/body/save", body_save, methods=["POST"]),
        Route("/body/upload", body_upload, methods=["POST"]),
        Route("/body/submit", body_submit, methods=["POST"]),
        Route("/body/findings", body_findings),
        Route("/body/scorecard.pdf", body_pdf),
        Route("/body/draft.yaml", body_yaml),
        Route("/body/draft.xlsx", body_xlsx),
        Route("/body/attachments", body_attach, methods=["POST"]),
        Route("/body/attachments/{aid:int}", body_attachment),
        Route("/body/attachments/{aid:int}/delete", body_detach, methods=["POST"]),
        Route("/office/attachments/{aid:int}", office_attachment),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: not_found, 500: not_found})
    app.state.site = site
    return Limits(app)  # type: ignore[return-value]


__all__ = ["create_app", "json"]
