"""Per-tenant settings written as ``tenant=value,tenant/analyzer=value,…`` (``*``: every other tenant)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from assay.common.auth import TENANT_PATTERN

ANY_TENANT = "*"

_TENANT = TENANT_PATTERN.pattern.removeprefix("^").removesuffix("$")
_ENTRY = re.compile(rf"^(?P<tenant>{_TENANT}|\*)(?:/(?P<analyzer>[a-z0-9_]{{1,64}}))?=(?P<value>\S+)$")


def parse_entries(spec: str, name: str) -> Iterator[tuple[str, str | None, float]]:
    """Each entry of ``spec`` as (tenant or ``*``, analyzer or None, number); ValueError names a bad one
    and the variable ``name``."""
    for raw in spec.split(","):
        entry = raw.strip()
        if not entry:
            continue
        match = _ENTRY.match(entry)
        if match is None:
            raise ValueError(f"{name}: {entry!r} is not tenant=value or tenant/analyzer=value")
        try:
            value = float(match["value"])
        except ValueError:
            raise ValueError(f"{name}: {entry!r} has no number after '='") from None
        yield match["tenant"], match["analyzer"], value


@dataclass(frozen=True)
class PerTenant:
    """A whole number per tenant (``*``: the default); tenants without one have none."""

    values: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str, name: str) -> PerTenant:
        values: dict[str, int] = {}
        for tenant, analyzer, value in parse_entries(spec, name):
            if analyzer is not None:
                raise ValueError(f"{name}: {tenant}/{analyzer}: this setting is per tenant, not per analyzer")
            if value < 1 or value != int(value):
                raise ValueError(f"{name}: the value of {tenant} must be a whole number of at least 1")
            values[tenant] = int(value)
        return cls(values)

    def of(self, tenant: str) -> int | None:
        return self.values.get(tenant, self.values.get(ANY_TENANT))
