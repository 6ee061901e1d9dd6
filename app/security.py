"""Passwords (argon2id) and the personal-data vault, configured once per app."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app

from app.identity import IdentityVault, parse_key_list


def make_vault(config: Mapping[str, Any]) -> IdentityVault:
    """The vault of PERSONAL_DATA_KEYS (newest first) or, alone, PERSONAL_DATA_KEY (id 1)."""
    if config.get("PERSONAL_DATA_KEYS"):
        return IdentityVault.from_keys(parse_key_list(str(config["PERSONAL_DATA_KEYS"])))
    return IdentityVault(config["PERSONAL_DATA_KEY"])


def init_app(app: Flask) -> None:
    hasher = PasswordHasher(
        time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_COST"]
    )
    app.extensions["password_hasher"] = hasher
    # A real hash of a random password with the same parameters: checking against it costs
    # what a real check costs, for unknown users and locked pairs alike.
    app.extensions["dummy_password_hash"] = hasher.hash(secrets.token_urlsafe(16))
    app.extensions["identity_vault"] = make_vault(app.config)


def vault() -> IdentityVault:
    found: IdentityVault = current_app.extensions["identity_vault"]
    return found


def _hasher() -> PasswordHasher:
    found: PasswordHasher = current_app.extensions["password_hasher"]
    return found


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Check a password with exactly one argon2 verification; without a stored hash the
    check runs against the dummy hash and fails, so timing reveals nothing."""
    target = stored or current_app.extensions["dummy_password_hash"]
    try:
        matched = _hasher().verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and bool(stored)


def spend_one_verification(password: str) -> None:
    """The cost of one real password check, for attempts refused without one."""
    verify_password(None, password)
