"""Accounts, passwords (Argon2id), server-side sessions, CSRF tokens and one-time sign-in links.

The session cookie holds only a random token; the database keeps its SHA-256, the user and the
session's CSRF token, so signing out (or deleting the row) ends a session at once. Cookies are
HttpOnly and SameSite=Strict, and Secure when the site is served over HTTPS (``--secure-cookies``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import sqlite3
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .db import audit, now, transaction

SESSION_COOKIE = "zwgk_session"
SESSION_HOURS = 12
_HASHER = PasswordHasher()
# verified against when the user does not exist, so a wrong name costs as long as a wrong password
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_password() -> str:
    """A password to hand out: 4 groups of 4 letters/digits without look-alikes (0/O, 1/l/I)."""
    alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def create_user(
    conn: sqlite3.Connection, username: str, display: str, role: str, password: str, body_id: int | None = None
) -> int:
    cur = conn.execute(
        "INSERT INTO users (username, display, role, password_hash, body_id, created) VALUES (?, ?, ?, ?, ?, ?)",
        (username, display, role, hash_password(password), body_id, now()),
    )
    return int(cur.lastrowid or 0)


def check_password(conn: sqlite3.Connection, username: str, password: str) -> sqlite3.Row | None:
    user = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    try:
        _HASHER.verify(user["password_hash"] if user else _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _HASHER.check_needs_rehash(user["password_hash"]):
        conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hash_password(password), user["id"]))
    return user


THROTTLE_MINUTES = 15
THROTTLE_FAILURES = 10


def throttled(conn: sqlite3.Connection, username: str) -> bool:
    """Too many failed sign-ins for this name lately (counted in the audit log)."""
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=THROTTLE_MINUTES)).replace(microsecond=0).isoformat()
    failures = conn.execute(
        "SELECT COUNT(*) FROM audit WHERE action = '登录失败' AND at >= ? AND detail = ?",
        (since, json.dumps({"username": username}, ensure_ascii=False, sort_keys=True)),
    ).fetchone()[0]
    return int(failures) >= THROTTLE_FAILURES


def start_session(conn: sqlite3.Connection, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=SESSION_HOURS)).replace(microsecond=0).isoformat()
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
        (digest(token), user_id, secrets.token_urlsafe(32), now(), expires),
    )
    return token


def session_user(conn: sqlite3.Connection, token: str | None) -> tuple[sqlite3.Row, str] | None:
    """The signed-in user and the session's CSRF token, or None (no, unknown or expired session)."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(
        "SELECT users.*, sessions.csrf AS csrf, sessions.expires AS expires FROM sessions"
        " JOIN users ON users.id = sessions.user_id WHERE sessions.token_hash = ?",
        (digest(token),),
    ).fetchone()
    if row is None or row["expires"] < now():
        return None
    return row, row["csrf"]


def end_session(conn: sqlite3.Connection, token: str | None) -> None:
    if token:
        conn.execute("DELETE FROM sessions WHERE token_hash = ?", (digest(token),))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def new_sign_in_link(conn: sqlite3.Connection, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO sign_in_links (token_hash, user_id, created) VALUES (?, ?, ?)", (digest(token), user_id, now())
    )
    return token


def use_sign_in_link(conn: sqlite3.Connection, token: str) -> sqlite3.Row | None:
    """The link's user, marking the link used (it works once); None if unknown or used."""
    if len(token) > 200:
        return None
    with transaction(conn):
        link = conn.execute(
            "SELECT * FROM sign_in_links WHERE token_hash = ? AND used IS NULL", (digest(token),)
        ).fetchone()
        if link is None:
            return None
        conn.execute("UPDATE sign_in_links SET used = ? WHERE token_hash = ?", (now(), link["token_hash"]))
        user = conn.execute("SELECT * FROM users WHERE id = ?", (link["user_id"],)).fetchone()
        audit(conn, user, "一次性链接登录")
        return user


def create_admin(conn: sqlite3.Connection, name: str) -> str:
    """``scoring serve --create-admin NAME``: a new administrator with a printed one-time password."""
    password = new_password()
    with transaction(conn):
        user_id = create_user(conn, name, name, "admin", password)
        conn.execute("UPDATE users SET must_change = 1 WHERE id = ?", (user_id,))
        audit(conn, None, "创建管理员", detail={"username": name})
    return password


def user_dict(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "username", "display", "role", "body_id")}
