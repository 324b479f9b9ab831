"""How long a tenant's data is kept: ``ASSAY_RETENTION_DAYS`` = ``tenant=D,tenant/analyzer=D,…``.

``*`` stands for every tenant without an entry of its own, ``*/analyzer`` for one analyzer of every
such tenant: ``*=30,*/contract_review=365,acme=90,acme/sentiment=7``. The most specific entry wins
(tenant/analyzer, then tenant, then ``*/analyzer``, then ``*``); data no entry covers is kept for
ever. Days may be fractional (``0.5`` is twelve hours). Jobs' retention sweep applies it to finished
jobs (by their end) with their inputs, results and artifacts, ingest's to uploaded files (by their
upload, the tenant's entry without an analyzer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from assay.common.auth import mint_token
from assay.common.config import CommonSettings
from assay.common.tenant_values import ANY_TENANT, parse_entries

DAY_SECONDS = 86400.0
SYSTEM_ACTOR = "system:retention"
"""The subject the sweeps act as (and the audit log names)."""
SWEEP_TOKEN_SECONDS = 600


@dataclass(frozen=True)
class Retention:
    """Retention in seconds by (tenant or ``*``, analyzer or ``*``)."""

    seconds: dict[tuple[str, str], float] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str, name: str = "ASSAY_RETENTION_DAYS") -> Retention:
        rules: dict[tuple[str, str], float] = {}
        for tenant, analyzer, days in parse_entries(spec, name):
            if days <= 0:
                raise ValueError(f"{name}: the retention of {tenant} must be more than 0 days")
            rules[(tenant, analyzer or ANY_TENANT)] = days * DAY_SECONDS
        return cls(rules)

    @property
    def enabled(self) -> bool:
        return bool(self.seconds)

    def of(self, tenant: str, analyzer: str = ANY_TENANT) -> float | None:
        """The retention of a tenant's jobs of ``analyzer`` (``*``: its files), None: kept for ever."""
        for key in ((tenant, analyzer), (tenant, ANY_TENANT), (ANY_TENANT, analyzer), (ANY_TENANT, ANY_TENANT)):
            if key in self.seconds:
                return self.seconds[key]
        return None

    def shortest(self) -> float:
        """The shortest retention of any entry (nothing younger is ever deleted)."""
        return min(self.seconds.values())

    def rules(self) -> dict[str, list[object]]:
        """The entries as parallel arrays for SQL, most specific first (``rank``)."""
        ordered = sorted(self.seconds.items(), key=lambda item: (item[0][0] == ANY_TENANT, item[0][1] == ANY_TENANT))
        return {
            "rule_tenants": [tenant for (tenant, _), _ in ordered],
            "rule_analyzers": [analyzer for (_, analyzer), _ in ordered],
            "rule_seconds": [seconds for _, seconds in ordered],
        }


def retention_seconds_sql(tenant: str, analyzer: str = "'*'") -> str:
    """A scalar subquery: the retention (seconds, NULL: kept for ever) of the row whose tenant and analyzer
    are the SQL expressions given, from the ``rules()`` parameters, the most specific entry first."""
    return f"""(
        SELECT r.seconds
        FROM unnest(CAST(:rule_tenants AS text[]), CAST(:rule_analyzers AS text[]), CAST(:rule_seconds AS float8[]))
             WITH ORDINALITY AS r(tenant, analyzer, seconds, rank)
        WHERE r.tenant IN ({tenant}, '*') AND r.analyzer IN ({analyzer}, '*')
        ORDER BY r.rank LIMIT 1)"""


def sweep_token_minter(settings: CommonSettings) -> Callable[[str], str]:
    """A tenant's short-lived token (``SYSTEM_ACTOR``, role user) for a sweep's calls to the other
    services, signed with the service's key (``ASSAY_JWT_HS256_SECRET`` or ``ASSAY_JWT_PRIVATE_KEY_FILE``);
    ValueError at once (the service does not start) when it has neither."""
    if not (settings.jwt_hs256_secret or settings.jwt_private_key_file):
        raise ValueError("ASSAY_RETENTION_DAYS needs ASSAY_JWT_HS256_SECRET or ASSAY_JWT_PRIVATE_KEY_FILE: the "
                         "retention sweeps act with a token of each tenant they sweep")

    def mint(tenant: str) -> str:
        return mint_token(settings, subject=SYSTEM_ACTOR, tenant=tenant, roles=["user"],
                          ttl_seconds=SWEEP_TOKEN_SECONDS)
    return mint
