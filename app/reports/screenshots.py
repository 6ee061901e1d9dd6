"""The manuals' screenshots: where they live and which templates each one shows.

`make screenshots` (scripts/screenshots.py) photographs the real pages from the demo data
and writes ``static/screenshots/manifest.json``: for each PNG, the page it shows and the
sha256 of every template that page loaded (extends, includes and imports too). The PNGs
sit in the static folder because the PDF renderer reads nothing else
(app/pdf/render.py), so a manual embeds them as ``<img src="screenshots/x.png">``.

:func:`stale_screenshots` compares the manifest with the templates as they are now; the
test suite fails on any difference, naming the screenshot to remake.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config import ROOT

FOLDER = ROOT / "static" / "screenshots"
MANIFEST = FOLDER / "manifest.json"
TEMPLATES = ROOT / "templates"
COMMAND = "make screenshots"


def template_hash(name: str, root: Path = TEMPLATES) -> str | None:
    """sha256 of a template's bytes, or None when the template is gone."""
    path = root / name
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    """The manifest: ``{"command": ..., "shots": {png name: {"page", "user", "templates"}}}``."""
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


@dataclass(frozen=True)
class Stale:
    """A screenshot whose page's templates changed since it was made."""

    shot: str
    changed: tuple[str, ...]

    def __str__(self) -> str:
        names = ", ".join(f"templates/{name}" for name in self.changed)
        return (
            f"static/screenshots/{self.shot} is older than {names}: "
            f"remake the screenshots with `{COMMAND}`"
        )


def stale_screenshots(manifest: dict[str, Any], root: Path = TEMPLATES) -> list[Stale]:
    """Every screenshot with a template whose hash is no longer the recorded one."""
    stale = []
    for shot, entry in sorted(manifest["shots"].items()):
        changed = tuple(
            name
            for name, recorded in sorted(entry["templates"].items())
            if template_hash(name, root) != recorded
        )
        if changed:
            stale.append(Stale(shot, changed))
    return stale
