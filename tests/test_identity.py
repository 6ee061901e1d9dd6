"""身分證字號／居留證號：驗證、遮罩、加密保存、示範資料產生。"""

from __future__ import annotations

import ast
import hashlib
import hmac
import pickle
import random
import string
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import app.identity as identity_module
from app.identity import (
    IdentityVault,
    IdentityVaultError,
    NationalIdError,
    id_kind,
    make_national_id,
    make_resident_id,
    mask_national_id,
    normalize_national_id,
    parse_key_list,
    validate_national_id,
)

# ---------------------------------------------------------------------------
# Known-valid vectors. Checksum: letter code → two digits, then the other nine
# characters (old-format 2nd letter A/B/C/D → 0/1/2/3); weights 1,9,8,7,6,5,4,3,2,1,1;
# the weighted sum must be a multiple of 10. Each line below was worked by hand.
# ---------------------------------------------------------------------------

CITIZEN = [
    # A=10: 1·1+9·0+8·1+7·2+6·3+5·4+4·5+3·6+2·7+1·8+1·9 = 1+0+8+14+18+20+20+18+14+8+9 = 130
    "A123456789",
    # F=15: 1·1+9·5+8·1+7·0+6·1+5·6+4·6+3·0+2·2+1·9+1·3 = 1+45+8+0+6+30+24+0+4+9+3 = 130
    "F101660293",
    # I=34: 1·3+9·4+8·1+7·8+6·7+5·5+4·4+3·3+2·1+1·6+1·7 = 3+36+8+56+42+25+16+9+2+6+7 = 210
    "I187543167",
    # O=35: 1·3+9·5+8·1+7·8+6·9+5·8+4·2+3·1+2·3+1·7+1·0 = 3+45+8+56+54+40+8+3+6+7+0 = 230
    "O189821370",
    # W=32: 1·3+9·2+8·2+7·5+6·0+5·8+4·2+3·6+2·3+1·6+1·0 = 3+18+16+35+0+40+8+18+6+6+0 = 150
    "W250826360",
    # Z=33: 1·3+9·3+8·1+7·0+6·5+5·7+4·9+3·0+2·2+1·6+1·1 = 3+27+8+0+30+35+36+0+4+6+1 = 150
    "Z105790261",
]

RESIDENT_OLD = [
    # A=10, C→2: 1·1+9·0+8·2+7·0+6·1+5·2+4·3+3·4+2·5+1·6+1·7 = 1+0+16+0+6+10+12+12+10+6+7 = 80
    "AC01234567",
    # B=11, A→0: 1·1+9·1+8·0+7·4+6·0+5·5+4·3+3·5+2·8+1·3+1·1 = 1+9+0+28+0+25+12+15+16+3+1 = 110
    "BA40535831",
    # I=34, B→1: 1·3+9·4+8·1+7·5+6·7+5·9+4·7+3·6+2·2+1·6+1·5 = 3+36+8+35+42+45+28+18+4+6+5 = 230
    "IB57976265",
    # O=35, B→1: 1·3+9·5+8·1+7·1+6·4+5·0+4·5+3·4+2·4+1·9+1·4 = 3+45+8+7+24+0+20+12+8+9+4 = 140
    "OB14054494",
    # D=13, A→0: 1·1+9·3+8·0+7·6+6·8+5·2+4·2+3·0+2·4+1·1+1·5 = 1+27+0+42+48+10+8+0+8+1+5 = 150
    "DA68220415",
]

RESIDENT_NEW = [
    # A=10: 1·1+9·0+8·8+7·0+6·0+5·0+4·0+3·0+2·0+1·1+1·4 = 1+0+64+0+0+0+0+0+0+1+4 = 70
    "A800000014",
    # C=12: 1·1+9·2+8·9+7·9+6·3+5·8+4·5+3·8+2·2+1·1+1·9 = 1+18+72+63+18+40+20+24+4+1+9 = 270
    "C993858219",
    # I=34: 1·3+9·4+8·8+7·5+6·0+5·7+4·2+3·3+2·2+1·0+1·6 = 3+36+64+35+0+35+8+9+4+0+6 = 200
    "I850723206",
    # O=35: 1·3+9·5+8·8+7·1+6·1+5·9+4·7+3·1+2·4+1·7+1·4 = 3+45+64+7+6+45+28+3+8+7+4 = 220
    "O811971474",
    # Y=31: 1·3+9·1+8·9+7·1+6·4+5·5+4·9+3·9+2·2+1·3+1·0 = 3+9+72+7+24+25+36+27+4+3+0 = 210
    "Y914599230",
]

MSG_EMPTY = "請輸入身分證字號或居留證號"
MSG_LENGTH = "長度應為 10 碼，請確認是否漏填或多填"
MSG_FIRST = "第 1 碼應為英文字母"
MSG_SECOND = "第 2 碼應為 1、2、8、9 或 A–D（身分證字號為 1 或 2，居留證號為 8、9 或 A–D）"
MSG_DIGITS = "第 3 至 10 碼應為數字"
MSG_CHECKSUM = "檢查碼不符，請確認是否輸入錯誤"

INVALID = [
    # (raw, code, message)
    ("", "empty", MSG_EMPTY),
    ("   ", "empty", MSG_EMPTY),
    ("\u3000\t\n", "empty", MSG_EMPTY),
    ("\u200b", "empty", MSG_EMPTY),
    ("A12345678", "length", MSG_LENGTH),
    ("A1234567890", "length", MSG_LENGTH),
    ("A", "length", MSG_LENGTH),
    ("A123-456-789", "length", MSG_LENGTH),
    ("身分證A123456789", "length", MSG_LENGTH),
    ("1123456789", "first_char", MSG_FIRST),
    ("@123456789", "first_char", MSG_FIRST),
    ("甲123456789", "first_char", MSG_FIRST),
    ("Ä123456789", "first_char", MSG_FIRST),
    ("1X3456789Z", "first_char", MSG_FIRST),  # first problem wins
    ("A323456789", "second_char", MSG_SECOND),
    ("A023456789", "second_char", MSG_SECOND),
    ("A723456789", "second_char", MSG_SECOND),
    ("AE23456789", "second_char", MSG_SECOND),
    ("AZ01234567", "second_char", MSG_SECOND),
    ("A-23456789", "second_char", MSG_SECOND),
    ("AX3456789Z", "second_char", MSG_SECOND),  # first problem wins
    ("A12345678X", "digits", MSG_DIGITS),
    ("AB1234567A", "digits", MSG_DIGITS),
    ("A8O0000014", "digits", MSG_DIGITS),  # letter O typed for zero
    ("A1234567٨9", "digits", MSG_DIGITS),  # Arabic-Indic digit is not 0–9
    ("A123456788", "checksum", MSG_CHECKSUM),
    ("A123457689", "checksum", MSG_CHECKSUM),  # 6 and 7 swapped: 3·7+2·6 ≠ 3·6+2·7
    ("B123456789", "checksum", MSG_CHECKSUM),
    ("A223456789", "checksum", MSG_CHECKSUM),
    ("AC01234568", "checksum", MSG_CHECKSUM),
    ("AD01234567", "checksum", MSG_CHECKSUM),
    ("A800000015", "checksum", MSG_CHECKSUM),
    ("A900000014", "checksum", MSG_CHECKSUM),
]


def _error_for(raw: str) -> NationalIdError:
    with pytest.raises(NationalIdError) as excinfo:
        validate_national_id(raw)
    return excinfo.value


def _assert_does_not_leak(err: BaseException, raw: str) -> None:
    normalized = normalize_national_id(raw)
    texts = [str(err), repr(err), *map(str, err.args)]
    for candidate in {raw, raw.strip(), normalized}:
        if len(candidate) >= 3:  # "1" or "10" legitimately appear in 第 1 碼 / 10 碼
            for text in texts:
                assert candidate not in text


# --- validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [(v, "citizen") for v in CITIZEN]
    + [(v, "resident_old") for v in RESIDENT_OLD]
    + [(v, "resident_new") for v in RESIDENT_NEW],
)
def test_known_valid_vectors(value: str, kind: str) -> None:
    assert validate_national_id(value) == value
    assert id_kind(value) == kind


@pytest.mark.parametrize(("raw", "code", "message"), INVALID)
def test_invalid_vectors_have_precise_message(raw: str, code: str, message: str) -> None:
    err = _error_for(raw)
    assert isinstance(err, ValueError)
    assert err.code == code
    assert str(err) == message
    assert err.message == message
    assert err.args == (message,)


@pytest.mark.parametrize(("raw", "code", "message"), INVALID)
def test_error_message_never_contains_input(raw: str, code: str, message: str) -> None:
    _assert_does_not_leak(_error_for(raw), raw)


def test_checksum_errors_never_contain_input() -> None:
    rng = random.Random(7)
    for _ in range(500):
        good = make_national_id(rng)
        bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
        err = _error_for(bad)
        assert err.code == "checksum"
        _assert_does_not_leak(err, bad)
        assert err.__cause__ is None
        assert err.__context__ is None


def test_every_single_digit_change_is_caught() -> None:
    # The last-position weight is 1, so any change to the check digit must fail.
    for value in CITIZEN + RESIDENT_OLD + RESIDENT_NEW:
        for digit in string.digits:
            if digit != value[-1]:
                assert _error_for(value[:-1] + digit).code == "checksum"


def test_swapping_the_last_two_digits_is_undetectable() -> None:
    # Both weigh 1, so the official checksum cannot catch this typo. Documented here
    # so nobody "fixes" validation into rejecting real numbers.
    assert validate_national_id("A123456798") == "A123456798"


def test_second_letter_counts_as_last_digit_of_its_code() -> None:
    # AC01234567 is valid because C contributes 2 (from 12), weighted by 8.
    # Replacing C by the digit 2 gives a citizen-shaped A201234567 with the same sum.
    assert validate_national_id("A201234567") == "A201234567"
    assert id_kind("A201234567") == "citizen"
    assert id_kind("AC01234567") == "resident_old"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a123456789", "A123456789"),
        ("Ａ１２３４５６７８９", "A123456789"),
        ("ａ１２３４５６７８９", "A123456789"),
        ("  A123 456 789  ", "A123456789"),
        ("A123\u3000456789", "A123456789"),
        ("\ufeffA123456789\u200b", "A123456789"),
        ("A123456789\n", "A123456789"),
        ("ac01234567", "AC01234567"),
        ("ＡＣ０１２３４５６７", "AC01234567"),
        ("a 8000 000 14", "A800000014"),
    ],
)
def test_normalization(raw: str, expected: str) -> None:
    assert validate_national_id(raw) == expected
    assert normalize_national_id(raw) == expected


def test_non_string_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        validate_national_id(None)  # type: ignore[arg-type]


def test_id_kind_validates() -> None:
    with pytest.raises(NationalIdError):
        id_kind("A123456788")
    assert id_kind(" ａ８００００００１４ ") == "resident_new"


def test_error_survives_pickle() -> None:
    err = _error_for("A123456788")
    clone = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert isinstance(clone, NationalIdError)
    assert clone.code == "checksum"
    assert str(clone) == MSG_CHECKSUM


# --- masking ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A123456789", "A12345****"),
        ("a123456789", "A12345****"),
        ("Ａ１２３４５６７８９", "A12345****"),
        ("AC01234567", "AC0123****"),
        ("A800000014", "A80000****"),
        ("A12", "***"),  # not 10 characters: hide everything
        ("A1234567890", "***********"),
        ("", ""),
    ],
)
def test_mask_national_id(value: str, expected: str) -> None:
    assert mask_national_id(value) == expected


# --- vault -----------------------------------------------------------------

SECRET = "test-secret-for-identity-vault"


@pytest.fixture
def vault() -> IdentityVault:
    return IdentityVault(SECRET)


def _hkdf(secret: str, info: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"jinxiu-guihua/identity-vault/v1",
        info=info,
    ).derive(secret.encode())


@pytest.mark.parametrize("value", CITIZEN + RESIDENT_OLD + RESIDENT_NEW)
def test_encrypt_decrypt_round_trip(vault: IdentityVault, value: str) -> None:
    blob = vault.encrypt(value)
    assert isinstance(blob, bytes)
    assert vault.decrypt(blob) == value
    assert vault.decrypt(bytearray(blob)) == value
    assert vault.decrypt(memoryview(blob)) == value


def test_blob_layout(vault: IdentityVault) -> None:
    blob = vault.encrypt("A123456789")
    assert blob[0] == 2  # version (1 was the layout without a key id)
    assert blob[1] == 1  # key id
    assert len(blob) == 2 + 12 + 10 + 16  # version, key id, nonce, ciphertext, GCM tag


def test_new_blob_format_is_pinned(vault: IdentityVault) -> None:
    key = _hkdf(SECRET, b"national-id-encryption")
    nonce = bytes(range(12))
    sealed = AESGCM(key).encrypt(nonce, b"A123456789", b"national-id/v\x02\x01")
    assert vault.decrypt(b"\x02\x01" + nonce + sealed) == "A123456789"


def test_several_keys_decrypt_with_any_encrypt_with_the_newest() -> None:
    old = IdentityVault("old-secret", key_id=1)
    old_blob, legacy_hash = old.encrypt("A123456789"), old.lookup_hash("A123456789")
    rotated = IdentityVault.from_keys([(2, "new-secret"), (1, "old-secret")])
    assert rotated.current_key_id == 2
    assert rotated.decrypt(old_blob) == "A123456789"
    new_blob = rotated.encrypt("A123456789")
    assert new_blob[:2] == b"\x02\x02"
    assert rotated.key_id_of(new_blob) == 2
    assert rotated.key_id_of(old_blob) == 1
    with pytest.raises(IdentityVaultError):
        old.decrypt(new_blob)  # the old vault does not know key 2
    # Lookup: the newest key hashes; the old hash is still among the candidates.
    assert rotated.lookup_hash("A123456789") != legacy_hash
    assert rotated.lookup_hashes("A123456789") == [
        rotated.lookup_hash("A123456789"),
        legacy_hash,
    ]


def test_key_id_cannot_be_swapped(vault: IdentityVault) -> None:
    both = IdentityVault.from_keys([(2, SECRET), (1, SECRET)])
    blob = bytearray(both.encrypt("A123456789"))
    blob[1] = 1  # same secret under another id: the id is authenticated data
    with pytest.raises(IdentityVaultError):
        both.decrypt(bytes(blob))


def test_legacy_blob_is_read_by_any_configured_key() -> None:
    key = _hkdf("old-secret", b"national-id-encryption")
    nonce = bytes(range(12))
    legacy = b"\x01" + nonce + AESGCM(key).encrypt(nonce, b"A123456789", b"national-id/v\x01")
    rotated = IdentityVault.from_keys([(2, "new-secret"), (1, "old-secret")])
    assert rotated.decrypt(legacy) == "A123456789"
    assert rotated.key_id_of(legacy) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1:abc", [(1, "abc")]), ("2:new, 1:old:with:colons", [(2, "new"), (1, "old:with:colons")])],
)
def test_parse_key_list(text: str, expected: list[tuple[int, str]]) -> None:
    assert parse_key_list(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "x:abc", "1:", "1:a,1:b", "0:a", "256:a"])
def test_parse_key_list_rejects_without_echoing_secrets(text: str) -> None:
    with pytest.raises(ValueError, match="key") as excinfo:
        IdentityVault.from_keys(parse_key_list(text))
    for part in ("abc", "a", "b"):
        assert f":{part}" not in str(excinfo.value)


def test_encrypt_normalizes(vault: IdentityVault) -> None:
    assert vault.decrypt(vault.encrypt(" ａ１２３４５６７８９ ")) == "A123456789"


def test_encrypt_rejects_invalid(vault: IdentityVault) -> None:
    with pytest.raises(NationalIdError) as excinfo:
        vault.encrypt("A123456788")
    assert excinfo.value.code == "checksum"


def test_ciphertext_is_randomized_and_hides_plaintext(vault: IdentityVault) -> None:
    value = "A123456789"
    first, second = vault.encrypt(value), vault.encrypt(value)
    assert first != second
    assert first[2:14] != second[2:14]  # fresh nonce
    for blob in (first, second):
        assert value.encode() not in blob
        assert value.encode("utf-16-le") not in blob
        assert value[2:].encode() not in blob


def test_tampering_any_byte_is_detected(vault: IdentityVault) -> None:
    blob = vault.encrypt("A123456789")
    for index in range(len(blob)):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises(IdentityVaultError):
            vault.decrypt(bytes(tampered))


@pytest.mark.parametrize("cut", [0, 1, 13, 28, 38])
def test_truncated_blob_is_rejected(vault: IdentityVault, cut: int) -> None:
    blob = vault.encrypt("A123456789")
    with pytest.raises(IdentityVaultError):
        vault.decrypt(blob[:cut])


def test_appended_bytes_are_rejected(vault: IdentityVault) -> None:
    with pytest.raises(IdentityVaultError):
        vault.decrypt(vault.encrypt("A123456789") + b"\x00")


def test_other_secret_cannot_decrypt(vault: IdentityVault) -> None:
    blob = vault.encrypt("A123456789")
    with pytest.raises(IdentityVaultError):
        IdentityVault("another-secret").decrypt(blob)


def test_decrypt_rejects_non_bytes(vault: IdentityVault) -> None:
    with pytest.raises(TypeError):
        vault.decrypt("A123456789")  # type: ignore[arg-type]


def test_blob_format_is_pinned(vault: IdentityVault) -> None:
    # A blob written by hand with the documented derivation must decrypt, so stored
    # data stays readable across refactors.
    key = _hkdf(SECRET, b"national-id-encryption")
    nonce = bytes(range(12))
    sealed = AESGCM(key).encrypt(nonce, b"AC01234567", b"national-id/v\x01")
    assert vault.decrypt(b"\x01" + nonce + sealed) == "AC01234567"


def test_lookup_hash_is_pinned_and_keyed(vault: IdentityVault) -> None:
    key = _hkdf(SECRET, b"national-id-lookup")
    expected = hmac.new(key, b"A123456789", hashlib.sha256).hexdigest()
    assert vault.lookup_hash("A123456789") == expected
    assert expected != hashlib.sha256(b"A123456789").hexdigest()
    # The two derived keys are independent of each other.
    assert key != _hkdf(SECRET, b"national-id-encryption")


def test_lookup_hash_deterministic_and_normalized(vault: IdentityVault) -> None:
    digest = vault.lookup_hash("A123456789")
    assert len(digest) == 64
    assert set(digest) <= set(string.hexdigits.lower())
    assert vault.lookup_hash("A123456789") == digest
    assert IdentityVault(SECRET).lookup_hash("A123456789") == digest
    assert vault.lookup_hash(" ａ１２３４５６７８９ ") == digest
    assert vault.lookup_hash("F101660293") != digest


def test_lookup_hash_differs_between_secrets(vault: IdentityVault) -> None:
    other = IdentityVault("a-different-secret")
    for value in CITIZEN + RESIDENT_OLD + RESIDENT_NEW:
        assert vault.lookup_hash(value) != other.lookup_hash(value)


def test_lookup_hash_rejects_invalid(vault: IdentityVault) -> None:
    with pytest.raises(NationalIdError):
        vault.lookup_hash("A123456788")


def test_vault_masked(vault: IdentityVault) -> None:
    assert vault.masked("a123456789") == "A12345****"
    assert vault.masked(vault.encrypt("A123456789")) == "A12345****"
    assert vault.masked(vault.encrypt("AC01234567")) == "AC0123****"


def test_vault_does_not_reveal_secret() -> None:
    vault = IdentityVault(SECRET)
    assert SECRET not in repr(vault)
    assert SECRET not in str(vault)
    with pytest.raises(TypeError):
        pickle.dumps(vault)


@pytest.mark.parametrize("secret", ["", None])
def test_vault_needs_secret(secret: str | None) -> None:
    with pytest.raises((ValueError, TypeError)):
        IdentityVault(secret)  # type: ignore[arg-type]


# --- generators --------------------------------------------------------------


def test_generated_citizen_ids_validate() -> None:
    rng = random.Random(20240823)
    letters: set[str] = set()
    sexes: set[str] = set()
    for _ in range(2000):
        value = make_national_id(rng)
        assert validate_national_id(value) == value
        assert id_kind(value) == "citizen"
        letters.add(value[0])
        sexes.add(value[1])
    assert letters == set(string.ascii_uppercase)
    assert sexes == {"1", "2"}


@pytest.mark.parametrize(("new_format", "kind"), [(True, "resident_new"), (False, "resident_old")])
def test_generated_resident_ids_validate(new_format: bool, kind: str) -> None:
    rng = random.Random(1911)
    seconds: set[str] = set()
    for _ in range(2000):
        value = make_resident_id(rng, new_format=new_format)
        assert validate_national_id(value) == value
        assert id_kind(value) == kind
        seconds.add(value[1])
    assert seconds == ({"8", "9"} if new_format else {"A", "B", "C", "D"})


def test_generator_options() -> None:
    rng = random.Random(3)
    for _ in range(50):
        assert make_national_id(rng, letter="k", sex=2)[:2] == "K2"
        assert make_national_id(rng, letter="I", sex=1)[:2] == "I1"
        assert make_resident_id(rng, letter="o")[0] == "O"
    assert make_resident_id(random.Random(5)) == make_resident_id(random.Random(5))
    assert make_national_id(random.Random(5)) == make_national_id(random.Random(5))


@pytest.mark.parametrize(
    "kwargs", [{"sex": 3}, {"sex": 0}, {"letter": "1"}, {"letter": "AB"}, {"letter": ""}]
)
def test_generator_rejects_bad_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - options are programmer errors
        make_national_id(random.Random(0), **kwargs)  # type: ignore[arg-type]


# --- module hygiene ----------------------------------------------------------


def test_module_never_logs_or_prints() -> None:
    tree = ast.parse(Path(identity_module.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"print", "breakpoint"}
    assert imported.isdisjoint({"logging", "flask", "warnings", "sys"})


# ---- bulk imports: the cheap path for numbers already stored (feeds) -----------------------


@pytest.mark.parametrize(
    "typed",
    ["A123456789", "a123456789", " A123456789 ", "Ａ１２３４５６７８９", "A12345\u200b6789"],
)
def test_known_lookup_hash_matches_lookup_hash_for_a_stored_number(vault, typed):
    stored = vault.lookup_hash("A123456789")
    assert vault.known_lookup_hash(typed, {stored}) == stored == vault.lookup_hash(typed)


@pytest.mark.parametrize(
    "typed", ["F101660293", "A123456788", "", "A12345678", "A1234567890", "甲123456789", "x" * 60]
)
def test_known_lookup_hash_is_none_for_anything_not_stored(vault, typed):
    stored = vault.lookup_hash("A123456789")
    assert vault.known_lookup_hash(typed, {stored}) is None  # never raises: the caller validates


def test_the_ascii_shortcut_of_normalization_changes_no_result():
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    for _ in range(2000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert normalize_national_id(raw) == raw.upper()
        assert normalize_national_id(raw + " ") == raw.upper()  # the general path
