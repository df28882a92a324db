"""A persona's picture (metadata.picture): a real, bounded PNG, JPEG or WebP file inside the repository.

The site publishes the file as it is, so its bytes must be what its name says: an SVG (which can carry
script) or an HTML page renamed to .png is refused, whatever the extension.
"""

from __future__ import annotations

from pathlib import Path

from persona_map.data_paths import get
from persona_map.findings import Finding
from persona_map.repository import resolves_inside
from persona_map.yaml_load import Document

MAX_PICTURE_BYTES = 1024 * 1024
TYPES = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WebP"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WebP": "webp"}  # what a picture of each type is published as
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WebP": "image/webp"}
WHERE = ("metadata", "picture", "file")


def image_type(head: bytes) -> str | None:
    """PNG, JPEG or WebP from a file's first bytes; None for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return None


def _looks_like_markup(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype", b"<html", b"<!--"))


def picture_findings(doc: Document, root: Path | None) -> list[Finding]:
    """Findings for the picture file a persona names; none when it names none (the schema checks the form)."""
    name = get(doc.data, *WHERE)
    if root is None or not isinstance(name, str) or name.rsplit(".", 1)[-1].lower() not in TYPES:
        return []
    if name.startswith("/") or ".." in name.split("/"):
        return []  # the schema refuses the path itself
    path = root / name
    fix = "add the image to the repository, or remove metadata.picture to use the generated avatar"
    if not resolves_inside(path, root):  # a symlink out of the repository, or a loop
        return [doc.finding(WHERE, f"{name} points outside the repository", fix, "picture.outside")]
    if not path.is_file():
        return [doc.finding(WHERE, f"{name} does not exist", fix, "picture.missing")]
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as e:
        return [doc.finding(WHERE, f"{name} cannot be read: {e.strerror or e}", fix, "picture.missing")]
    if size > MAX_PICTURE_BYTES:
        return [
            doc.finding(
                WHERE,
                f"{name} is {size / 1024 / 1024:.1f} MiB; pictures may be at most 1 MiB",
                "export it smaller (a 512 x 512 pixel WebP or JPEG is plenty)",
                "picture.size",
            )
        ]
    actual = image_type(head)
    claimed = TYPES[name.rsplit(".", 1)[-1].lower()]
    if actual is None:
        what = (
            "SVG or HTML markup, which can carry script"
            if _looks_like_markup(head)
            else "no PNG, JPEG or WebP"
        )
        return [
            doc.finding(
                WHERE,
                f"{name} holds {what}",
                "export the picture as PNG, JPEG or WebP",
                "picture.type",
            )
        ]
    if actual != claimed:
        return [
            doc.finding(
                WHERE,
                f"{name} holds {actual} data, not {claimed}",
                f"rename it to .{EXTENSIONS[actual]} (and update metadata.picture.file)",
                "picture.type",
            )
        ]
    return []
