"""Every page the app links to, over the demo data `make run` loads, as a person of each role
sees it in each language: no link leads to an error page, and no page shows template source
or a traceback.

The crawl follows the links (and redirects) each page renders for that person, GET only, so
it reaches what a user can click to: inbox tabs, cases, tasks, documents, supervision lists,
mediation desks, admin pages.
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


def crawl(client) -> tuple[set[str], list[str]]:
    """The pages reached from the home page, and what was wrong on the way."""
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
        problems += [f"{leak!r} on {url}" for leak in LEAKS if leak in html]
        queue.extend((link, url) for link in _internal_links(url, html) - seen)
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
