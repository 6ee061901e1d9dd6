"""The rules a new password must meet: one place for applications, changes and resets."""

from __future__ import annotations

from flask_babel import gettext as _

MIN_LENGTH = 10
MAX_LENGTH = 128

# Passwords seen first in every leaked list; refusing them costs users nothing.
COMMON = frozenset(
    {
        "1234567890",
        "0123456789",
        "12345678910",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "password123",
        "passw0rd123",
        "abcdefghij",
        "a123456789",
        "aa12345678",
        "iloveyou123",
    }
)


def password_problem(password: str, *, personal: tuple[str, ...] = ()) -> str | None:
    """Why this new password is refused (a zh-TW sentence), or None when it is acceptable.

    `personal` holds what must not appear inside it: the username, the national ID.
    """
    if len(password) < MIN_LENGTH:
        return _("密碼至少需要 %(count)d 個字元。", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("密碼最多 %(count)d 個字元。", count=MAX_LENGTH)
    if password.isdigit() or len(set(password)) < 4:
        return _("密碼太容易猜到：請混用英文字母、數字或符號，且不要重複同一字元。")
    if password.lower() in COMMON:
        return _("這是常見的密碼，很容易被猜到，請換一個。")
    lowered = password.lower()
    for word in personal:
        if word and len(word) >= 4 and word.lower() in lowered:
            return _("密碼不可包含您的帳號或身分證字號。")
    return None
