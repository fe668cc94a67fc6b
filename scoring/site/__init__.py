"""``scoring serve``: the evaluation office's intranet site (Starlette, SQLite, server-rendered pages)."""
