"""``scoring serve``: start the site, or create the first administrator (``--create-admin NAME``)."""

from __future__ import annotations

import argparse
import errno
import re
import sqlite3
from pathlib import Path
from typing import IO

from ..errors import UsageError

NAME = re.compile(r"[A-Za-z0-9_.\-\u4e00-\u9fff]{2,40}")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="启动考核办内网填报网站（各单位在浏览器中填报、检查、提交；考核办核定、汇总）")
    p.add_argument("--data", required=True, metavar="DIR", help="数据文件夹（数据库与材料文件，首次启动时创建）")
    p.add_argument(
        "--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1；内网访问可用 0.0.0.0 或放在反向代理之后）"
    )
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    p.add_argument("--create-admin", metavar="NAME", help="创建管理员账号并打印一次性密码，然后退出")
    p.add_argument(
        "--secure-cookies", action="store_true", help="会话 Cookie 只经 HTTPS 发送（在 HTTPS 反向代理之后运行时使用）"
    )


def run_serve(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    try:
        from . import app as _app  # noqa: F401  (the optional extra: starlette, uvicorn, argon2-cffi)
    except ImportError as exc:
        raise UsageError(f"scoring serve 需要可选依赖：pip install 'zwgk-scoring[site]'（缺少 {exc.name}）") from None
    from . import auth
    from .core import Site

    data = Path(args.data)
    if data.exists() and not data.is_dir():
        raise UsageError(f"--data 应为文件夹，“{data}”是一个文件")
    site = Site(data)
    site.init()
    if args.create_admin is not None:
        name = args.create_admin.strip()
        if not NAME.fullmatch(name):
            raise UsageError("管理员用户名应为 2–40 个字母、数字、汉字或 _ . -")
        conn = site.connect()
        try:
            password = auth.create_admin(conn, name)
        except sqlite3.IntegrityError:
            raise UsageError(f"用户名“{name}”已存在") from None
        finally:
            conn.close()
        out.write(f"已创建管理员 {name}\n一次性密码：{password}\n首次登录后须修改密码。此密码不会再次显示。\n")
        return 0
    if not 0 < args.port < 65536:
        raise UsageError(f"--port 应为 1–65535 之间的端口号，实际为 {args.port}")
    conn = site.connect()
    try:
        admins = conn.execute("SELECT COUNT(*) FROM users WHERE role = 'admin'").fetchone()[0]
    finally:
        conn.close()
    if not admins:
        err.write(f"提醒：还没有管理员账号，请先运行 scoring serve --data {data} --create-admin 用户名\n")
    import socket

    try:  # a clear message before uvicorn's own English one
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as exc:
        from ..iofiles import os_error_text

        reason = "已被占用" if exc.errno == errno.EADDRINUSE else os_error_text(exc)
        raise UsageError(f"无法在 {args.host}:{args.port} 上启动网站：{reason}（请换一个 --port 或 --host）") from None
    import uvicorn

    from .app import create_app

    err.write(f"政务公开考核评价填报系统：http://{args.host}:{args.port}/ （数据文件夹 {data}，按 Ctrl+C 停止）\n")
    uvicorn.run(
        create_app(data, secure_cookies=args.secure_cookies),
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=True,
        server_header=False,
    )
    return 0
