"""Every exception Persona Map raises. Problems in files are findings (values); an exception means "cannot go on"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from persona_map.findings import CheckResult


class PersonaError(Exception):
    """Base class: a handled problem, shown to the user as one line, never a traceback."""

    exit_code = 1


class ConfigError(PersonaError):
    """The repository configuration ([tool.personas] in pyproject.toml) is invalid."""


class InvalidPersonas(PersonaError):
    """Personas have errors that would make the published pages or the routing wrong.

    Carries the check result; the caller reports it with a reporter, like `personas check` does.
    """

    def __init__(self, result: CheckResult) -> None:
        super().__init__("personas are invalid; fix these findings first")
        self.result = result


class ClassifyError(PersonaError):
    """Contacts cannot be read or classified as asked."""


class SegmentError(PersonaError):
    """The research cannot be segmented (no usable source, columns or rows)."""


class EngineError(PersonaError):
    """The Dask engine cannot run: Dask is not installed, the cluster is out of reach, or its workers fail."""


class EditError(PersonaError):
    """A change to a persona file cannot be made without breaking it or touching other data."""


class RenderError(PersonaError):
    """A page template could not be rendered (usually an override in site/templates/)."""


class SiteError(PersonaError):
    """The site cannot be built (an engine is missing or its build failed)."""


class ExportError(PersonaError):
    """Personas cannot be exported as asked (no Chromium, an unknown persona id, a failed print)."""


# Internal signals: caught inside the package, never shown to the user.


class RecordTooLong(Exception):
    """A contacts record does not fit in a parser block (the reader starts over with larger blocks)."""


class YamlLimit(Exception):
    """A YAML document exceeds a safety limit (nodes or depth) while being converted."""

    def __init__(self, message: str, hint: str, node: Any) -> None:
        super().__init__(message)
        self.message, self.hint, self.node = message, hint, node


class UnsupportedSchema(Exception):
    """The schema compiler met a keyword it cannot compile; jsonschema answers instead."""
