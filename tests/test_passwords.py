"""The new-password rules."""

from __future__ import annotations

import pytest

from app.passwords import MAX_LENGTH, password_problem


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short1", "至少需要 10"),
        ("x" * (MAX_LENGTH + 1), "最多 128"),
        ("12345678901", "容易猜到"),
        ("aaaabbbbaaaa", "容易猜到"),
        ("qwertyuiop", "常見的密碼"),
        ("chief523601-secret", "帳號或身分證"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(app, password: str, fragment: str) -> None:
    with app.test_request_context():
        problem = password_problem(password, personal=("chief523601",))
    assert problem is not None
    assert fragment in problem


def test_a_good_password_passes(app) -> None:
    with app.test_request_context():
        assert password_problem("correct-horse-113", personal=("chief523601",)) is None
