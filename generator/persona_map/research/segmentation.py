"""A segmentation run's settings and results, as plain data: what segment, the report and suggest share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

Progress = Callable[[str], None]
STABLE = 0.9  # mean agreement of the resampled refits from which segments are called stable


@dataclass(frozen=True)
class SegmentOptions:
    """Settings of one segmentation run."""

    k_min: int = 3
    k_max: int = 5
    method: str = "kmeans"
    seed: int = 0
    fit_sample: int = 12_000  # rows the model is fitted on; every row is then assigned to its nearest segment
    score_sample: int = 2_000  # rows silhouette and stability are computed on
    resamples: int = 5


@dataclass
class Segment:
    """One segment: how big it is and what sets it apart."""

    id: str
    size: int
    share: float
    categories: list[dict[str, Any]] = field(default_factory=list)  # over-indexing categories
    numbers: list[dict[str, Any]] = field(default_factory=list)  # numeric differences in standard units
    analytics: list[dict[str, Any]] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=dict)  # most common value of each categorical/ordinal
    distributions: dict[str, dict[str, float]] = field(default_factory=dict)  # value shares per column
    quotes: list[dict[str, str]] = field(default_factory=list)
    interviewees: list[str] = field(default_factory=list)  # members who were interviewed
    themes: list[str] = field(default_factory=list)  # terms their interviews use more than everyone's
    summary: str = ""  # one plain sentence a PM can paste into a persona


@dataclass
class SegmentResult:
    """Everything a segmentation run found, JSON-ready."""

    created: str
    inputs: str  # fingerprint of the research files and manifest
    options: dict[str, Any]
    respondents: int
    features: int
    k: int
    scores: dict[int, float]
    structure: dict[str, Any]  # research.structure.Structure.to_dict(): the verdict and the null comparisons
    verdict: str  # "no substantial structure", "weak", "reasonable" or "strong"
    stability: list[float]
    stability_by_k: dict[str, float]  # agreement at the other k in range, when the chosen k is unstable
    weak: bool  # no real structure, or unstable: the segments must not drive persona changes
    warnings: list[str]
    segments: list[Segment]
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)  # what each feature is, for people
    notes: list[str] = field(default_factory=list)  # what the data did not allow (languages left out, ...)
    unit: str = "respondents"  # what a row is: respondents (survey), accounts (analytics), participants
    model: dict[str, Any] = field(default_factory=dict, repr=False)
    keys: Any = field(default=None, repr=False)  # respondent keys, in the order of `labels`
    labels: Any = field(default=None, repr=False)  # segment index of every respondent

    @property
    def stability_mean(self) -> float:
        # no numpy: suggest, which reads saved results, stays light
        return sum(self.stability) / len(self.stability) if self.stability else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("keys", "labels", "segments")
        }
        data["segments"] = [asdict(s) for s in self.segments]
        data["scores"] = {str(k): v for k, v in self.scores.items()}
        return data
