"""Webhook signing secrets: the Standard Webhooks form, sealed for the database, rotatable keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.fernet import InvalidToken
from standardwebhooks import Webhook

from assay.jobs.webhook_config import WebhookSettings
from assay.jobs.webhook_secrets import SecretBox, new_secret


def test_a_new_secret_signs_what_standard_webhooks_verifies() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and secret != new_secret()
    now = datetime.now(UTC)
    signature = Webhook(secret).sign("msg_1", now, '{"a":1}')
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}
    assert Webhook(secret).verify('{"a":1}', headers) == {"a": 1}


def test_sealed_secrets_are_unreadable_without_the_key_and_survive_a_rotation() -> None:
    secret = new_secret()
    sealed = SecretBox(["old key material, long enough"]).seal(secret)
    assert secret not in sealed and secret.removeprefix("whsec_") not in sealed
    rotated = SecretBox(["new key material, long enough", "old key material, long enough"])
    assert rotated.unseal(sealed) == secret
    with pytest.raises(InvalidToken):
        SecretBox(["new key material, long enough"]).unseal(sealed)


def test_the_keys_default_to_the_capability_secret() -> None:
    assert WebhookSettings().secret_key_material("cap") == ["cap"]
    assert WebhookSettings(webhook_secret_keys="a, b").secret_key_material("cap") == ["a", "b"]
    with pytest.raises(ValueError, match="need a key"):
        SecretBox(WebhookSettings().secret_key_material(""))
