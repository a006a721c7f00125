"""URL converters."""
from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1  # PostgreSQL's integer, the type of the ids and versions in URLs


class RowId(IntegerConverter):
    """A row id or version in a URL; a number no row can have is no page (404), not a database error."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= DB_INT_MAX:
            # NotFound rather than ValidationError: with the latter a POST-only rule beside a GET
            # rule of the same path answers 405 instead of 404.
            raise NotFound()
        return number


def init_app(app) -> None:
    app.url_map.converters["id"] = RowId
