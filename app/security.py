"""Passwords (argon2id) and the personal-data vault, configured once per app."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from app.identity import IdentityVault


def init_app(app) -> None:
    app.extensions["password_hasher"] = PasswordHasher(
        time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_COST"]
    )
    app.extensions["identity_vault"] = IdentityVault(app.config["PERSONAL_DATA_KEY"])


def vault() -> IdentityVault:
    return current_app.extensions["identity_vault"]


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return current_app.extensions["password_hasher"].hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Check a password; a missing or corrupt hash simply fails."""
    if not stored:
        # Spend the same effort as a real check so timing does not reveal unknown users.
        current_app.extensions["password_hasher"].hash(password)
        return False
    try:
        return current_app.extensions["password_hasher"].verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
