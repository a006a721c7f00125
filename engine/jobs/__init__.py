"""Scheduler jobs: the leader lease and the APScheduler that runs the sweeps (services/sweeps.py)."""
