"""Shared set-up for the site's tests: a data folder with an administrator, a round and bodies."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from scoring.site import auth
from scoring.site.app import create_app
from scoring.site.core import Site
from scoring.site.forms import from_document
from scoring.yamlio import load_file

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "001-otqq-zjj-2017.yaml"
RUBRIC_ID = "ordos-otqq-zjj-2017"
BODIES_CSV = "名称,地区,层级,联系人\n鄂托克前旗住房和城乡规划建设局,内蒙古自治区鄂尔多斯市鄂托克前旗,旗县级部门,张三 0477-1234567\n鄂托克前旗发展和改革局,内蒙古自治区鄂尔多斯市鄂托克前旗,旗县级部门,李四\n"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CREDENTIALS = re.compile(
    r'<td class="mono">([^<]+)</td><td class="mono">([^<]+)</td><td class="mono small">([^<]+)</td>'
)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def seed_values(site: Site, round_id: int = 1) -> dict[str, Any]:
    _app, rubric, _spec = site.app(round_id)
    return from_document(rubric, load_file(SEED).data)


class World:
    """An app in-process (Starlette's TestClient) with an admin, one round and two bodies."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.app = create_app(data)
        self.site = Site(data)
        conn = self.site.connect()
        self.admin_password = auth.create_admin(conn, "admin")
        conn.close()
        self.admin = self.client()
        self.admin_csrf = self.sign_in(self.admin, "admin", self.admin_password)
        html = self.admin.get("/password").text
        self.admin.post(
            "/password", data={"csrf": csrf_of(html), "new": "admin-password-1", "again": "admin-password-1"}
        )
        r = self.admin.post(
            "/office/rounds/new",
            data={
                "csrf": self.admin_csrf,
                "title": "2017年度政务公开考核",
                "year": "2017",
                "deadline": "2018-01-31",
                "shipped": RUBRIC_ID,
            },
        )
        assert r.url.path == "/office/rounds/1", r.text
        r = self.admin.post(
            "/office/rounds/1/bodies",
            data={"csrf": self.admin_csrf},
            files={"bodies_file": ("bodies.csv", BODIES_CSV.encode("utf-8"), "text/csv")},
        )
        self.credentials = CREDENTIALS.findall(r.text)
        assert len(self.credentials) == 2, r.text
        self.bodies = []
        for username, password, _link in self.credentials:
            client = self.client()
            token = self.sign_in(client, username, password)
            self.bodies.append((client, token))

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://127.0.0.1", follow_redirects=True)

    def sign_in(self, client: TestClient, username: str, password: str) -> str:
        r = login(client, username, password)
        assert r.status_code == 200, r.text
        return csrf_of(r.text)


def login(client: Any, username: str, password: str) -> Any:
    """Sign in as a browser does: the sign-in page first (its form token), then the form."""
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf": token})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(data: Path) -> Iterator[str]:
    """``scoring serve`` as a real process on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scoring", "serve", "--data", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(url + "login", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stdout.read().decode() if proc.stdout else "server exited") from None
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
