"""Every page the app links to, over the demo data `make run` loads, as a person of each role
sees it in each language: no link leads to an error page, and no page shows template source
or a traceback; and every form on those pages, sent with nothing filled in or with hostile
values, gets an answer that is not a server error.

The crawl follows the links (and redirects) each page renders for that person, so it reaches
what a user can click to: inbox tabs, cases, tasks, documents, supervision lists, mediation
desks, admin pages.
"""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from engine.models import Role, User, UserRole
from engine.services import demo
from tests.web.conftest import Browser
from web import create_app

# A person for every role, at the city and at a county office, and the mediation centre.
PEOPLE = ("admin", "city.supervisor", "city.head", "city.legal", "city.officer", "daiyue.head", "daiyue.legal",
          "daiyue.officer1", "mediator1", "mediation.head")
LINK = re.compile(r'href="([^"#]*)')
FORM = re.compile(r"<form([^>]*)>(.*?)</form>", re.S)
FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*>")
# What a person (or a crafted request) may put in any field: nothing, a NUL character (no
# PostgreSQL text holds one), more digits than an amount can be rounded to cents with, more
# text than any column holds. Each found a server error before it was handled.
HOSTILE = ("", "\x00", "9" * 30, "长" * 5000)
LEAKS = ("{{", "{%", "Traceback", "Undefined")
PAGE_LIMIT = 400  # per person and language; the demo data's crawls reach under 100


@pytest.fixture
def demo_app(bare_ctx):
    demo.load(bare_ctx)
    return create_app({"TESTING": True, "SECRET_KEY": "test"}, context=bare_ctx)


def _logged_in(app, username: str, lang: str):
    client = Browser(app).login(username, password=demo.DEMO_PASSWORD).client
    with client.session_transaction() as session:
        session["lang"] = lang
    return client


def _internal_links(page_url: str, html: str) -> set[str]:
    found = set()
    for href in LINK.findall(html):
        url = urljoin(page_url, href.replace("&amp;", "&"))
        path = urlsplit(url).path
        if url.startswith("/") and not url.startswith("//") and not path.startswith(("/static/", "/logout")):
            found.add(url)
    return found


def _attribute(name: str, tag: str) -> str | None:
    found = re.search(rf'{name}="([^"]*)"', tag)
    return found.group(1).replace("&amp;", "&") if found else None


def _post_forms(page_url: str, html: str) -> dict[str, tuple[dict, list[str]]]:
    """The page's POST forms: action -> (the hidden fields as the page filled them, the names
    of the fields a person fills in)."""
    forms = {}
    for attributes, body in FORM.findall(html):
        if (_attribute("method", attributes) or "get").lower() != "post":
            continue
        action = urljoin(page_url, _attribute("action", attributes) or page_url)
        if urlsplit(action).path.startswith("/logout"):
            continue
        hidden, filled = {}, []
        for tag in FIELD.findall(body):
            name, kind = _attribute("name", tag), (_attribute("type", tag) or "text").lower()
            if name and kind == "hidden":
                hidden[name] = _attribute("value", tag) or ""
            elif name and kind not in ("file", "submit", "button"):
                filled.append(name)
        forms[action] = (hidden, filled)
    return forms


def crawl(client, on_page=lambda url, html: []) -> tuple[set[str], list[str]]:
    """The pages reached from the home page, and what was wrong on the way (`on_page` may
    find more on each page)."""
    seen, problems, queue = set(), [], deque([("/", "(start)")])
    while queue and len(seen) < PAGE_LIMIT:
        url, source = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            queue.append((urljoin(url, response.headers["Location"]), url))
            continue
        if response.status_code != 200:
            problems.append(f"{response.status_code} {url} (linked from {source})")
            continue
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        problems += [f"{leak!r} on {url}" for leak in LEAKS if leak in html] + on_page(url, html)
        queue.extend((link, url) for link in sorted(_internal_links(url, html) - seen))  # one order every run
    return seen, problems


def test_every_linked_page_opens_for_every_role_in_both_languages(demo_app, bare_ctx):
    with bare_ctx.uow() as uow:
        held = set(uow.session.scalars(
            UserRole.__table__.select().with_only_columns(UserRole.role)
            .join_from(UserRole.__table__, User.__table__, User.id == UserRole.user_id)
            .where(User.username.in_(PEOPLE))))
    assert held == set(Role), "the people crawled should hold every role between them"

    reached, problems = set(), []
    for lang in ("zh", "en"):
        for username in PEOPLE:
            seen, found = crawl(_logged_in(demo_app, username, lang))
            assert len(seen) > 5, f"{username} reached only {sorted(seen)}"
            reached |= {urlsplit(url).path.split("/")[1] for url in seen}
            problems += [f"{username} ({lang}): {p}" for p in found]

    assert not problems, "\n".join(problems[:30])
    assert {"inbox", "cases", "tasks", "supervision", "mediation", "admin"} <= reached


def test_a_form_sent_empty_or_with_hostile_values_gets_an_answer_not_a_server_error(demo_app):
    """The app is in testing mode: an exception a view lets out fails the test where it happens."""
    posted: set[str] = set()

    def send_forms(url: str, html: str) -> list[str]:
        problems = []
        for action, (hidden, filled) in _post_forms(url, html).items():
            if action in posted:
                continue
            posted.add(action)
            for value in HOSTILE:
                response = client.post(action, data={**dict.fromkeys(filled, value), **hidden})
                if response.status_code >= 500:
                    problems.append(f"{response.status_code} for POST {action} with {value[:12]!r} (a form on {url})")
        return problems

    problems = []
    for username in PEOPLE:
        client = _logged_in(demo_app, username, "zh")
        problems += [f"{username}: {p}" for p in crawl(client, send_forms)[1]]

    assert len(posted) > 50  # claim, complete, upload, order, reply, roster, user and holiday forms, …
    assert not problems, "\n".join(problems[:30])
