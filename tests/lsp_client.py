"""A small Language Server Protocol client over stdio, to drive the real yaml-language-server.

JSON-RPC 2.0 messages framed by ``Content-Length`` headers. A reader thread
parses frames, answers the server's own requests (``workspace/configuration``
with the given settings, registrations with null) and hands responses and
notifications to the caller. Used by tests/test_editor_lsp.py.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / ".tools" / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
TIMEOUT = 60.0  # seconds; generous: the machine is shared, and a wait only ends early


class LspError(RuntimeError):
    pass


def server_command() -> list[str] | None:
    """``node …/yaml-language-server --stdio``, or None where node or the server is missing."""
    node = shutil.which("node")
    if node is None or not SERVER.is_file():
        return None
    return [node, str(SERVER), "--stdio"]


def yaml_settings(schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``yaml`` settings section as VS Code's Red Hat extension sends it (schema store off: no network)."""
    return {
        "validate": True,
        "hover": True,
        "completion": True,
        "format": {"enable": False},
        "schemaStore": {"enable": False},
        "schemas": schemas or {},
    }


class LspClient:
    """``with LspClient(workspace) as lsp: lsp.open(path); lsp.diagnostics(path); lsp.completion(...)``."""

    def __init__(
        self,
        workspace: Path,
        settings: dict[str, Any] | None = None,
        command: list[str] | None = None,
        locale: str = "zh-cn",  # as VS Code with the Chinese language pack: the server's own words in Chinese
    ):
        command = command or server_command()
        if command is None:
            raise LspError("node or yaml-language-server is not installed (run scripts/setup.sh)")
        self.workspace = workspace
        self.locale = locale
        self.settings = settings if settings is not None else yaml_settings()
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=workspace,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
        )
        self._next_id = 0
        self._responses: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._notifications: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        self._diagnostics: dict[str, list[dict[str, Any]]] = {}
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self.versions: dict[str, int] = {}

    # -- framing ----------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}, ensure_ascii=False).encode("utf-8")
        assert self._process.stdin is not None
        with self._lock:
            self._process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self._process.stdin.flush()

    def _read_message(self) -> dict[str, Any] | None:
        stream = self._process.stdout
        assert stream is not None
        length = None
        while True:
            line = stream.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if length is None:
            raise LspError("frame without Content-Length")
        return json.loads(stream.read(length).decode("utf-8"))

    def _read_loop(self) -> None:
        while (message := self._read_message()) is not None:
            if "method" in message and "id" in message:
                self._answer(message)
            elif "id" in message:
                box = self._responses.get(message["id"])
                if box is not None:
                    box.put(message)
            else:
                self._notifications.put(message)

    def _answer(self, request: dict[str, Any]) -> None:
        """The server asks too: configuration pulls get our settings, everything else null."""
        result: Any = None
        if request["method"] == "workspace/configuration":
            sections = {"yaml": self.settings, "http": {}, "[yaml]": {}, "editor": {}}
            result = [sections.get(item.get("section", "")) for item in request["params"]["items"]]
        self._send({"id": request["id"], "result": result})

    # -- requests and notifications ---------------------------------------------------------
    def request(self, method: str, params: Any) -> Any:
        self._next_id += 1
        ident = self._next_id
        box: queue.Queue[dict[str, Any]] = queue.Queue()
        self._responses[ident] = box
        self._send({"id": ident, "method": method, "params": params})
        try:
            reply = box.get(timeout=TIMEOUT)
        except queue.Empty:
            raise LspError(f"no answer to {method} in {TIMEOUT:.0f} s") from None
        finally:
            del self._responses[ident]
        if "error" in reply:
            raise LspError(f"{method}: {reply['error']}")
        return reply.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def initialize(self) -> dict[str, Any]:
        uri = self.workspace.resolve().as_uri()
        result = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "locale": self.locale,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": self.workspace.name}],
                "capabilities": {
                    "workspace": {"configuration": True, "workspaceFolders": True},
                    "textDocument": {
                        "publishDiagnostics": {"relatedInformation": True},
                        "completion": {
                            "completionItem": {
                                "snippetSupport": True,
                                "documentationFormat": ["markdown", "plaintext"],
                                "labelDetailsSupport": True,
                            }
                        },
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                    },
                },
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": self.settings}})
        return result

    def open(self, path: Path, text: str | None = None) -> str:
        """didOpen ``path`` (its text from disk unless given); returns its URI.

        Each URI is opened once: diagnostics carry no version, so a late answer for an earlier
        text (or the empty one a close sends) could not be told apart from the answer wanted."""
        uri = path.resolve().as_uri()
        if uri in self.versions:
            raise LspError(f"{uri} was opened before; open each text under its own name")
        self.versions[uri] = 1
        text = path.read_text(encoding="utf-8") if text is None else text
        self.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}
        )
        return uri

    def diagnostics(self, uri: str) -> list[dict[str, Any]]:
        """The first diagnostics published for ``uri`` since it was opened."""
        while uri not in self._diagnostics:
            try:
                note = self._notifications.get(timeout=TIMEOUT)
            except queue.Empty:
                raise LspError(f"no diagnostics for {uri} in {TIMEOUT:.0f} s") from None
            if note.get("method") == "textDocument/publishDiagnostics":
                self._diagnostics.setdefault(note["params"]["uri"], note["params"]["diagnostics"])
        return self._diagnostics[uri]

    def close_document(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def completion(self, uri: str, line: int, character: int) -> list[dict[str, Any]]:
        """Completion items at a 0-based position (0-based line and UTF-16 character)."""
        result = self.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        items = result.get("items", []) if isinstance(result, dict) else result or []
        return items

    def hover(self, uri: str, line: int, character: int) -> Any:
        return self.request(
            "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
        )

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self.request("shutdown", None)
                self.notify("exit", None)
                self._process.wait(timeout=10)
            except (LspError, OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()

    def __enter__(self) -> LspClient:
        try:
            self.initialize()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
