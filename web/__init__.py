"""ipcase web app (Flask): thin views over engine services."""
