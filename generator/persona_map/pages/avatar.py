"""Generated avatars: an illustrated portrait per persona, as inline SVG, for personas without a picture.

Deterministic (the same persona id always gets the same face) and distinct within a site: personas are
taken in id order and each gets a background colour well away from the ones already given. The SVG is
built only from numbers and fixed shapes, never from persona text, so it needs no escaping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

SKIN = ("#f6d7c3", "#eec1a0", "#d9a27b", "#b97d56", "#8d5a3b", "#5e3b27")
HAIR = ("#2b1d16", "#4a3020", "#7a4a24", "#b5773b", "#d9b26a", "#8c8c8c", "#a23b2a")
# Hair behind the head (drawn first) and on top of it (drawn after), per style.
HAIR_STYLES: tuple[tuple[str, str], ...] = (
    ("", "M25 33c0-12 6-19 15-19s15 7 15 19c-3-6-8-9-15-9s-12 3-15 9z"),  # short crop
    (
        "M22 34c0-14 7-21 18-21s18 7 18 21v20c-3 2-7 3-11 3V34H33v23c-4 0-8-1-11-3z",
        "M25 33c0-12 6-19 15-19s15 7 15 19c-4-7-10-10-18-9-5 1-9 4-12 9z",
    ),  # long
    (
        "",
        "M25 33c0-12 6-19 15-19s15 7 15 19c-3-6-8-9-15-9s-12 3-15 9zM40 4a7 7 0 1 1 0 14a7 7 0 1 1 0-14z",
    ),  # bun
    (
        "",
        "M24 32a6 6 0 0 1 5-11a7 7 0 0 1 11-6a7 7 0 0 1 11 6a6 6 0 0 1 5 11c-2-4-5-6-8-6-3 2-13 2-16 0-3 0-6 2-8 6z",
    ),  # curly
    ("", "M25 33c0-12 6-19 15-19s15 6 15 13c-6-1-15-3-22-9-3 5-6 10-8 15z"),  # side part
    ("", "M27 27c2-8 7-11 13-11s11 3 13 11c-4-3-8-4-13-4s-9 1-13 4z"),  # close shave
)
MIN_HUE_GAP = 40  # degrees between background colours of two personas, while there is room


@dataclass(frozen=True)
class Look:
    """Everything that makes one avatar: colours and shapes, chosen from the persona id."""

    hue: int
    skin: int
    hair: int
    style: int
    glasses: bool
    shirt_hue: int


def look(persona_id: str, taken: Iterable[int] = ()) -> Look:
    """The avatar of `persona_id`, its background hue kept away from the `taken` hues."""
    digest = hashlib.sha256(persona_id.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    taken = list(taken)
    for _ in range(360 // 7):
        if all(_hue_gap(hue, other) >= MIN_HUE_GAP for other in taken):
            break
        hue = (hue + 7) % 360
    return Look(
        hue=hue,
        skin=digest[2] % len(SKIN),
        hair=digest[3] % len(HAIR),
        style=digest[4] % len(HAIR_STYLES),
        glasses=digest[5] % 3 == 0,
        shirt_hue=(hue + 150 + digest[6] % 60) % 360,
    )


def looks(persona_ids: Iterable[str]) -> dict[str, Look]:
    """Distinct looks for every persona of a site, taken in id order so each stays put as others come."""
    out: dict[str, Look] = {}
    for persona_id in sorted(persona_ids):
        out[persona_id] = look(persona_id, (chosen.hue for chosen in out.values()))
    return out


def _hue_gap(a: int, b: int) -> int:
    gap = abs(a - b) % 360
    return min(gap, 360 - gap)


def svg(face: Look) -> str:
    """The avatar as an inline SVG element (decorative: the persona's name always stands beside it)."""
    behind, front = HAIR_STYLES[face.style]
    hair = HAIR[face.hair]
    skin = SKIN[face.skin]
    parts = [
        '<svg class="pm-avatar__svg" viewBox="0 0 80 80" aria-hidden="true" focusable="false" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<rect width="80" height="80" fill="hsl({face.hue} 60% 84%)"/>',
        f'<path d="{behind}" fill="{hair}"/>' if behind else "",
        f'<path d="M10 80c0-15 13-25 30-25s30 10 30 25z" fill="hsl({face.shirt_hue} 42% 38%)"/>',
        f'<path d="M33 55l7 9 7-9z" fill="hsl({face.shirt_hue} 30% 92%)"/>',
        f'<rect x="34" y="44" width="12" height="13" rx="5" fill="{skin}"/>',
        f'<ellipse cx="40" cy="34" rx="14" ry="16" fill="{skin}"/>',
        f'<path d="{front}" fill="{hair}"/>',
        '<circle cx="34.5" cy="35" r="1.7" fill="#241a14"/><circle cx="45.5" cy="35" r="1.7" fill="#241a14"/>',
        '<path d="M35 42.5q5 4 10 0" fill="none" stroke="#7a3b2e" stroke-width="1.6" stroke-linecap="round"/>',
    ]
    if face.glasses:
        parts.append(
            '<g fill="none" stroke="#2a2a2a" stroke-width="1.3"><circle cx="34.5" cy="35" r="4.6"/>'
            '<circle cx="45.5" cy="35" r="4.6"/><path d="M39.1 35h1.8"/></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
