"""Secrets the brain hands out and the hashes it keeps of them.

Executor API keys, API tokens and webhook secrets are 256-bit random strings,
so a SHA-256 hash is enough to store them; comparisons are constant-time.
Admin passwords are chosen by people, so they get scrypt with a random salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def new_executor_id() -> str:
    return "ex-" + secrets.token_hex(5)


def new_api_key() -> str:
    return "fxk_" + secrets.token_urlsafe(32)


def new_token() -> tuple[str, str]:
    """A strategy API token ``fxt_<id>_<secret>``; returns (token id, token)."""
    token_id = secrets.token_hex(4)
    return token_id, f"fxt_{token_id}_{secrets.token_urlsafe(32)}"


def token_id_of(token: str) -> str | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "fxt" or len(parts[1]) != 8:
        return None
    return parts[1]


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(24)


def new_halt_id() -> str:
    return "h-" + secrets.token_hex(6)


def new_session_id() -> str:
    return "s-" + secrets.token_hex(8)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Check a password against a ``hash_password`` string (False for malformed hashes)."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)
