"""Is there segment structure at all? The data's best clustering against nulls that keep everything but clusters.

A silhouette alone cannot say: correlated data with no clusters (one multivariate Gaussian) scores 0.22, while
one-hot survey answers with real segments score 0.13. So the same procedure that chose k (k-means or a
Gaussian mixture for every k in the range, the best silhouette) is run on data drawn from two nulls:

- one multivariate Gaussian with the data's mean and covariance (the SigClust idea: Liu, Hayes, Nobel and
  Marron, JASA 2008), and
- a Gaussian copula, which also keeps every column's own distribution (skewed numbers, 0/1 answers) and only
  replaces how the columns go together by a Gaussian dependence.

Real structure must beat every null both significantly (one-sided p below SIGNIFICANCE, from the null draws'
mean and spread, as SigClust reads its simulated null) and by a margin that matters (MIN_MARGIN of
silhouette: on thousands of rows a p-value alone calls a tiny difference significant). Several draws per
null make the verdict independent of the seed. The silhouette is then read the published way (Kaufman and
Rousseeuw) as a description of how separated the segments are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
from sklearn.metrics import silhouette_score

SIGNIFICANCE = 0.01
MIN_MARGIN = 0.03  # silhouette the real data must score above every null's mean
DRAWS = 5  # draws per null
SAMPLE = 1_000  # rows each comparison clusters (the real data's too: like against like)
# Kaufman and Rousseeuw's reading of an average silhouette width.
BANDS = ((0.25, "no substantial structure"), (0.50, "weak"), (0.70, "reasonable"), (1.0, "strong"))
SEPARATION = {
    "no substantial structure": "the segments overlap a lot",
    "weak": "the segments are weakly separated",
    "reasonable": "the segments are reasonably well separated",
    "strong": "the segments are clearly separated",
}

Fit = Callable[[np.ndarray, int, int], np.ndarray]  # (data, k, seed) -> labels


@dataclass
class NullComparison:
    """The real data's best silhouette against one null's draws."""

    null: str
    silhouettes: list[float]
    mean: float
    spread: float
    margin: float  # real minus the null's mean
    p_value: float

    @property
    def beaten(self) -> bool:
        return self.p_value < SIGNIFICANCE and self.margin >= MIN_MARGIN


@dataclass
class Structure:
    """Whether the data has segment structure, how separated it is, and the evidence."""

    silhouette: float  # the real data's best silhouette on the comparison sample
    nulls: list[NullComparison] = field(default_factory=list)

    @property
    def real(self) -> bool:
        return bool(self.nulls) and all(n.beaten for n in self.nulls)

    @property
    def band(self) -> str:
        """Kaufman and Rousseeuw's reading of the silhouette (how separated, not whether real)."""
        return next(name for top, name in BANDS if self.silhouette <= top)

    @property
    def verdict(self) -> str:
        """'no substantial structure' unless the structure is real; then how separated it is."""
        if not self.real:
            return "no substantial structure"
        return "weak" if self.band == "no substantial structure" else self.band

    @property
    def p_value(self) -> float:
        return max((n.p_value for n in self.nulls), default=1.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "silhouette": round(self.silhouette, 4),
            "verdict": self.verdict,
            "band": self.band,
            "real": self.real,
            "p_value": self.p_value,
            "nulls": [{**asdict(n), "beaten": n.beaten} for n in self.nulls],
        }


def assess_structure(X: np.ndarray, ks: range, fit: Fit, seed: int, draws: int = DRAWS) -> Structure:
    """The real data's best silhouette over `ks` against DRAWS draws of each null, clustered the same way."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(X), SAMPLE, replace=False) if len(X) > SAMPLE else np.arange(len(X))
    real_data = np.asarray(X[rows], dtype=np.float64)
    real = best_silhouette(real_data, ks, fit, seed)
    nulls = {"one Gaussian": gaussian_null, "Gaussian copula": copula_null}
    out = Structure(real)
    for name, draw in nulls.items():
        scores = [best_silhouette(draw(real_data, rng), ks, fit, seed + i) for i in range(draws)]
        mean = float(np.mean(scores))
        spread = max(float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0, 0.005)  # no null is exact
        z = (real - mean) / spread
        out.nulls.append(
            NullComparison(name, [round(s, 4) for s in scores], round(mean, 4), round(spread, 4),
                           round(real - mean, 4), float(1 - NormalDist().cdf(z)))
        )  # fmt: skip
    return out


def best_silhouette(X: np.ndarray, ks: range, fit: Fit, seed: int) -> float:
    """The best silhouette over `ks`: the same choice `personas segment` makes, made on `X`."""
    best = -1.0
    for k in ks:
        if k >= len(X):
            continue
        labels = fit(X, k, seed)
        if len(np.unique(labels)) > 1:
            best = max(best, float(silhouette_score(X, labels)))
    return best


def gaussian_null(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """As many rows from one multivariate Gaussian with the data's mean and covariance."""
    mean = X.mean(axis=0)
    cov = np.atleast_2d(np.cov(X, rowvar=False))
    return rng.multivariate_normal(mean, cov, size=len(X), method="eigh")


def copula_null(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """As many rows with every column's own distribution, joined by a Gaussian copula of the data's ranks."""
    from scipy.special import ndtr, ndtri
    from scipy.stats import rankdata

    n, d = X.shape
    scores = ndtri((rankdata(X, axis=0) - 0.5) / n)  # normal scores; tied values share one
    correlation = np.atleast_2d(np.corrcoef(scores, rowvar=False))
    correlation = np.nan_to_num(correlation, nan=0.0)
    np.fill_diagonal(correlation, 1.0)
    z = rng.multivariate_normal(np.zeros(d), correlation, size=n, method="eigh")
    u = ndtr(z)
    ordered = np.sort(X, axis=0)
    index = np.minimum((u * n).astype(np.int64), n - 1)  # the empirical quantile of every column
    return np.take_along_axis(ordered, index, axis=0)


def describe(structure: Structure) -> str:
    """The verdict in plain words, for people who do not read silhouettes."""
    strongest = max(structure.nulls, key=lambda n: n.mean) if structure.nulls else None
    if not structure.real:
        against = (
            f" (it scores {structure.silhouette:.2f}; data with no segments at all scores {strongest.mean:.2f})"
            if strongest
            else ""
        )
        return (
            "No substantial structure: the research does not split into distinct groups. The data scores no "
            f"better than data made to have no segments{against}. These segments are noise, not personas."
        )
    assert strongest is not None  # real structure has beaten its nulls
    separation = SEPARATION[structure.band]
    return (
        f"Real structure: the groups are not an accident of the data ({structure.silhouette:.2f} against "
        f"{strongest.mean:.2f} for data with no segments, p {_p(structure.p_value)}); {separation} "
        f"(silhouette {structure.silhouette:.2f}, {structure.verdict})."
    )


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"= {value:.3f}"
