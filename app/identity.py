"""身分證字號與居留證號：驗證、遮罩、加密保存與示範資料產生。

Accepted formats (10 characters after normalization):

* 身分證字號 (citizen): letter + 1|2 + 8 digits.
* 舊式居留證號 (resident_old, issued until 2020): letter + A–D + 8 digits.
* 新式居留證統一證號 (resident_new, from 2021): letter + 8|9 + 8 digits.

All three share one weighted checksum. Privacy rules for this module:

* No error message, ``repr`` or exception argument ever contains the number.
* Nothing here logs, prints or otherwise emits a value.
* Stored numbers are encrypted (AES-256-GCM); a keyed HMAC serves as the
  deterministic lookup/unique-index column, so the database never holds plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import operator
import os
import random
import unicodedata
from collections.abc import Container, Sequence
from typing import Final, Literal, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "IdKind",
    "IdentityVault",
    "IdentityVaultError",
    "NationalIdError",
    "id_kind",
    "make_national_id",
    "make_resident_id",
    "mask_national_id",
    "normalize_national_id",
    "parse_key_list",
    "validate_national_id",
]

IdKind = Literal["citizen", "resident_old", "resident_new"]

ID_LENGTH: Final = 10

# 縣市代碼：letter → two-digit code (note I, O, W, X, Y, Z are out of order).
LETTER_CODES: Final[dict[str, int]] = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17,
    "I": 34, "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23,
    "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30,
    "Y": 31, "Z": 33,
}  # fmt: skip

# Weights over the 11 digits: the letter's two digits, then characters 2–10.
WEIGHTS: Final = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)

_ASCII_UPPER: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_DIGITS: Final = frozenset("0123456789")
_CITIZEN_SECOND: Final = frozenset("12")
_RESIDENT_NEW_SECOND: Final = frozenset("89")
_RESIDENT_OLD_SECOND: Final = frozenset("ABCD")
_VALID_SECOND: Final = _CITIZEN_SECOND | _RESIDENT_NEW_SECOND | _RESIDENT_OLD_SECOND

# 錯誤訊息：固定文字，絕不帶入使用者輸入的號碼。
MSG_EMPTY: Final = "請輸入身分證字號或居留證號"
MSG_LENGTH: Final = "長度應為 10 碼，請確認是否漏填或多填"
MSG_FIRST: Final = "第 1 碼應為英文字母"
MSG_SECOND: Final = "第 2 碼應為 1、2、8、9 或 A–D（身分證字號為 1 或 2，居留證號為 8、9 或 A–D）"
MSG_DIGITS: Final = "第 3 至 10 碼應為數字"
MSG_CHECKSUM: Final = "檢查碼不符，請確認是否輸入錯誤"

ErrorCode = Literal["empty", "length", "first_char", "second_char", "digits", "checksum"]

_MESSAGES: Final[dict[str, str]] = {
    "empty": MSG_EMPTY,
    "length": MSG_LENGTH,
    "first_char": MSG_FIRST,
    "second_char": MSG_SECOND,
    "digits": MSG_DIGITS,
    "checksum": MSG_CHECKSUM,
}


class NationalIdError(ValueError):
    """An invalid 身分證字號/居留證號. ``str(err)`` is a zh-TW message for the user.

    ``code`` is a stable machine-readable reason (see ``ErrorCode``). Neither the
    message nor ``args`` ever contains the submitted number.
    """

    code: ErrorCode

    def __init__(self, code: ErrorCode) -> None:
        super().__init__(_MESSAGES[code])
        self.code = code

    @property
    def message(self) -> str:
        return _MESSAGES[self.code]

    def __reduce__(self) -> tuple[type[NationalIdError], tuple[ErrorCode]]:
        return (type(self), (self.code,))


class IdentityVaultError(ValueError):
    """Stored ciphertext could not be decrypted (corrupted, tampered or wrong key)."""


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def normalize_national_id(raw: str) -> str:
    """NFKC (full-width → half-width), drop whitespace/invisible characters, uppercase.

    Does not validate; see ``validate_national_id``.
    """
    if not isinstance(raw, str):
        raise TypeError("national id must be a str")
    if raw.isascii() and raw.isalnum():  # the usual case: NFKC changes nothing, no spaces
        return raw.upper()
    text = unicodedata.normalize("NFKC", raw)
    # Whitespace and format characters (zero-width space, BOM, soft hyphen…) that
    # sneak in through copy-and-paste.
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return text.upper()


def _digit_values(chars: str) -> list[int]:
    """The letter's two code digits, then one digit per following character.

    An old-format second letter (A–D) counts as its code's last digit (A=10 → 0).
    """
    code = LETTER_CODES[chars[0]]
    second = chars[1]
    second_digit = LETTER_CODES[second] % 10 if second in _RESIDENT_OLD_SECOND else int(second)
    return [code // 10, code % 10, second_digit, *map(int, chars[2:])]


def _weighted_sum(chars: str) -> int:
    # A 9-character prefix has ten digits: map() stops there, at the first ten weights.
    return sum(map(operator.mul, WEIGHTS, _digit_values(chars)))


def _checksum_ok(value: str) -> bool:
    """Weighted checksum over the 11 digits (``value`` is structurally valid)."""
    return _weighted_sum(value) % 10 == 0


def _check_digit(prefix: str) -> str:
    """The 10th character that makes the 9-character ``prefix`` pass the checksum."""
    return str(-_weighted_sum(prefix) % 10)


def _kind_of_valid_second(second: str) -> IdKind:
    if second in _CITIZEN_SECOND:
        return "citizen"
    if second in _RESIDENT_NEW_SECOND:
        return "resident_new"
    return "resident_old"


def validate_national_id(raw: str) -> str:
    """Normalize and validate; return the normalized 10-character value.

    Raises ``NationalIdError`` (a ``ValueError``) with a zh-TW message naming the
    first problem found: empty, length, 1st character, 2nd character, characters
    3–10, then the checksum.
    """
    value = normalize_national_id(raw)
    if not value:
        raise NationalIdError("empty")
    if len(value) != ID_LENGTH:
        raise NationalIdError("length")
    if value[0] not in _ASCII_UPPER:
        raise NationalIdError("first_char")
    if value[1] not in _VALID_SECOND:
        raise NationalIdError("second_char")
    if not all(ch in _ASCII_DIGITS for ch in value[2:]):
        raise NationalIdError("digits")
    if not _checksum_ok(value):
        raise NationalIdError("checksum")
    return value


def id_kind(value: str) -> IdKind:
    """Which document the number belongs to; validates (and normalizes) first."""
    return _kind_of_valid_second(validate_national_id(value)[1])


def mask_national_id(value: str) -> str:
    """Hide the last four characters: ``A123456789`` → ``A12345****``.

    The value is normalized first. Anything that is not 10 characters long is
    masked completely rather than risk showing most of a mistyped number.
    """
    normalized = normalize_national_id(value)
    if len(normalized) != ID_LENGTH:
        return "*" * len(normalized)
    return normalized[:-4] + "****"


# ---------------------------------------------------------------------------
# Encrypted storage
# ---------------------------------------------------------------------------

_LEGACY_VERSION: Final = 1  # version || nonce || sealed: no key id (read only)
_BLOB_VERSION: Final = 2  # version || key id || nonce || sealed
_NONCE_SIZE: Final = 12
_TAG_SIZE: Final = 16
_KEY_SIZE: Final = 32
_HKDF_SALT: Final = b"jinxiu-guihua/identity-vault/v1"
_INFO_ENCRYPTION: Final = b"national-id-encryption"
_INFO_LOOKUP: Final = b"national-id-lookup"
_AAD_PREFIX: Final = b"national-id/v"
MAX_KEY_ID: Final = 255


def _derive_key(secret: bytes, info: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=_KEY_SIZE, salt=_HKDF_SALT, info=info)
    return hkdf.derive(secret)


class _Key:
    """One personal-data key: its id, AEAD and lookup-hash key."""

    __slots__ = ("aead", "key_id", "lookup_key")

    def __init__(self, key_id: int, secret: str) -> None:
        if not isinstance(secret, str) or not secret:
            raise ValueError("IdentityVault needs a non-empty secret string")
        if not 1 <= key_id <= MAX_KEY_ID:
            raise ValueError("a personal-data key id is a number from 1 to 255")
        material = secret.encode("utf-8")
        self.key_id = key_id
        self.aead = AESGCM(_derive_key(material, _INFO_ENCRYPTION))
        self.lookup_key = _derive_key(material, _INFO_LOOKUP)

    def lookup_hash(self, normalized: str) -> str:
        return hmac.digest(self.lookup_key, normalized.encode("ascii"), hashlib.sha256).hex()


def parse_key_list(text: str) -> list[tuple[int, str]]:
    """Parse ``"2:new-secret,1:old-secret"`` (newest first) into (key id, secret) pairs.

    Error messages name the position, never a secret.
    """
    keys: list[tuple[int, str]] = []
    for position, entry in enumerate(part.strip() for part in text.split(",")):
        if not entry:
            continue
        raw_id, sep, secret = entry.partition(":")
        if not sep or not raw_id.strip().isdigit() or not secret:
            raise ValueError(f"personal-data key #{position + 1} must read ID:SECRET")
        keys.append((int(raw_id), secret))
    if not keys:
        raise ValueError("at least one personal-data key is needed")
    if len({key_id for key_id, _ in keys}) != len(keys):
        raise ValueError("personal-data key ids must be unique")
    return keys


class IdentityVault:
    """Encrypts 身分證字號/居留證號 for storage and hashes them for lookup.

    Holds one or more keys, newest first: it encrypts and hashes with the newest, and
    decrypts with whichever key a blob names (so a key can be rotated; see
    ``flask keys rotate``). For each key, two independent 32-byte keys are derived from
    its secret with HKDF-SHA256: one for AES-256-GCM, one for the HMAC-SHA256 lookup hash.

    Blob layout: ``version 2 (1 byte) || key id (1 byte) || nonce (12 bytes) ||
    ciphertext || tag (16 bytes)``; version and key id are bound as associated data.
    The legacy layout ``version 1 || nonce || ciphertext || tag`` (no key id) stays
    readable: every key is tried.
    """

    __slots__ = ("_keys",)

    def __init__(
        self, secret: str, *, key_id: int = 1, retired: Sequence[tuple[int, str]] = ()
    ) -> None:
        keys = [_Key(key_id, secret), *(_Key(i, s) for i, s in retired)]
        if len({key.key_id for key in keys}) != len(keys):
            raise ValueError("personal-data key ids must be unique")
        self._keys: tuple[_Key, ...] = tuple(keys)

    @classmethod
    def from_keys(cls, keys: Sequence[tuple[int, str]]) -> IdentityVault:
        """A vault from (key id, secret) pairs, newest first."""
        if not keys:
            raise ValueError("at least one personal-data key is needed")
        (newest_id, newest_secret), *retired = keys
        return cls(newest_secret, key_id=newest_id, retired=retired)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} (keys redacted)>"

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} must not be pickled")

    @property
    def current_key_id(self) -> int:
        """The id of the newest key, the one new blobs and hashes use."""
        return self._keys[0].key_id

    def encrypt(self, value: str) -> bytes:
        """Validate, normalize and encrypt with the newest key; a fresh nonce every call."""
        normalized = validate_national_id(value)
        key = self._keys[0]
        header = bytes([_BLOB_VERSION, key.key_id])
        nonce = os.urandom(_NONCE_SIZE)
        sealed = key.aead.encrypt(nonce, normalized.encode("ascii"), _AAD_PREFIX + header)
        return header + nonce + sealed

    def key_id_of(self, blob: bytes | bytearray | memoryview) -> int | None:
        """The key id a blob names; None for the legacy format, which names none."""
        data = bytes(blob)
        if data[:1] == bytes([_BLOB_VERSION]) and len(data) > 1:
            return data[1]
        return None

    def decrypt(self, blob: bytes | bytearray | memoryview) -> str:
        """Return the stored number; raise ``IdentityVaultError`` if it cannot be trusted."""
        if not isinstance(blob, bytes | bytearray | memoryview):
            raise TypeError("encrypted national id must be bytes")
        data = bytes(blob)
        if not data:
            raise IdentityVaultError("encrypted national id is truncated")
        if data[0] == _BLOB_VERSION:
            header_size = 2
            candidates = [k for k in self._keys if len(data) > 1 and k.key_id == data[1]]
        elif data[0] == _LEGACY_VERSION:
            header_size = 1
            candidates = list(self._keys)
        else:
            raise IdentityVaultError("encrypted national id has an unknown format version")
        if len(data) < header_size + _NONCE_SIZE + _TAG_SIZE:
            raise IdentityVaultError("encrypted national id is truncated")
        if not candidates:
            raise IdentityVaultError("encrypted national id names a key that is not configured")
        header = data[:header_size]
        nonce = data[header_size : header_size + _NONCE_SIZE]
        sealed = data[header_size + _NONCE_SIZE :]
        for key in candidates:
            try:
                plain = key.aead.decrypt(nonce, sealed, _AAD_PREFIX + header)
            except InvalidTag:
                continue
            return plain.decode("ascii")
        raise IdentityVaultError(
            "encrypted national id failed authentication (tampered or wrong key)"
        )

    def lookup_hash(self, value: str) -> str:
        """Deterministic HMAC-SHA256 (hex) of the normalized, validated number (newest key)."""
        return self._keys[0].lookup_hash(validate_national_id(value))

    def known_lookup_hash(self, value: str, known: Container[str]) -> str | None:
        """The lookup hash (newest key) of a number whose hash is in ``known``, else None.

        Every stored hash was made from a validated number, so a match proves this one
        valid without the checksum: a bulk import skips it for the people it already has.
        """
        normalized = normalize_national_id(value)
        if len(normalized) != ID_LENGTH or not normalized.isascii():
            return None
        digest = self._keys[0].lookup_hash(normalized)
        return digest if digest in known else None

    def lookup_hashes(self, value: str) -> list[str]:
        """The lookup hash under every configured key, newest first: a row not yet
        rotated is still found by its old hash."""
        normalized = validate_national_id(value)
        return [key.lookup_hash(normalized) for key in self._keys]

    def masked(self, value: str | bytes | bytearray | memoryview) -> str:
        """Masked display form of a plaintext number or of an encrypted blob."""
        if isinstance(value, bytes | bytearray | memoryview):
            return mask_national_id(self.decrypt(value))
        return mask_national_id(value)


# ---------------------------------------------------------------------------
# Demo / test data
# ---------------------------------------------------------------------------


def _pick_letter(rng: random.Random, letter: str | None) -> str:
    if letter is None:
        return rng.choice(sorted(LETTER_CODES))
    normalized = normalize_national_id(letter)
    if normalized not in LETTER_CODES:
        raise ValueError("letter must be a single English letter A–Z")
    return normalized


def _random_digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def make_national_id(
    rng: random.Random, *, letter: str | None = None, sex: int | None = None
) -> str:
    """A random valid 身分證字號; ``sex`` is 1 (male) or 2 (female), random if None."""
    first = _pick_letter(rng, letter)
    if sex is None:
        sex = rng.choice((1, 2))
    elif sex not in (1, 2):
        raise ValueError("sex must be 1 or 2")
    prefix = f"{first}{sex}{_random_digits(rng, 7)}"
    return prefix + _check_digit(prefix)


def make_resident_id(
    rng: random.Random, *, new_format: bool = True, letter: str | None = None
) -> str:
    """A random valid 居留證號: new format (2nd char 8/9) or old format (2nd char A–D)."""
    first = _pick_letter(rng, letter)
    second = rng.choice("89" if new_format else "ABCD")
    prefix = f"{first}{second}{_random_digits(rng, 7)}"
    return prefix + _check_digit(prefix)
