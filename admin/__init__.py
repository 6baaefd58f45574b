"""The web admin: a thin Flask caller of the function layer."""
