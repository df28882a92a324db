"""Persona files checked: schema, repository rules, review dates and the personal-data guard."""
