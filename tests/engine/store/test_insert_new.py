"""Rows whose unique key exists already are skipped by the INSERT itself, on either database."""
from sqlalchemy import func, select

from engine.models import Notification, User
from engine.store.insert_new import insert_new


def notice(user_id: int, dedup: str, now) -> dict:
    return {"user_id": user_id, "case_id": None, "kind": "warning", "subject": dedup, "body": "", "dedup": dedup,
            "created_at": now, "read_at": None, "emailed_at": None}


def test_rows_with_a_taken_key_are_skipped_and_the_new_keys_returned(ctx, clock):
    table = Notification.__table__
    with ctx.uow() as uow:
        s = uow.session
        user_id = s.scalar(select(User.id).order_by(User.id).limit(1))
        first = insert_new(s, table, [notice(user_id, "a", clock.now()), notice(user_id, "b", clock.now())],
                           key=("dedup",))
        uow.commit()
    with ctx.uow() as uow:  # another sweeper, later: "b" is taken, "c" is new
        s = uow.session
        second = insert_new(s, table, [notice(user_id, "b", clock.now()), notice(user_id, "c", clock.now())],
                            key=("dedup",))
        assert insert_new(s, table, [], key=("dedup",)) == set()
        uow.commit()
    with ctx.uow() as uow:
        stored = uow.session.execute(select(Notification.dedup, func.count()).group_by(Notification.dedup)
                                     .order_by(Notification.dedup)).all()
    assert (first, second) == ({("a",), ("b",)}, {("c",)})
    assert [tuple(row) for row in stored] == [("a", 1), ("b", 1), ("c", 1)]
