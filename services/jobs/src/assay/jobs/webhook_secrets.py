"""Webhook signing secrets: generated here, shown once, stored sealed.

A secret is the Standard Webhooks form ``whsec_`` + base64 of 32 random bytes. The database holds it
sealed with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived (HKDF-SHA256) from
``ASSAY_WEBHOOK_SECRET_KEYS`` — several comma-separated, the first seals and each unseals, for
rotation — or, when that is empty, from ``ASSAY_JOB_CAPABILITY_SECRET``. A database dump alone thus
does not reveal a secret. No RPC returns it after CreateWebhook, and it is never logged or audited.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
_INFO = b"assay webhook signing secrets v1"


def new_secret() -> str:
    """A fresh signing secret in the ``whsec_`` form ``standardwebhooks.Webhook`` takes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class SecretBox:
    """Seals secrets for the database and unseals them to sign."""

    def __init__(self, key_material: list[str]) -> None:
        if not key_material:
            raise ValueError("webhook secrets need a key (ASSAY_WEBHOOK_SECRET_KEYS or ASSAY_JOB_CAPABILITY_SECRET)")
        self._fernet = MultiFernet([Fernet(_derive(material)) for material in key_material])

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def unseal(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()


def _derive(material: str) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material.encode())
    return base64.urlsafe_b64encode(key)
