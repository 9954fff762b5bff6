"""Staff accounts: users, roles, login and the one place roles are enforced (``access``)."""
