"""The only way WeasyPrint may read anything while rendering a scorecard.

WeasyPrint's default fetcher opens file:, http(s):, ftp: and data: URLs and
follows redirects, and ``<link rel="attachment" href="file:///...">`` embeds
any readable file into the PDF. :class:`SafeFetcher` serves only files under
the given folders (the templates and the fonts) and data: URLs; everything
else is refused before any connection or file access. Evidence URLs from
submissions are printed as text and never reach it.

Imports WeasyPrint: import this module lazily (inside the renderer).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from .errors import ExactPickle

MAX_LOG = 100


class RefusedURL(ExactPickle, ValueError):
    """A URL outside what the scorecard may read (WeasyPrint logs it and goes on)."""


class SafeFetcher(URLFetcher):
    """file: under ``roots`` and data: only; no network, no redirects."""

    def __init__(self, roots: Iterable[Path]) -> None:
        super().__init__(timeout=5, allowed_protocols=("file", "data"), allow_redirects=False, fail_on_errors=False)
        self.roots = tuple(Path(r).resolve() for r in roots)
        self.refused: list[str] = []  # the last few refused URLs, for diagnostics and tests

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._allowed_path(url)
            if path is not None:
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
        self._refuse(url)
        raise RefusedURL(f"评分表只读取模板和字体文件，已拒绝：{url[:200]}")

    def _allowed_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(unquote(parts.path)).resolve()
        except (OSError, ValueError):
            return None
        if not path.is_file():
            return None
        if any(path.is_relative_to(root) for root in self.roots):
            return path
        return None

    def _refuse(self, url: str) -> None:
        self.refused.append(url[:500])
        del self.refused[:-MAX_LOG]
