"""Which tenant's held work is dispatched next: weighted fair share of in-flight work, with limits.

The rule, per analyzer, each time the analyzer's backlog (work messages dispatched but not yet
started) has room for ``capacity`` more: repeatedly pick, among the tenants with held work that are
under their concurrency limits, the one with the smallest *share* — its in-flight jobs of that
analyzer (dispatched and not finished: waiting in the stream or running) divided by its weight —
ties going to the tenant whose next job has the higher priority, then the older one; dispatch that
tenant's next job (its highest priority, then oldest) and count it in flight. This is weighted
max-min fairness of concurrency (water filling): a tenant alone gets everything, tenants with
work waiting end up with in-flight counts in proportion to their weights, and a newcomer with
nothing in flight is served at the next free place, however much another tenant has queued.

A tenant's concurrency limit counts its in-flight jobs of every analyzer, a tenant-and-analyzer
limit those of one analyzer; a tenant at a limit is passed over until one of its jobs finishes.

Ahead of the backlog (``plan_round``): the work stream is FIFO per priority, so a job dispatched
into a full backlog still waits behind every message already there (with a batch-running worker's
32 small slots, ~64), although the share rule put it first. So a tenant with held work, *nothing
of the analyzer waiting behind* the backlog (no message on its own priority's subject: its
dispatched jobs all started, or went ahead themselves), and a smaller share than every tenant that
has messages waiting behind, has its next job chosen first in the round, even when the backlog has
no room, and that job goes ahead of the waiting messages (the dispatcher publishes it on the
analyzer's top-priority subject, which workers take first, and records that on the job). One such
job per tenant and round; everything a tenant has waiting is then on that one FIFO subject, so its
own jobs keep their order; a flooding tenant (always with messages waiting behind) never uses it;
and the backlog exceeds its size by at most the jobs that keep such a tenant's share below that
of every tenant waiting behind. (Until stop 30 a tenant's second job waited until its first had
started; dispatched meanwhile with the backlog's room, it went behind the ~64, 0.5-0.7 s under a
flood: bench/README.md, "Stop 30".)
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from assay.common.tenant_values import ANY_TENANT, parse_entries


@dataclass(frozen=True)
class Head:
    """A held job as the dispatcher sees it."""

    job_id: str
    tenant: str
    priority: int
    created_at: datetime


@dataclass(frozen=True)
class Policy:
    """Tenant weights and concurrency limits (``parse_policy`` reads them from settings)."""

    weights: Mapping[str, float] = field(default_factory=dict)
    """Tenant → weight; ``*`` is the default (1 unless given)."""
    limits: Mapping[tuple[str, str | None], int] = field(default_factory=dict)
    """(tenant or ``*``, analyzer or None) → most jobs in flight."""

    def weight(self, tenant: str) -> float:
        return self.weights.get(tenant, self.weights.get(ANY_TENANT, 1.0))

    def limit(self, tenant: str, analyzer: str | None) -> int | None:
        """The tenant's limit (``analyzer`` None: across analyzers); its own entry before ``*``'s."""
        for key in ((tenant, analyzer), (ANY_TENANT, analyzer)):
            if key in self.limits:
                return self.limits[key]
        return None


def parse_policy(weights: str, concurrency: str) -> Policy:
    """``weights``: ``tenant=W,…`` (W > 0); ``concurrency``: ``tenant=N,tenant/analyzer=N,…`` (N ≥ 1),
    ``*`` standing for every tenant without an entry of its own. Raises ValueError naming a bad entry."""
    parsed_weights: dict[str, float] = {}
    for tenant, analyzer, weight in parse_entries(weights, "ASSAY_TENANT_WEIGHTS"):
        if analyzer is not None:
            raise ValueError(f"ASSAY_TENANT_WEIGHTS: weights are per tenant, not per analyzer ({tenant}/{analyzer})")
        if not weight > 0:
            raise ValueError(f"ASSAY_TENANT_WEIGHTS: the weight of {tenant} must be positive, not {weight:g}")
        parsed_weights[tenant] = weight
    limits: dict[tuple[str, str | None], int] = {}
    for tenant, analyzer, value in parse_entries(concurrency, "ASSAY_TENANT_CONCURRENCY"):
        if value < 1 or value != int(value):
            raise ValueError(f"ASSAY_TENANT_CONCURRENCY: the limit of {tenant} must be a whole number of at least 1")
        limits[(tenant, analyzer)] = int(value)
    return Policy(parsed_weights, limits)


@dataclass
class InFlight:
    """Jobs dispatched and not finished, per tenant-and-analyzer and per tenant; updated as it plans."""

    by_analyzer: dict[tuple[str, str], int] = field(default_factory=dict)
    by_tenant: dict[str, int] = field(default_factory=dict)

    def add(self, tenant: str, analyzer: str, count: int = 1) -> None:
        self.by_analyzer[(tenant, analyzer)] = self.by_analyzer.get((tenant, analyzer), 0) + count
        self.by_tenant[tenant] = self.by_tenant.get(tenant, 0) + count

    def of(self, tenant: str, analyzer: str) -> int:
        return self.by_analyzer.get((tenant, analyzer), 0)


def plan(analyzer: str, capacity: int, heads: Mapping[str, list[Head]], in_flight: InFlight,
         policy: Policy) -> list[Head]:
    """The held jobs to dispatch now, in order; ``heads`` lists each tenant's held jobs of the
    analyzer in its own order (priority, then age). ``in_flight`` is updated with the chosen ones."""
    queue: list[tuple[float, int, datetime, str]] = []
    position = dict.fromkeys(heads, 0)

    def offer(tenant: str) -> None:
        index = position[tenant]
        if index >= len(heads[tenant]) or not _under_limits(tenant, analyzer, in_flight, policy):
            return
        head = heads[tenant][index]
        share = in_flight.of(tenant, analyzer) / policy.weight(tenant)
        heapq.heappush(queue, (share, -head.priority, head.created_at, tenant))

    for tenant in heads:
        offer(tenant)
    chosen: list[Head] = []
    while queue and len(chosen) < capacity:
        tenant = heapq.heappop(queue)[3]
        chosen.append(heads[tenant][position[tenant]])
        position[tenant] += 1
        in_flight.add(tenant, analyzer)
        offer(tenant)
    return chosen


def plan_round(analyzer: str, capacity: int, heads: Mapping[str, list[Head]], in_flight: InFlight,
               waiting: Mapping[str, int], policy: Policy) -> tuple[list[Head], list[Head]]:
    """One round's jobs for the analyzer: (jobs to go ahead of the backlog, the rest by ``plan``).
    ``waiting``: each tenant's messages of the analyzer waiting behind the backlog (in the stream on
    their own priority's subject, not yet started). Each tenant with none waiting and a smaller share
    than every tenant with some gets its next job (within its limits) whatever ``capacity`` says; the
    rest share what capacity remains."""
    eligible = may_go_ahead(analyzer, heads.keys(), in_flight, waiting, policy)
    first = {tenant: jobs[:1] for tenant, jobs in heads.items() if jobs and tenant in eligible}
    ahead = plan(analyzer, len(first), first, in_flight, policy)
    taken = {head.job_id for head in ahead}
    rest = {tenant: [head for head in jobs if head.job_id not in taken] for tenant, jobs in heads.items()}
    return ahead, plan(analyzer, max(0, capacity - len(ahead)), rest, in_flight, policy)


def may_go_ahead(analyzer: str, tenants: Iterable[str], in_flight: InFlight, waiting: Mapping[str, int],
                 policy: Policy) -> set[str]:
    """Of ``tenants`` (with held work), those whose next job goes ahead of the backlog: nothing of the
    analyzer waiting, a smaller share than every tenant with some waiting, and under their limits."""
    def share(tenant: str) -> float:
        return in_flight.of(tenant, analyzer) / policy.weight(tenant)

    bar = min((share(tenant) for tenant, count in waiting.items() if count > 0), default=math.inf)
    return {tenant for tenant in tenants if not waiting.get(tenant, 0) and share(tenant) < bar
            and _under_limits(tenant, analyzer, in_flight, policy)}


def _under_limits(tenant: str, analyzer: str, in_flight: InFlight, policy: Policy) -> bool:
    overall = policy.limit(tenant, None)
    if overall is not None and in_flight.by_tenant.get(tenant, 0) >= overall:
        return False
    per_analyzer = policy.limit(tenant, analyzer)
    return per_analyzer is None or in_flight.of(tenant, analyzer) < per_analyzer
