"""What the busiest requests cost in SQL: a completion posted from the task page, and the inbox.

The web's own share is counted exactly (the session user, what the form needs to know); the
engine services' share has an upper bound here and its own tests in tests/engine.
"""
from engine.forms.samples import sample_submission
from engine.services import inbox, logins, submissions, tasks
from tests.engine.services.helpers import open_task


def test_a_completion_post_loads_the_session_user_once_besides_the_step(browser, case_at, ctx, statements):
    task = open_task(ctx, case_at())
    b = browser("daiyue.officer1")
    data = sample_submission(ctx.forms.get(task["form"]))
    with statements(logins.session_user, submissions.task_target, tasks.complete) as sent:
        response = b.post(f"/tasks/{task['id']}", {**data, "action": "complete"})
    assert response.status_code == 302
    assert sent.count("session_user") == 1, sent
    assert sent.count("task_target") == 0, sent  # the step reads the task's form itself
    assert sent.count(None) == 0, sent
    assert len(sent.transactions) == 2, sent.transactions
    assert sent.count("complete") <= 7, sent  # the engine step: 2 reads, 5 writes (17 before 160512e)


def test_the_inbox_loads_the_session_user_in_one_statement(browser, case_at, ctx, statements):
    case_at()
    b = browser("daiyue.officer1")
    with statements(logins.session_user, inbox.list_inbox, inbox.step_choices) as sent:
        response = b.get("/inbox")
    assert response.status_code == 200 and 'data-task="' in response.get_data(as_text=True)
    assert sent.count("session_user") == 1, sent
    assert sent.count(None) == 0, sent
    assert len(sent.transactions) == 3, sent.transactions
    # engine/services/inbox.py: one page, three tab counts; the step filter's choices in one
    # (once the process has read each deployed definition: they never change)
    assert sent.count("list_inbox") <= 8 and sent.count("step_choices") == 1, sent
