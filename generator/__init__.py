"""`generator/` is the source folder of Persona Map, not a Python package: its package is `persona_map`."""

raise ImportError(
    "'generator' is the source folder of Persona Map, not a module: import persona_map instead "
    "(for example `from persona_map.routing.classify import classify`)"
)
