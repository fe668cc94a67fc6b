"""Load on ``scoring serve``: N simulated bodies saving drafts concurrently on loopback.

Run (from the project root)::

    .venv/bin/python bench/bench_site.py                      # 200 bodies, 60 s
    .venv/bin/python bench/bench_site.py --bodies 50 --duration 20

It starts ``scoring serve`` as its own process on a free 127.0.0.1 port with a new data
folder, creates an administrator (``--create-admin``), a round with the seed-001 rubric and N
bodies (a CSV list, through the site), and signs every body in. Then every body, at once, fills
in the seed-001 submission and keeps saving it for ``--duration`` seconds, as the page's
autosave does (POST /body/save with the CSRF header), waiting ``--think`` seconds (random,
0.5x-1.5x) between two saves; each save changes three of its figures to values unique to that
body and that save. At the end it reads every body's stored draft back (/body/draft.yaml) and
checks that it holds exactly that body's last save: a lost save or one body's figures in
another body's draft is counted and printed. Prints the save latencies (p50/p95/p99/max),
saves per second and errors; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "site"))

from site_helpers import CREDENTIALS, CSRF, SEED, free_port  # noqa: E402

from scoring.registry import Rubrics  # noqa: E402
from scoring.site.forms import from_document  # noqa: E402
from scoring.yamlio import load_file  # noqa: E402


def seed_values() -> dict[str, Any]:
    rubric = Rubrics([]).by_ref(str(ROOT / "rubrics" / "ordos-otqq-zjj-2017.yaml"))
    return from_document(rubric, load_file(SEED).data)


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        try:
            if httpx.get(url + "login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise SystemExit("scoring serve exited") from None
            time.sleep(0.1)
    raise SystemExit("scoring serve did not start")


def setup(url: str, data: Path, bodies: int) -> list[tuple[str, str]]:
    made = subprocess.run(
        [sys.executable, "-m", "scoring", "serve", "--data", str(data), "--create-admin", "admin"],
        capture_output=True,
        text=True,
        check=True,
    )
    password = re.search(r"一次性密码：(\S+)", made.stdout).group(1)  # type: ignore[union-attr]
    with httpx.Client(base_url=url, follow_redirects=True, timeout=120) as admin:
        pre = CSRF.search(admin.get("/login").text).group(1)  # type: ignore[union-attr]
        r = admin.post("/login", data={"username": "admin", "password": password, "csrf": pre})
        token = CSRF.search(r.text).group(1)  # type: ignore[union-attr]
        admin.post("/password", data={"csrf": token, "new": "bench-password-1", "again": "bench-password-1"})
        admin.post(
            "/office/rounds/new",
            data={
                "csrf": token,
                "title": "压力测试",
                "year": "2017",
                "deadline": "2018-01-31",
                "shipped": "ordos-otqq-zjj-2017",
            },
        )
        rows = "".join(f"压力测试单位{i:04d},某地,旗县级部门,联系人{i}\n" for i in range(bodies))
        r = admin.post(
            "/office/rounds/1/bodies",
            data={"csrf": token},
            files={"bodies_file": ("bodies.csv", ("名称,地区,层级,联系人\n" + rows).encode(), "text/csv")},
        )
        return [(u, p) for u, p, _link in CREDENTIALS.findall(r.text)]


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    pre = CSRF.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
    r = await client.post("/login", data={"username": username, "password": password, "csrf": pre})
    return CSRF.search(r.text).group(1)  # type: ignore[union-attr]


async def one_body(
    client: httpx.AsyncClient,
    token: str,
    index: int,
    username: str,
    base: dict[str, Any],
    until: float,
    think: float,
    out: dict[str, Any],
) -> None:
    if True:
        await asyncio.sleep(random.uniform(0, think))  # bodies do not start in step
        rev = 0
        last: dict[str, str] = {}
        while time.monotonic() < until:
            n = out["saves"][index] + 1
            figures = {
                "f.trainees": str(index * 100000 + n),
                "f.meetings": str(n),
                "remarks": f"单位{index:04d}第{n}次保存",
            }
            started = time.monotonic()
            try:
                r = await client.post("/body/save", data={**base, **figures}, headers={"X-CSRF-Token": token})
                took = time.monotonic() - started
                answer = r.json() if r.status_code == 200 else None
            except (httpx.HTTPError, ValueError) as exc:
                out["errors"].append(f"{username}: {type(exc).__name__}")
                continue
            if answer is None or answer.get("score") != "57" or answer.get("rev") != rev + 1:
                out["errors"].append(f"{username}: HTTP {r.status_code} {str(answer)[:100]}")
            else:
                rev = answer["rev"]
                last = figures
                out["saves"][index] = n
                out["latency"].append(took)
            await asyncio.sleep(think * random.uniform(0.5, 1.5))
        r = await client.get("/body/draft.yaml")
        text = r.text
        expected = (
            [f"trainees: {last['f.trainees']}\n", f"meetings: {last['f.meetings']}\n", f'remarks: "{last["remarks"]}"']
            if last
            else []
        )
        if not last or not all(e in text for e in expected):
            out["lost"].append(username)
        if any(f"单位{j:04d}第" in text for j in range(len(out["saves"])) if j != index):
            out["mixed"].append(username)


async def load(url: str, accounts: list[tuple[str, str]], duration: float, think: float) -> dict[str, Any]:
    base = seed_values()
    out: dict[str, Any] = {"saves": [0] * len(accounts), "latency": [], "errors": [], "lost": [], "mixed": []}
    clients = [httpx.AsyncClient(base_url=url, follow_redirects=True, timeout=120) for _ in accounts]
    try:
        started = time.monotonic()
        tokens = await asyncio.gather(*(sign_in(c, u, p) for c, (u, p) in zip(clients, accounts, strict=True)))
        print(f"{len(accounts)} bodies signed in (Argon2 checks) in {time.monotonic() - started:.1f} s")
        out["started"] = time.monotonic()
        until = out["started"] + duration
        await asyncio.gather(
            *(
                one_body(c, t, i, u, base, until, think, out)
                for i, (c, t, (u, _p)) in enumerate(zip(clients, tokens, accounts, strict=True))
            )
        )
    finally:
        for c in clients:
            await c.aclose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of saving (at most 60 is the plan)")
    parser.add_argument("--think", type=float, default=3.0, help="mean seconds between two saves of one body")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        data = Path(tmp) / "data"
        proc = subprocess.Popen(
            [sys.executable, "-m", "scoring", "serve", "--data", str(data), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_up(url, proc)
            started = time.monotonic()
            accounts = setup(url, data, args.bodies)
            print(f"set-up: round and {len(accounts)} bodies in {time.monotonic() - started:.1f} s")
            out = asyncio.run(load(url, accounts, args.duration, args.think))
            elapsed = time.monotonic() - out["started"]
        finally:
            proc.terminate()
            proc.wait(10)
    lat = sorted(out["latency"])
    total = len(lat)

    def pct(p: float) -> float:
        return lat[min(total - 1, int(p * total))] * 1000 if lat else float("nan")

    print(
        f"bodies {len(accounts)}, saving for {args.duration:.0f} s (think time {args.think:.1f} s), wall {elapsed:.1f} s"
    )
    print(f"saves {total} ({total / elapsed:.1f}/s), per body min {min(out['saves'])} max {max(out['saves'])}")
    print(
        f"save time ms: p50 {pct(0.50):.0f}  p95 {pct(0.95):.0f}  p99 {pct(0.99):.0f}  max {lat[-1] * 1000 if lat else 0:.0f}  mean {statistics.fmean(lat) * 1000 if lat else 0:.0f}"
    )
    print(f"errors {len(out['errors'])}, lost saves {len(out['lost'])}, mixed-up drafts {len(out['mixed'])}")
    for line in out["errors"][:10]:
        print("  error:", line)


if __name__ == "__main__":
    main()
