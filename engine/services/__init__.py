"""Use cases. Each public function is one user action and one transaction (`with ctx.uow()`)."""
