"""Field encryption for sensitive personal data (DOMAIN.md §9.4–9.5).

AES-256-GCM by default; SM4-GCM (GB/T 32907) with TONGXIN_FIELD_CIPHER=sm4-gcm for
deployments that must pass 密评 (GB/T 39786). The stored form is
`<cipher-id>:<base64(nonce || ciphertext || tag)>`, so both can be read side by side.
"""

import base64
import functools
import hashlib
import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models


def _key_material() -> bytes:
    return _derive_key(settings.TONGXIN["FIELD_KEY"], settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _derive_key(configured: str, secret_key: str) -> bytes:
    if configured:
        return base64.b64decode(configured)
    return hashlib.sha256(b"tongxin-field-key:" + secret_key.encode()).digest()


def encrypt(plain: str) -> str:
    key = _key_material()
    nonce = os.urandom(12)
    data = plain.encode()
    if settings.TONGXIN["FIELD_CIPHER"] == "sm4-gcm":
        enc = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce)).encryptor()
        blob = enc.update(data) + enc.finalize() + enc.tag
        return "s1:" + base64.b64encode(nonce + blob).decode()
    return "a1:" + base64.b64encode(nonce + AESGCM(key[:32]).encrypt(nonce, data, None)).decode()


def decrypt(stored: str) -> str:
    kind, _, payload = stored.partition(":")
    raw = base64.b64decode(payload)
    nonce, blob = raw[:12], raw[12:]
    key = _key_material()
    if kind == "s1":
        dec = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce, blob[-16:])).decryptor()
        return (dec.update(blob[:-16]) + dec.finalize()).decode()
    if kind == "a1":
        return AESGCM(key[:32]).decrypt(nonce, blob, None).decode()
    raise ValueError("unknown cipher prefix")


class EncryptedTextField(models.TextField):
    """Text encrypted at rest; the Python value is the clear text. Not searchable."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


def digest(value: str) -> str:
    """Keyed HMAC-SHA256 of a normalised value: uniqueness and exact lookup of an encrypted
    field (e.g. an ID number) without storing it in clear or decrypting every row."""
    import hmac

    return hmac.new(_key_material(), value.strip().upper().encode(), hashlib.sha256).hexdigest()
