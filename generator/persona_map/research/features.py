"""From research tables to a numeric feature matrix: one row per respondent, built by one factory.

Sources are joined on their key: the survey gives one row per respondent, analytics are aggregated per
key as the manifest declares (research.aggregate, as they are read). Categoricals and multi-selects are one-hot
encoded, numerics scaled, ordinals and Likert answers used as ordered numbers and scaled. The encoders
work from pandas category codes, which keeps a million rows fast, and follow scikit-learn's contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer

from persona_map.errors import SegmentError
from persona_map.research.encoders import CategoryOneHot, MultiSelectOneHot, ScaledNumbers
from persona_map.research.manifest import Column
from persona_map.research.sources import Research

FEATURE_ROLES = ("categorical", "multi-select", "ordinal", "likert", "numeric")


@dataclass
class FeatureTable:
    """Respondents (index = key) with their feature columns, each column's role and what it is for people."""

    frame: pd.DataFrame
    roles: dict[str, str] = field(default_factory=dict)
    separators: dict[str, str] = field(default_factory=dict)
    key: str = "respondent"
    base: str = ""
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)  # label, description, levels, scale, source

    def with_frame(self, frame: pd.DataFrame) -> FeatureTable:
        """The same columns and roles over other rows (a sample, a partition)."""
        return FeatureTable(frame, self.roles, self.separators, self.key, self.base, self.meta)

    def columns(self, *roles: str) -> list[str]:
        """Columns with one of `roles`, clustered or only described."""
        return [c for c, r in self.roles.items() if r in roles]

    def clustered(self, *roles: str) -> list[str]:
        """Columns with one of `roles` that segments are made from (not the ones only described)."""
        return [c for c in self.columns(*roles) if self.meta.get(c, {}).get("cluster", True)]

    def logged(self, columns: list[str]) -> list[bool]:
        return [self.meta.get(c, {}).get("transform") == "log" for c in columns]


def build_table(research: Research) -> FeatureTable:
    """Join the sources on their key into one row per respondent (or account)."""
    surveys = research.by_kind("survey")
    analytics = research.by_kind("analytics")
    base_id = surveys[0] if surveys else (analytics[0] if analytics else None)
    if base_id is None:
        raise SegmentError(
            "no survey or analytics source could be read: declare one in research/manifest.yaml"
        )
    spec = research.specs[base_id]
    key = spec.key
    roles: dict[str, str] = {}
    separators: dict[str, str] = {}
    meta: dict[str, dict[str, Any]] = {}
    if spec.kind == "survey":
        base = research.frames[base_id]
        if key and key in base:
            base = base.set_index(key)  # survey keys are unique: loading rejects repeats
        for name, column in spec.columns.items():
            if column.role in FEATURE_ROLES and name in base:
                roles[name] = column.role
                separators[name] = column.separator
                meta[name] = column_meta(column, spec.id)
        frame = base[list(roles)]
        for name, role in roles.items():
            if role == "multi-select" and not isinstance(frame[name].dtype, pd.CategoricalDtype):
                frame[name] = frame[name].astype("category")  # few distinct combinations: split each once
    else:
        frame = None
    for sid in analytics:
        found = research.features(sid) if key else None
        if found is None:
            continue
        frame = found.frame if frame is None else frame.join(found.frame, how="left")
        for name in found.frame.columns:
            roles[name] = "numeric"
        meta.update(found.meta)
    if frame is None:  # analytics without a key: nothing to join
        raise SegmentError(f"{base_id} has no key column: declare `key:` to aggregate its rows per account")
    frame.index.name = key or "row"
    return FeatureTable(frame, roles, separators, key or "row", base_id, meta)


def column_meta(column: Column, source: str) -> dict[str, Any]:
    """What reports need to show a column to people: its label, description and the meaning of its values."""
    return {
        "label": column.label,
        "description": column.description,
        "role": column.role,
        "levels": list(column.levels),
        "scale": list(column.scale) if column.scale else None,
        "source": source,
        "cluster": column.cluster,
        "transform": column.transform,
    }


def make_preprocessor(table: FeatureTable) -> ColumnTransformer:
    """The one factory for the feature pipeline: every role gets its encoder."""
    steps: list[tuple[str, object, list[str]]] = []
    categorical = table.clustered("categorical")
    if categorical:
        steps.append(("categorical", CategoryOneHot(min_share=0.01), categorical))
    for name in table.clustered("multi-select"):
        steps.append(
            (f"multi:{name}", MultiSelectOneHot(table.separators.get(name, ";"), min_share=0.01), [name])
        )
    numeric = table.clustered("numeric", "ordinal", "likert")
    if numeric:
        steps.append(("numeric", ScaledNumbers(log=table.logged(numeric)), numeric))
    if not steps:
        raise SegmentError(
            "the research has no columns usable for segmentation (categorical, multi-select, ordinal, likert or numeric)"
        )
    return ColumnTransformer(steps, remainder="drop", sparse_threshold=0.0, n_jobs=None)
