"""The research model for classification: each contact's nearest research segment, from the saved JSON.

`personas segment` saves its model as plain JSON (build/segments/segments.json): the encoders of every
feature column and the segment centres. Distances are computed with numpy alone (no scikit-learn, no
pickles), column by column and once per distinct value for categories and multi-selects, so no feature
matrix is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from persona_map.errors import ClassifyError
from persona_map.persona import Persona
from persona_map.repository import Repository
from persona_map.transforms import signed_log

MAX_MISSING = 0.5  # share of a contact's model columns that may be empty (training fills them too)
ALIASES = {"job_title": "title"}  # research column -> the contact column that means the same


@dataclass
class SegmentFit:
    """How each contact fits the segments: its nearest one (index), its membership, whether the model may judge it."""

    segment: np.ndarray
    membership: np.ndarray
    eligible: np.ndarray

    @classmethod
    def none(cls, n: int) -> SegmentFit:
        return cls(np.zeros(n, dtype=np.intp), np.zeros(n), np.zeros(n, dtype=bool))


def nearest_segment(frame: pd.DataFrame, saved: dict[str, Any]) -> SegmentFit:
    """Nearest segment of every contact, and its membership against the runner-up segment.

    The membership is d2^2 / (d1^2 + d2^2) for the squared distances d1^2, d2^2 to the nearest and the
    second-nearest centre (fuzzy c-means with m = 2, over those two): 1 at a centre, 0.5 halfway between.
    Eligible are contacts of a frame that carries every model column (ordinals readable as ranks) and
    that have at most MAX_MISSING of them empty; empty values are filled as in training (median, no
    category).
    """
    spec = saved.get("model")
    if not isinstance(spec, dict) or not spec.get("centres") or not saved.get("segments"):
        raise ClassifyError(
            "the model is not a saved segmentation (build/segments/segments.json from personas segment)"
        )
    centres = np.asarray(spec["centres"], dtype=np.float64)
    n = len(frame)
    columns = {c: ALIASES[c] if c not in frame.columns and c in ALIASES else c for c in spec["columns"]}
    if any(c not in frame.columns for c in columns.values()):
        return SegmentFit.none(n)
    distances = np.zeros((n, len(centres)))
    missing = np.zeros(n)
    start = 0
    for encoder in spec["encoders"]:
        for j, name in enumerate(encoder["columns"]):
            values = frame[columns[name]]
            missing += values.isna().to_numpy()
            encoded = _encode(values, encoder, j, spec, name)
            if encoded is None:
                return SegmentFit.none(n)
            table, codes = encoded
            block = centres[:, start : start + table.shape[1]]
            start += table.shape[1]
            distances += ((table[:, None, :] - block[None, :, :]) ** 2).sum(axis=2)[codes]
    if start != centres.shape[1]:
        raise ClassifyError(
            f"the model's encoders describe {start} features but its centres have {centres.shape[1]}"
        )
    order = (
        np.argsort(distances, axis=1, kind="stable")[:, :2]
        if len(centres) > 1
        else np.zeros((n, 2), dtype=np.intp)
    )
    closest = distances[np.arange(n), order[:, 0]]
    runner_up = distances[np.arange(n), order[:, 1]]
    total = closest + runner_up
    membership = np.where(total > 0, runner_up / np.where(total > 0, total, 1.0), 1.0)
    return SegmentFit(order[:, 0], membership, missing <= MAX_MISSING * len(columns))


def _encode(
    values: pd.Series, encoder: dict[str, Any], j: int, spec: dict[str, Any], name: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """(distinct encodings x features, each row's code into them), or None when the column cannot be read."""
    if encoder["kind"] == "scaled":
        numbers = _numbers(values, spec["columns"].get(name), spec.get("levels", {}).get(name))
        if numbers is None:
            return None
        logged = encoder.get("log")
        if logged and logged[j]:
            numbers = signed_log(numbers)  # as segmentation fitted it
        filled = np.where(np.isnan(numbers), encoder["median"][j], numbers)
        return ((filled - encoder["mean"][j]) / encoder["scale"][j])[:, None], np.arange(len(values))
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    cells = [_text(v) for v in uniques.tolist()]
    if encoder["kind"] == "one-hot":
        table = _indicators([[c] for c in cells], encoder["categories"][j])
    else:
        separator = encoder.get("separator", ";")
        table = _indicators([[x.strip() for x in c.split(separator)] for c in cells], encoder["choices"][j])
    return table, np.where(codes < 0, len(cells), codes)


def _indicators(cells: list[list[str]], names: list[str]) -> np.ndarray:
    """Distinct cells x names 0/1 table, plus a last all-zero row for empty cells."""
    position = {c: i for i, c in enumerate(names)}
    table = np.zeros((len(cells) + 1, len(names)))
    for u, cell in enumerate(cells):
        for value in cell:
            if value in position:
                table[u, position[value]] = 1.0
    return table


def _numbers(values: pd.Series, role: str | None, levels: list[str] | None) -> np.ndarray | None:
    """A scaled column as floats; ordinals as their rank (None when their levels are unknown)."""
    if role != "ordinal":
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    ordered = isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered
    if ordered and (levels is None or [str(c) for c in values.cat.categories] == levels):
        return np.where(values.cat.codes < 0, np.nan, values.cat.codes).astype(np.float64)
    if not levels:
        return None
    codes = pd.Categorical(values.astype("string").str.strip(), categories=levels).codes
    return np.where(codes < 0, np.nan, codes).astype(np.float64)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def load_model(repo: Repository, personas: list[Persona] | None = None) -> dict[str, Any] | None:
    """The last saved segmentation, ready for `classify(model=...)`; None when there is none or it is weak.

    A weak segmentation (no clear structure, or unstable) would route contacts by noise, so it is not used.
    Adds the ordinal levels from the research manifest (so '201-1000' becomes its rank), `current`
    (False when the research changed since: worth a warning) and, given the personas, the persona each
    segment stands for.
    """
    from persona_map.research.manifest import load_manifest
    from persona_map.research.results import is_current, load_saved

    saved = load_saved(repo.root)
    if saved is None or saved.get("weak") or not isinstance(saved.get("model"), dict):
        return None
    if not saved["model"].get("centres"):
        return None
    manifest, _ = load_manifest(repo)
    levels: dict[str, list[str]] = {}
    for source in sorted(manifest.sources.values(), key=lambda s: s.kind != "survey"):
        for name, column in source.columns.items():
            if column.role == "ordinal" and column.levels:
                levels.setdefault(name, list(column.levels))
    current = is_current(repo, manifest, saved)
    saved = {**saved, "model": {**saved["model"], "levels": levels}, "current": current}
    if personas is not None:
        saved["segment_personas"] = segment_personas(personas, saved)
    return saved


def segment_personas(personas: list[Persona], saved: dict[str, Any]) -> dict[str, str]:
    """Segment id -> persona id, paired as `personas suggest` pairs them."""
    from persona_map.research.matching import assign

    return {match.segment: persona_id for persona_id, match in assign(personas, saved["segments"]).items()}


def model_labels(
    frame: pd.DataFrame, model: dict[str, Any], segment_to_persona: dict[str, str]
) -> tuple[pd.Series, pd.Series]:
    """Persona of each contact's nearest research segment and the segment's membership; NA where it cannot tell."""
    fit = nearest_segment(frame, model)
    ids = np.array([segment_to_persona.get(s["id"]) for s in model["segments"]], dtype=object)
    persona = pd.Series(np.where(fit.eligible, ids[fit.segment], None), index=frame.index, dtype="string")
    membership = pd.Series(np.where(fit.eligible, np.round(fit.membership, 2), np.nan), index=frame.index)
    return persona, membership
