"""The few exceptions Persona Map raises; everything else is reported as a finding."""

from __future__ import annotations


class PersonaError(Exception):
    """Base class: a handled problem, shown to the user as one line, never a traceback."""

    exit_code = 1


class ConfigError(PersonaError):
    """The repository configuration ([tool.personas] in pyproject.toml) is invalid."""


class UsageError(PersonaError):
    """The command was called wrongly."""

    exit_code = 2


class ContactsError(PersonaError):
    """A contacts file cannot be read or classified as asked."""


class SegmentError(PersonaError):
    """The research cannot be segmented (no usable source, columns or rows)."""
