"""PDF reports other than the scorecard (batch summary, comparison), drawn with the
scorecard :class:`~scoring.render.Renderer`'s fonts, safe URL fetcher and font
configuration, so a worker process that already renders scorecards loads
nothing twice.

Templates: ``templates/<name>.html.j2`` and ``templates/<name>.css`` from the
custom templates folder if it has them, else the packaged ones. The view data
handed to a template is plain strings and lists computed in Python (numbers
formatted, chart geometry computed); the template only prints, autoescaped,
with StrictUndefined. Every character to print is checked against the fonts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .render import GlyphError, Renderer, RenderError, default_templates_dir, gc_paused, printed_text
from .templating import describe, environment


class ReportRenderer:
    """Renders ``<name>.html.j2`` + ``<name>.css`` to PDF with a scorecard renderer's set-up."""

    def __init__(self, renderer: Renderer | None = None, templates_dir: Path | None = None) -> None:

        self.renderer = renderer or Renderer(templates_dir)
        folders = [str(self.renderer.templates_dir)]
        packaged = default_templates_dir().resolve()
        if packaged != self.renderer.templates_dir:
            folders.append(str(packaged))
        self.folders = [Path(f) for f in folders]
        self.env = environment(folders)  # sandboxed, as for scorecards
        self._css: dict[str, Any] = {}

    def families(self) -> dict[str, str]:
        """CSS family names of the prepared faces: ``sans`` and ``serif``."""
        out = {"sans": "", "serif": ""}
        for face in self.renderer.fonts.faces:
            key = "serif" if "Serif" in face.spec.family else "sans"
            out[key] = out[key] or face.spec.family
        out["serif"] = out["serif"] or out["sans"]
        return out

    def css_text(self, name: str) -> str:
        for folder in self.folders:
            path = folder / f"{name}.css"
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                fam = self.families()
                stack = self.renderer.fonts.stack  # common cut first, then the full face
                text = text.replace('"__SANS__"', stack).replace('"__SERIF__"', stack)
                return text.replace("__SANS__", fam["sans"]).replace("__SERIF__", fam["serif"])
        raise RenderError(f"模板文件夹中缺少 {name}.css")

    def html(self, name: str, view: dict[str, Any], standalone: bool = True) -> str:
        css = self.css_text(name) if standalone else ""
        try:
            template = self.env.get_template(f"{name}.html.j2")
            return template.render(view=view, css=css, standalone=standalone)
        except Exception as exc:  # whatever a template does wrong (sandbox refusal, 1/0): its file and line
            raise RenderError(describe(exc, f"{name}.html.j2")) from exc

    def printable(self, view: Any) -> tuple[Any, list[str]]:
        """``view`` with every character the fonts cannot print shown as its code (``〔U+1F600〕``),
        and those characters. For reports that must be drawn whatever the bodies typed (the
        batch summary lists every body): a scorecard instead refuses such text (:class:`GlyphError`)."""
        coverage = self.renderer.fonts.uncovered
        missing: dict[str, None] = {}

        def walk(value: Any) -> Any:
            if isinstance(value, str):
                chars = coverage(value)
                if not chars:
                    return value
                missing.update(dict.fromkeys(chars))
                return "".join(f"〔U+{ord(c):04X}〕" if c in chars else c for c in value)
            if isinstance(value, dict):
                return {k: walk(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return type(value)(walk(v) for v in value)
            return value

        return walk(view), list(missing)

    def pdf(self, name: str, view: dict[str, Any]) -> bytes:
        r = self.renderer
        html = self.html(name, view, standalone=False)
        missing = r.fonts.uncovered(printed_text(html))
        if missing:
            raise GlyphError([(ch, _places(view, ch)) for ch in missing])
        wp = r._weasyprint
        if "" not in self._css:
            fonts_url = r.fonts.folder.as_uri() + "/"
            self._css[""] = wp.CSS(
                string=r.fonts.font_face_css(), base_url=fonts_url, url_fetcher=r.fetcher, font_config=r.font_config
            )
        if name not in self._css:
            self._css[name] = wp.CSS(
                string=self.css_text(name), base_url=r.base_url, url_fetcher=r.fetcher, font_config=r.font_config
            )
        with gc_paused():  # the lean user-agent sheet and no collections, as for scorecards
            document = r._html(string=html, base_url=r.base_url, url_fetcher=r.fetcher)
            return document.write_pdf(stylesheets=[self._css[""], self._css[name]], font_config=r.font_config)


def _places(view: Any, ch: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` strings of the view that contain ``ch`` (for the glyph error)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if len(found) >= limit:
            return
        if isinstance(value, str):
            if ch in value:
                found.append(f"“{value[:40]}”")
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(view)
    return found or ["汇总材料模板"]
