"""Deploy the workflows directory in one transaction."""
from __future__ import annotations

from engine.context import Context
from engine.services.definitions import Deployment, deploy_directory


def deploy_all(ctx: Context) -> list[Deployment]:
    with ctx.uow() as uow:
        done = deploy_directory(uow.session, ctx.forms, ctx.settings.workflows_dir, ctx.clock.now())
        uow.commit()
    return done
