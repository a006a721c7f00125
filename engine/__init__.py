"""ipcase engine: domain, workflow runtime and services. Never imports Flask."""
