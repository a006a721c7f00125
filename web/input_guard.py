"""Refuse a request whose fields or parameters carry a NUL character: no browser form sends
one, PostgreSQL cannot store it in text (such a request answered 500 there), and SQLite would
keep what PostgreSQL refuses."""
from __future__ import annotations

from flask import request

from engine.errors import Invalid


def _fields_with_nul() -> list[str]:
    """The names (without their NULs) of the query and form fields holding a NUL."""
    return sorted({name.replace("\x00", "") for values in (request.args, request.form)
                   for name, value in values.items(multi=True) if "\x00" in name or "\x00" in value})


def init_app(app) -> None:
    @app.before_request
    def refuse_nul_characters():
        fields = _fields_with_nul()
        if fields:
            raise Invalid("The input contains a character that cannot be stored (NUL): {fields}.",
                          fields=", ".join(fields))
