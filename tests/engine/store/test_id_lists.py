"""Long id lists select the same rows on both databases; on PostgreSQL with one statement text
whatever the list's length (psycopg parses and prepares per text)."""
from sqlalchemy import event, select

from engine.models import Unit
from engine.store.id_lists import among


def test_a_long_list_selects_what_in_would_and_keeps_one_statement_text_on_postgresql(ctx):
    sent = []
    event.listen(ctx.db, "before_cursor_execute", lambda conn, cur, stmt, *a: sent.append(stmt))
    with ctx.uow() as uow:
        s = uow.session
        ids = sorted(s.scalars(select(Unit.id)))
        few = sorted(s.scalars(select(Unit.id).where(among(s, Unit.id, ids[:2]))))
        many = sorted(s.scalars(select(Unit.id).where(among(s, Unit.id, ids[:2] + list(range(10**6, 10**6 + 1000))))))
        none = s.scalars(select(Unit.id).where(among(s, Unit.id, []))).all()
    assert few == many == ids[:2] and none == []
    if ctx.db.dialect.name == "postgresql":
        assert len(set(sent[-3:])) == 1
