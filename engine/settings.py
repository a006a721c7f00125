"""Engine settings, read from the environment (no Flask here)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'instance' / 'ipcase.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    # PostgreSQL only: the schema to work in (tests run each session in a fresh one).
    database_schema: str | None = None
    workflows_dir: Path = PROJECT_ROOT / "workflows"
    upload_dir: Path = PROJECT_ROOT / "instance" / "uploads"
    # Long supplementary-investigation loops are rewound once a task sits this deep.
    rewind_depth: int = 40
    # Workflows kept in memory after their step committed, per process (engine/runtime/warm_runs.py); 0: none.
    warm_runs: int = 256

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        env = {
            "database_url": os.environ.get("DATABASE_URL"),
            "database_schema": os.environ.get("IPCASE_DB_SCHEMA"),
            "workflows_dir": os.environ.get("IPCASE_WORKFLOWS_DIR"),
            "upload_dir": os.environ.get("IPCASE_UPLOAD_DIR"),
            "warm_runs": os.environ.get("IPCASE_WARM_RUNS"),
        }
        values = {k: v for k, v in env.items() if v}
        for key in ("workflows_dir", "upload_dir"):
            if key in values:
                values[key] = Path(values[key])
        if "warm_runs" in values:
            values["warm_runs"] = int(values["warm_runs"])
        values.update(overrides)
        return cls(**values)
