"""Persona Map: customer personas as reviewed, versioned, data-backed files."""

__version__ = "0.1.0"
