"""Write one benchmark's section of bench/RESULTS.md, replacing the previous run of the same benchmark."""

from __future__ import annotations

import os
import platform
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def record(section: str, title: str, command: str, lines: list[str], notes: tuple[str, ...] = ()) -> None:
    """Put `lines` under `## title` between `<!-- section:start -->` and `<!-- section:end -->`."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"
    block = "\n".join(
        [
            start,
            f"## {title}",
            "",
            f"Measured {date.today().isoformat()} on {machine} with `{command}`.",
            *notes,
            "",
            *lines,
            end,
        ]
    )
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")
