"""The HTTP benchmark posts what a browser would: the task page's form (bench.http.form_body,
the body wrk sends) with the session's CSRF token completes the task and redirects."""
from __future__ import annotations

import re

from bench.http import form_body
from engine.services import cases, tasks
from tests.conftest import PASSWORD
from web import create_app

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_the_posted_form_completes_the_task(ctx):
    opened = cases.open_case(ctx, username="daiyue.officer1", pipeline="enforcement", unit_code="daiyue",
                             fields={"title": "http bench", "ip_type": "trademark"})
    task_id = opened["open_tasks"][0]["id"]
    client = create_app({"TESTING": True, "SECRET_KEY": "test"}, context=ctx).test_client()
    token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "daiyue.officer1", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    token = TOKEN.search(client.get(f"/tasks/{task_id}").get_data(as_text=True)).group(1)

    response = client.post(f"/tasks/{task_id}", data=form_body(ctx.forms.get("lead"), token),
                           content_type="application/x-www-form-urlencoded")

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert tasks.show_task(ctx, task_id, "daiyue.officer1")["state"] == "completed"
