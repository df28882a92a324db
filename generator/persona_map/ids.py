"""Persona ids: lowercase slugs, each the name of a file `personas/<id>.yaml` that every system can hold."""

from __future__ import annotations

import re

SLUG = re.compile(
    r"^[a-z0-9]+(-[a-z0-9]+)*$"
)  # metadata.id's pattern in the schema (a test keeps them equal)
MIN_LENGTH, MAX_LENGTH = 2, 64  # metadata.id's minLength and maxLength in the schema
# Device names Windows refuses as a file name, in any case and with any extension ("con.yaml"): a checkout
# with such a file fails on Windows.
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
)


def reserved_on_windows(name: str) -> bool:
    """True when Windows cannot create a file named `name` (or `name` plus an extension): CON, NUL, COM1, ..."""
    return name.split(".", 1)[0].rstrip(" ").casefold() in WINDOWS_RESERVED


def id_problem(persona_id: str) -> str:
    """What is wrong with `persona_id` as a persona id, or '' when it is fine."""
    if not SLUG.match(persona_id):
        return (
            f"'{persona_id}' is not a lowercase slug (letters, digits and single hyphens, e.g. platform-lead)"
        )
    if not MIN_LENGTH <= len(persona_id) <= MAX_LENGTH:
        return f"'{persona_id}' must be {MIN_LENGTH} to {MAX_LENGTH} characters long"
    if reserved_on_windows(persona_id):
        return f"'{persona_id}' is a device name on Windows, where no file can be called {persona_id}.yaml"
    return ""
