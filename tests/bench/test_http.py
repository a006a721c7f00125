"""The HTTP benchmark posts what a browser would: the task page's form (bench.http.form_body,
the body wrk sends) with the session's CSRF token completes the task and redirects."""
from __future__ import annotations

from bench.http import form_body
from engine.services import tasks
from tests.engine.services.helpers import open_case
from tests.web.conftest import Browser
from web import create_app


def test_the_posted_form_completes_the_task(ctx):
    task_id = open_case(ctx)["open_tasks"][0]["id"]
    browser = Browser(create_app({"TESTING": True, "SECRET_KEY": "test"}, context=ctx)).login("daiyue.officer1")
    browser.get(f"/tasks/{task_id}")  # the token of the logged-in session, as bench.http takes it

    response = browser.client.post(f"/tasks/{task_id}", data=form_body(ctx.forms.get("lead"), browser.token),
                                   content_type="application/x-www-form-urlencoded")

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert tasks.show_task(ctx, task_id, "daiyue.officer1")["state"] == "completed"
