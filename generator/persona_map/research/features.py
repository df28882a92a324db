"""From research tables to a numeric feature matrix: one row per respondent, built by one factory.

Sources are joined on their key: the survey gives one row per respondent, analytics are aggregated per
key (mean of every numeric column and the number of rows). Categoricals and multi-selects are one-hot
encoded, numerics scaled, ordinals and Likert answers used as ordered numbers and scaled. The encoders
work from pandas category codes, which keeps a million rows fast, and follow scikit-learn's contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sklearn.compose import ColumnTransformer

from persona_map.errors import SegmentError
from persona_map.research.encoders import CategoryOneHot, MultiSelectOneHot, ScaledNumbers
from persona_map.research.sources import Research

FEATURE_ROLES = ("categorical", "multi-select", "ordinal", "likert", "numeric")


@dataclass
class FeatureTable:
    """Respondents (index = key) with their feature columns, and each column's role."""

    frame: pd.DataFrame
    roles: dict[str, str] = field(default_factory=dict)
    separators: dict[str, str] = field(default_factory=dict)
    key: str = "respondent"
    base: str = ""

    def columns(self, *roles: str) -> list[str]:
        return [c for c, r in self.roles.items() if r in roles]


def build_table(research: Research) -> FeatureTable:
    """Join the sources on their key into one row per respondent."""
    surveys = research.by_kind("survey")
    analytics = research.by_kind("analytics")
    base_id = surveys[0] if surveys else (analytics[0] if analytics else None)
    if base_id is None:
        raise SegmentError(
            "no survey or analytics source could be read: declare one in research/manifest.yaml"
        )
    spec = research.specs[base_id]
    base = research.frames[base_id]
    key = spec.key
    roles: dict[str, str] = {}
    separators: dict[str, str] = {}
    if key and key in base:
        base = base.set_index(key)  # survey keys are unique: loading rejects repeats
    if spec.kind == "survey":
        for name, column in spec.columns.items():
            if column.role in FEATURE_ROLES and name in base:
                roles[name] = column.role
                separators[name] = column.separator
        frame = base[list(roles)]
        for name, role in roles.items():
            if role == "multi-select" and not isinstance(frame[name].dtype, pd.CategoricalDtype):
                frame[name] = frame[name].astype("category")  # few distinct combinations: split each once
    else:
        frame = pd.DataFrame(index=base.index.unique() if key else base.index)
    for sid in analytics:
        aspec = research.specs[sid]
        if not (aspec.key and key) or aspec.key not in research.frames[sid]:
            continue
        numeric = [c for c in aspec.roles("numeric", "likert") if c in research.frames[sid]]
        grouped = research.frames[sid].groupby(aspec.key, observed=True)
        aggregate = grouped[numeric].mean().add_prefix(f"{sid}:avg_")
        aggregate[f"{sid}:rows"] = grouped.size()
        frame = frame.join(aggregate, how="left")
        for name in aggregate.columns:
            roles[name] = "numeric"
    frame.index.name = key or "row"
    return FeatureTable(frame, roles, separators, key or "row", base_id)


def make_preprocessor(table: FeatureTable) -> ColumnTransformer:
    """The one factory for the feature pipeline: every role gets its encoder."""
    steps: list[tuple[str, object, list[str]]] = []
    categorical = table.columns("categorical")
    if categorical:
        steps.append(("categorical", CategoryOneHot(min_share=0.01), categorical))
    for name in table.columns("multi-select"):
        steps.append(
            (f"multi:{name}", MultiSelectOneHot(table.separators.get(name, ";"), min_share=0.01), [name])
        )
    numeric = table.columns("numeric", "ordinal", "likert")
    if numeric:
        steps.append(("numeric", ScaledNumbers(), numeric))
    if not steps:
        raise SegmentError(
            "the research has no columns usable for segmentation (categorical, multi-select, ordinal, likert or numeric)"
        )
    return ColumnTransformer(steps, remainder="drop", sparse_threshold=0.0, n_jobs=None)
