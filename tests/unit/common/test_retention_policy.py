"""ASSAY_RETENTION_DAYS: the most specific entry wins, fractional days, bad entries named."""

from __future__ import annotations

import pytest

from assay.common.auth import TokenVerifier
from assay.common.config import CommonSettings
from assay.common.retention import DAY_SECONDS, SYSTEM_ACTOR, Retention, sweep_token_minter


def test_the_most_specific_entry_wins_and_uncovered_data_is_kept() -> None:
    retention = Retention.parse("*=30,*/contract_review=365,acme=90,acme/sentiment=0.5")
    assert retention.of("acme", "sentiment") == 0.5 * DAY_SECONDS
    assert retention.of("acme", "index") == 90 * DAY_SECONDS
    assert retention.of("acme") == 90 * DAY_SECONDS
    assert retention.of("other", "contract_review") == 365 * DAY_SECONDS
    assert retention.of("other") == 30 * DAY_SECONDS
    assert Retention.parse("acme=1").of("other") is None and not Retention.parse("").enabled
    assert retention.shortest() == 0.5 * DAY_SECONDS
    assert retention.rules()["rule_tenants"] == ["acme", "acme", "*", "*"]
    assert retention.rules()["rule_analyzers"] == ["sentiment", "*", "contract_review", "*"]


@pytest.mark.parametrize(("spec", "message"), [
    ("acme=0", "more than 0 days"), ("acme", "not tenant=value"), ("acme=soon", "no number")])
def test_bad_entries_are_refused_naming_the_variable(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        Retention.parse(spec)
    assert "ASSAY_RETENTION_DAYS" in str(refused.value)


def test_the_sweeps_token_needs_a_signing_key_and_names_the_system_actor() -> None:
    with pytest.raises(ValueError, match="ASSAY_JWT_HS256_SECRET"):
        sweep_token_minter(CommonSettings(jwt_hs256_secret="", jwt_private_key_file=""))
    settings = CommonSettings(jwt_hs256_secret="unit-test-secret-0123456789abcdef0123")
    principal = TokenVerifier(settings).verify(sweep_token_minter(settings)("acme"))
    assert (principal.subject, principal.tenant, sorted(principal.roles)) == (SYSTEM_ACTOR, "acme", ["user"])
