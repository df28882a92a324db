"""The end-of-run summary of `personas classify`, for people: contacts per persona and the unassigned share."""

from __future__ import annotations

from persona_map.routing.classify import Summary
from persona_map.routing.rules import UNASSIGNED


def summary_text(summary: Summary) -> str:
    """The end-of-run summary for people: contacts per persona and the unassigned share."""
    lines = [f"classified {summary.rows:,} contact{'s' * (summary.rows != 1)}"]
    if summary.columns:
        read = ", ".join(f"{name} from {column!r}" for name, column in summary.columns.items())
        lines.append(f"  read {read}")
    for persona_id, count in summary.counts.items():
        if persona_id != UNASSIGNED:
            name = summary.names.get(persona_id, "")
            label = f"{persona_id} ({name})" if name and name != persona_id else persona_id
            lines.append(f"  {label}: {count:,} ({count / summary.rows:.1%})")
    lines.append(f"  {UNASSIGNED}: {summary.counts.get(UNASSIGNED, 0):,} ({summary.unassigned_share:.1%})")
    if summary.replaced:
        lines.append(f"replaced the input's own {', '.join(summary.replaced)} column(s)")
    return "\n".join(lines)
