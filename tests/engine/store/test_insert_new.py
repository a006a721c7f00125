"""Rows whose unique key exists already are skipped by the INSERT itself, on either database."""
from sqlalchemy import func, select

from engine.models import Notification, User
from engine.store.insert_new import insert_new


def notice(user_id: int, dedup: str, now, subject: str = "first") -> dict:
    return {"user_id": user_id, "case_id": None, "kind": "warning", "subject": subject, "body": "", "dedup": dedup,
            "created_at": now, "read_at": None, "emailed_at": None}


def test_rows_with_a_taken_key_are_skipped_and_the_rest_inserted(ctx, clock):
    table = Notification.__table__
    with ctx.uow() as uow:
        s = uow.session
        user_id = s.scalar(select(User.id).order_by(User.id).limit(1))
        insert_new(s, table, [notice(user_id, "a", clock.now()), notice(user_id, "b", clock.now())], key=("dedup",))
        uow.commit()
    with ctx.uow() as uow:  # another sweeper, later: "b" is taken, "c" is new
        s = uow.session
        insert_new(s, table, [notice(user_id, "b", clock.now(), "again"), notice(user_id, "c", clock.now(), "again")],
                   key=("dedup",))
        insert_new(s, table, [], key=("dedup",))  # nothing to send: no statement, no error
        uow.commit()
    with ctx.uow() as uow:
        stored = uow.session.execute(select(Notification.dedup, func.count(), func.min(Notification.subject))
                                     .group_by(Notification.dedup).order_by(Notification.dedup)).all()
    assert [tuple(row) for row in stored] == [("a", 1, "first"), ("b", 1, "first"), ("c", 1, "again")]
