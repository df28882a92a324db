"""Review dates: when a persona must be reviewed again, and whether it is current, due soon or overdue."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

LAST_DAY = date.max  # 9999-12-31: no review date can be computed past it


class Status(StrEnum):
    CURRENT = "current"
    DUE_SOON = "due-soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class ReviewDates:
    """A persona's last review, the date it must be reviewed by, and how that date was found."""

    last_reviewed: date | None
    review_by: date
    explicit: bool
    interval_months: int
    drift: float | None = None  # set when research drift since the last review brought the date forward
    # The fields ("last_reviewed", "drift") whose review date would fall after LAST_DAY: not computed.
    past_last_day: tuple[str, ...] = ()

    def status(self, today: date, due_soon_days: int) -> Status:
        if today > self.review_by:
            return Status.OVERDUE
        if self.review_by - today <= timedelta(days=due_soon_days):
            return Status.DUE_SOON
        return Status.CURRENT


def parse_date(value: Any) -> date | None:
    """An ISO `YYYY-MM-DD` string as a date, or None when it is not one."""
    if not isinstance(value, str) or len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def add_months(day: date, months: int) -> date | None:
    """The same day `months` later, clamped to the end of a shorter month; None after LAST_DAY."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if not 1 <= year <= LAST_DAY.year:
        return None
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def days_text(count: int) -> str:
    """`1 day`, `2 days`: a number of days as people write it."""
    return f"{count} day{'' if abs(count) == 1 else 's'}"


DRIFT_REVIEW = 0.3  # drift score from which a persona is due for review
DRIFT_GRACE_DAYS = 30  # days from detection to the review date drift sets


def review_dates(review: Any, default_interval: int, drift: Any = None) -> ReviewDates | None:
    """Read `spec.review` (and `spec.evidence.drift`); None when there is no usable date.

    A significant research drift detected after the last review makes the persona due for review
    within DRIFT_GRACE_DAYS of the detection, unless its regular date comes first. A date that would fall
    after LAST_DAY (a typo such as 9999 for the year) is not computed: `past_last_day` names the fields.
    """
    dates = _regular(review, default_interval)
    if dates is None or not isinstance(drift, dict):
        return dates
    score, detected = drift.get("score"), parse_date(drift.get("detected"))
    if not isinstance(score, int | float) or score < DRIFT_REVIEW or detected is None:
        return dates
    if dates.last_reviewed is not None and dates.last_reviewed >= detected:
        return dates  # reviewed since the drift was found
    if detected > LAST_DAY - timedelta(days=DRIFT_GRACE_DAYS):
        return replace(dates, past_last_day=(*dates.past_last_day, "drift"))
    due = detected + timedelta(days=DRIFT_GRACE_DAYS)
    if due >= dates.review_by:
        return dates
    return replace(dates, review_by=due, drift=float(score))


def _regular(review: Any, default_interval: int) -> ReviewDates | None:
    if not isinstance(review, dict):
        return None
    last = parse_date(review.get("last_reviewed"))
    interval = review.get("interval_months", default_interval)
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        interval = default_interval
    explicit = parse_date(review.get("review_by"))
    if explicit is not None:
        return ReviewDates(last, explicit, True, interval)
    if last is None:
        return None
    review_by = add_months(last, interval)
    if review_by is None:
        return ReviewDates(last, LAST_DAY, False, interval, past_last_day=("last_reviewed",))
    return ReviewDates(last, review_by, False, interval)
