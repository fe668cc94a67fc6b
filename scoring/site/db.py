"""The site's database: one SQLite file in WAL mode, schema versions in a ``migrations`` table.

Each request opens its own connection (SQLite connections are cheap and not shared between
threads); writes run in ``BEGIN IMMEDIATE`` transactions so two saves of one body never
interleave. A new schema version is a new entry at the end of :data:`MIGRATIONS`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'evaluator', 'body')),
            password_hash TEXT NOT NULL,
            body_id INTEGER REFERENCES bodies(id),
            must_change INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL
        );
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            csrf TEXT NOT NULL,
            created TEXT NOT NULL,
            expires TEXT NOT NULL
        );
        CREATE TABLE sign_in_links (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created TEXT NOT NULL,
            used TEXT
        );
        CREATE TABLE rounds (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            year INTEGER NOT NULL,
            deadline TEXT NOT NULL,
            rubric_id TEXT NOT NULL,
            rubric_version TEXT NOT NULL,
            rubric_title TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE TABLE bodies (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            name TEXT NOT NULL,
            region TEXT NOT NULL DEFAULT '',
            level TEXT NOT NULL DEFAULT '',
            contact TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'draft', 'submitted', 'returned', 'approved')),
            draft TEXT,
            draft_values TEXT,
            draft_rev INTEGER NOT NULL DEFAULT 0,
            draft_saved TEXT,
            provisional TEXT,
            reviewed TEXT,
            errors INTEGER NOT NULL DEFAULT 0,
            return_comment TEXT NOT NULL DEFAULT '',
            submitted_at TEXT
        );
        CREATE INDEX bodies_round ON bodies(round_id);
        CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            body_id INTEGER NOT NULL REFERENCES bodies(id),
            yaml TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            by_user INTEGER NOT NULL REFERENCES users(id)
        );
        CREATE TABLE reviews (
            body_id INTEGER PRIMARY KEY REFERENCES bodies(id),
            yaml TEXT NOT NULL,
            saved TEXT NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_id INTEGER,
            username TEXT NOT NULL,
            action TEXT NOT NULL,
            body_id INTEGER,
            detail TEXT NOT NULL DEFAULT ''
        );
        """,
    ),
    (
        2,
        """
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            body_id INTEGER NOT NULL REFERENCES bodies(id),
            name TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            uploaded TEXT NOT NULL,
            by_user INTEGER NOT NULL REFERENCES users(id)
        );
        CREATE INDEX attachments_body ON attachments(body_id);
        """,
    ),
]


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA synchronous = NORMAL")  # safe in WAL mode: a crash loses no committed transaction's integrity
    return conn


def migrate(path: Path) -> int:
    """Create or upgrade the database at ``path``; return its schema version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
        done = {row[0] for row in conn.execute("SELECT version FROM migrations")}
        for version, script in MIGRATIONS:
            if version in done:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO migrations VALUES (?, ?)", (version, now()))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return max((v for v, _ in MIGRATIONS), default=0)
    finally:
        conn.close()


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def audit(conn: sqlite3.Connection, user: Any, action: str, body_id: int | None = None, detail: Any = "") -> None:
    """One audit line: who (user row or None), when (UTC), what (action, body, detail as JSON text)."""
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, sort_keys=True)
    conn.execute(
        "INSERT INTO audit (at, user_id, username, action, body_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (now(), user["id"] if user else None, user["username"] if user else "（未登录）", action, body_id, text),
    )
