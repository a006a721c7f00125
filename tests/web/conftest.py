"""Web fixtures: the app on the test context, clients logged in as any seeded user, CSRF tokens."""
from __future__ import annotations

import dataclasses
import re
import sys
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import event

from engine.services.demo import drive
from tests.conftest import PASSWORD
from web import create_app

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """The catalogs as `make translations` compiles them (.mo files are not committed)."""
    for po in (ROOT / "web" / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as source:
            catalog = read_po(source)
        with po.with_suffix(".mo").open("wb") as target:
            write_mo(target, catalog)


@pytest.fixture
def web_ctx(ctx, tmp_path):
    """The test context with uploads in a per-test directory."""
    return dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, upload_dir=tmp_path / "uploads"))


@pytest.fixture
def app(web_ctx):
    return create_app({"TESTING": True, "SECRET_KEY": "test", "UPLOAD_MAX_BYTES": 64 * 1024}, context=web_ctx)


class Browser:
    """A test client that remembers its CSRF token and logs in like a person would."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def get(self, url, **kw):
        response = self.client.get(url, **kw)
        found = TOKEN.search(response.get_data(as_text=True)) if response.mimetype == "text/html" else None
        if found:
            self.token = found.group(1)
        return response

    def post(self, url, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/login")
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kw)

    def login(self, username, password=PASSWORD):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.get("/inbox")
        return self


@pytest.fixture
def browser(app):
    return lambda username=None: Browser(app).login(username) if username else Browser(app)


@pytest.fixture
def case_at(ctx):
    """Open a daiyue case (as daiyue.officer1) and drive it to a step; returns its number."""
    from tests.engine.services.helpers import open_case

    def make(step: str | None = None, unit: str = "daiyue", **answers):
        number = open_case(ctx, unit=unit)["number"]
        if step:
            drive(ctx, number, answers, until=step)
        return number
    return make



class Statements:
    """SQL statements and transactions sent while recording, each labelled with the service that sent it."""

    def __init__(self):
        self.sent: list[tuple[str | None, str]] = []
        self.transactions: list[str | None] = []
        self.inside: str | None = None

    def count(self, inside: str | None = "*") -> int:
        """All statements, or those sent inside one recorded service (None: outside all of them)."""
        return sum(1 for label, _ in self.sent if inside == "*" or label == inside)

    def __repr__(self):
        return "\n".join(f"[{label}] {sql.split(chr(10))[0][:120]}" for label, sql in self.sent)


@pytest.fixture
def statements(ctx):
    """`with statements(tasks.complete, ...) as sent:` records what the block sends to the database.

    Statements are labelled with the named service function running at the time (the services are
    looked up through their module, as the views call them). SQLite's BEGIN is not counted as a
    statement (PostgreSQL's drivers begin implicitly); every transaction is counted apart.
    """
    def labelled(recorder: Statements, fn):
        @wraps(fn)
        def call(*args, **kwargs):
            outer, recorder.inside = recorder.inside, fn.__name__
            try:
                return fn(*args, **kwargs)
            finally:
                recorder.inside = outer
        return call

    @contextmanager
    def record(*services):
        recorder = Statements()
        patch = pytest.MonkeyPatch()
        for fn in services:
            patch.setattr(sys.modules[fn.__module__], fn.__name__, labelled(recorder, fn))

        def on_statement(conn, cursor, statement, *args):
            if not statement.startswith("BEGIN"):
                recorder.sent.append((recorder.inside, statement))

        def on_begin(conn):
            recorder.transactions.append(recorder.inside)

        event.listen(ctx.db, "before_cursor_execute", on_statement)
        event.listen(ctx.db, "begin", on_begin)
        try:
            yield recorder
        finally:
            event.remove(ctx.db, "before_cursor_execute", on_statement)
            event.remove(ctx.db, "begin", on_begin)
            patch.undo()
    return record
