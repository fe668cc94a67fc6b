"""Who may do what: every route tried signed out, as the other body, as a body on office pages, and
every POST without its CSRF token. A route added without an entry here fails the first test."""

from __future__ import annotations

from pathlib import Path

import pytest
from site_helpers import World, csrf_of, login, seed_values
from starlette.routing import Mount, Route

PUBLIC = {"/", "/login", "/logout", "/link/{token}"}
OFFICE = {
    "/office",
    "/office/rounds/new",
    "/office/rounds/{rid:int}",
    "/office/rounds/{rid:int}/reminders",
    "/office/rounds/{rid:int}/reminders.csv",
    "/office/rounds/{rid:int}/bodies",
    "/office/rounds/{rid:int}/summary.{kind}",
    "/office/rounds/{rid:int}/scorecards.zip",
    "/office/bodies/{bid:int}",
    "/office/bodies/{bid:int}/review",
    "/office/bodies/{bid:int}/review.xlsx",
    "/office/bodies/{bid:int}/review/upload",
    "/office/bodies/{bid:int}/return",
    "/office/bodies/{bid:int}/approve",
    "/office/bodies/{bid:int}/scorecard.pdf",
    "/office/bodies/{bid:int}/submission.yaml",
    "/office/audit",
    "/office/accounts",
    "/office/attachments/{aid:int}",
}
BODY = {
    "/body",
    "/body/save",
    "/body/upload",
    "/body/submit",
    "/body/findings",
    "/body/scorecard.pdf",
    "/body/draft.yaml",
    "/body/draft.xlsx",
    "/body/attachments",
    "/body/attachments/{aid:int}",
    "/body/attachments/{aid:int}/delete",
}
ANY_SIGNED_IN = {"/password"}


def concrete(path: str) -> str:
    return (
        path.replace("{rid:int}", "1")
        .replace("{bid:int}", "1")
        .replace("{aid:int}", "1")
        .replace("{kind}", "csv")
        .replace("{token}", "x" * 43)
    )


def routes(world: World) -> list[tuple[str, str]]:
    out = []
    for route in world.app.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                out.append((route.path, method))
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = World(tmp_path_factory.mktemp("site") / "data")
    client, token = w.bodies[0]
    r = client.post(
        "/body/attachments",
        data={"csrf": token},
        files={"file": ("住房会议纪要.pdf", b"%PDF-1.4 secret", "application/pdf")},
    )
    assert "住房会议纪要.pdf" in r.text  # attachment 1 belongs to body 1
    values = seed_values(w.site)
    r = client.post("/body/save", data={**values, "csrf": token})
    assert r.json()["score"] == "57"
    assert client.post("/body/submit", data={"csrf": token}).url.path == "/body"
    return w


def test_every_route_is_classified(world: World) -> None:
    paths = {p for p, _m in routes(world)}
    assert paths == PUBLIC | OFFICE | BODY | ANY_SIGNED_IN


def test_signed_out_visitor_gets_nothing(world: World) -> None:
    visitor = world.client()
    for path, method in routes(world):
        if path in PUBLIC:
            continue
        r = visitor.request(
            method, concrete(path), follow_redirects=False, data={"csrf": "x"} if method == "POST" else None
        )
        if method == "GET":
            assert r.status_code == 303 and r.headers["location"] == "/login", (path, r.status_code)
        else:
            assert r.status_code == 401, (path, r.status_code)
        assert "鄂托克前旗住房和城乡规划建设局" not in r.text


def test_a_body_cannot_open_office_pages_or_another_bodys_data(world: World) -> None:
    other, token = world.bodies[1]  # the second body; body 1 has submitted the seed
    for path, method in routes(world):
        if path in PUBLIC or path in ANY_SIGNED_IN:
            continue
        url = concrete(path)
        r = other.request(method, url, follow_redirects=False, data={"csrf": token} if method == "POST" else None)
        if path in OFFICE:
            assert r.status_code == 403, (path, method, r.status_code)
        # whatever a body route answers, it is about the second body only
        assert "住房和城乡规划建设局" not in r.text, (path, method)
        assert b"\xe4\xbd\x8f\xe6\x88\xbf" not in r.content  # 住房, also in downloads
    # the second body's own draft is its own file
    assert "body-0002.yaml" in other.get("/body/draft.yaml").text


def test_the_office_cannot_use_body_routes(world: World) -> None:
    for path, method in routes(world):
        if path in BODY:
            r = world.admin.request(
                method,
                concrete(path),
                follow_redirects=False,
                data={"csrf": world.admin_csrf} if method == "POST" else None,
            )
            assert r.status_code == 403, (path, method)


def test_every_post_needs_the_csrf_token(world: World) -> None:
    body, _token = world.bodies[1]
    for path, method in routes(world):
        if method != "POST" or path in PUBLIC:
            continue
        client = body if path in BODY else world.admin
        for data, headers in (({}, {}), ({"csrf": "forged"}, {}), ({}, {"X-CSRF-Token": "forged"})):
            r = client.request(method, concrete(path), data=data, headers=headers, follow_redirects=False)
            assert r.status_code == 403 and "安全令牌" in r.text, (path, data, headers)


def test_a_submitted_body_is_locked_and_its_own_data_is_its_own(world: World) -> None:
    client, token = world.bodies[0]
    r = client.post("/body/save", data={"f.published_total": "1", "csrf": token})
    assert r.status_code == 409 and "已提交" in r.json()["error"]
    assert "鄂托克前旗住房和城乡规划建设局" in client.get("/body/draft.yaml").text


def test_cookies_and_headers(world: World, tmp_path: Path) -> None:
    client = world.client()
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login", data={"username": "admin", "password": "admin-password-1", "csrf": token}, follow_redirects=False
    )
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("zwgk_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    from starlette.testclient import TestClient

    from scoring.site.app import create_app

    secure = TestClient(create_app(world.data, secure_cookies=True), base_url="https://127.0.0.1")
    token = csrf_of(secure.get("/login").text)
    r = secure.post(
        "/login", data={"username": "admin", "password": "admin-password-1", "csrf": token}, follow_redirects=False
    )
    assert "Secure" in r.headers["set-cookie"]


def test_sign_out_ends_the_session(world: World) -> None:
    client = world.client()
    world.sign_in(client, "admin", "admin-password-1")
    token = csrf_of(client.get("/office").text)
    client.post("/logout", data={"csrf": token})
    assert client.get("/office", follow_redirects=False).headers["location"] == "/login"


def test_audit_log_records_who_did_what(world: World) -> None:
    conn = world.site.connect()
    rows = conn.execute("SELECT username, action, body_id FROM audit ORDER BY id").fetchall()
    conn.close()
    actions = [(r["username"], r["action"]) for r in rows]
    assert ("admin", "创建考核") in actions and ("admin", "导入单位名单") in actions
    assert ("r1-0001", "保存草稿") in actions and ("r1-0001", "提交材料") in actions
    first = login(world.client(), "admin", "wrong")
    assert first.status_code == 400 and "用户名或密码不正确" in first.text
    conn = world.site.connect()
    last = conn.execute("SELECT username, action, detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    assert (last["username"], last["action"]) == ("（未登录）", "登录失败") and "admin" in last["detail"]


def test_an_evaluator_reviews_but_cannot_administer(world: World) -> None:
    r = world.admin.post("/office/accounts", data={"csrf": world.admin_csrf, "username": "李娜", "role": "evaluator"})
    password = r.text.split('一次性密码 <b class="mono">')[1].split("<")[0]
    evaluator = world.client()
    world.sign_in(evaluator, "李娜", password)
    token = csrf_of(evaluator.get("/password").text)
    evaluator.post("/password", data={"csrf": token, "new": "evaluator-password", "again": "evaluator-password"})
    assert evaluator.get("/office/rounds/1").status_code == 200
    assert evaluator.get("/office/bodies/1").status_code == 200
    for path in ("/office/rounds/new", "/office/accounts"):
        assert evaluator.get(path).status_code == 403
    assert evaluator.post("/office/rounds/1/bodies", data={"csrf": token}).status_code == 403


def test_repeated_failed_sign_ins_are_paused(world: World) -> None:
    client = world.client()
    for _ in range(10):
        assert login(client, "r1-0002", "wrong").status_code == 400
    right = world.credentials[1][1]
    r = login(client, "r1-0002", right)
    assert r.status_code == 429 and "次数过多" in r.text


def test_attachments_are_downloads_only(world: World) -> None:
    client, _token = world.bodies[0]
    r = client.get("/body/attachments/1")
    assert r.content == b"%PDF-1.4 secret"
    assert r.headers["content-type"] == "application/octet-stream" and r.headers["content-disposition"].startswith(
        "attachment;"
    )
    assert world.admin.get("/office/attachments/1").content == b"%PDF-1.4 secret"
    other, token = world.bodies[1]
    assert other.get("/body/attachments/1").status_code == 404
    assert other.post("/body/attachments/1/delete", data={"csrf": token}).status_code == 404
    r = other.post("/body/attachments", data={"csrf": token}, files={"file": ("x.html", b"<script>", "text/html")})
    assert r.status_code == 400 and "附件只接收" in r.text


def test_sign_in_forms_need_their_own_token(world: World) -> None:
    """Login CSRF: another site's form posting a name and password (or a sign-in link) is refused."""
    client = world.client()
    r = client.post("/login", data={"username": "admin", "password": "admin-password-1"})
    assert r.status_code == 403 and "安全令牌" in r.text
    r = client.post("/login", data={"username": "admin", "password": "admin-password-1", "csrf": "x" * 43})
    assert r.status_code == 403
    r = client.post("/link/" + "y" * 43, data={"csrf": "z" * 43})
    assert r.status_code == 403
    assert "SameSite=strict" in client.get("/login").headers["set-cookie"]


def test_a_new_password_ends_the_other_sessions(world: World) -> None:
    first, second = world.client(), world.client()
    world.sign_in(first, "admin", "admin-password-1")
    world.sign_in(second, "admin", "admin-password-1")
    token = csrf_of(first.get("/password").text)
    first.post("/password", data={"csrf": token, "new": "admin-password-2", "again": "admin-password-2"})
    assert first.get("/office", follow_redirects=False).status_code == 200
    assert second.get("/office", follow_redirects=False).headers["location"] == "/login"
    token = csrf_of(first.get("/password").text)
    first.post("/password", data={"csrf": token, "new": "admin-password-1", "again": "admin-password-1"})
