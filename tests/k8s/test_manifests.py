"""Policy over the rendered deploy/k8s overlays: schema, hardening, wiring and network flows."""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

pytestmark = pytest.mark.k8s

Manifest = dict[str, Any]
K8S_DIR = Path(__file__).resolve().parents[2] / "deploy" / "k8s"

# One Kubernetes version the schemas are checked against (kubernetes-validate bundles several).
KUBERNETES_VERSION = "1.33.0"

APP_IMAGE = "ghcr.io/assay/assay"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")
LONG_RUNNING_KINDS = ("Deployment", "StatefulSet")
RECOMMENDED_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
)
# Labels every object carries, generated ConfigMaps and Secrets included.
COMMON_LABELS = (
    "app.kubernetes.io/instance",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
)
APP_SERVICES = ("ingest", "jobs", "analysis", "gateway")
# Every pod that runs Assay code, and so exports OTLP.
ASSAY_PROCESSES = (
    *APP_SERVICES,
    "jobs-migrate",
    "ingest-migrate",
    "analysis-migrate",
    "jobs-provision",
    "ingest-provision",
)
# Seconds a service drains after SIGTERM (the contract with the services).
MIN_DRAIN_SECONDS = {"ingest": 20, "jobs": 20, "analysis": 60, "gateway": 20}
# Env var names that carry credentials; *_FILE names a mounted file instead, and
# ASSAY_RATE_LIMIT_TOKEN is a rate (requests per second per token).
SECRET_ENV = re.compile(r"(PASSWORD|SECRET|(?<!RATE_LIMIT_)TOKEN|DATABASE_URL|ACCESS_KEY|PRIVATE_KEY)(?!_FILE)")
CREDENTIAL_URL = re.compile(r"://[^/\s:@]+:[^/\s@]+@")

# Every connection between pods of the namespace that the policies allow: (client, server, port).
FLOWS = {
    ("gateway", "ingest", "50052/TCP"),
    ("gateway", "jobs", "50051/TCP"),
    ("gateway", "analysis", "50053/TCP"),
    ("ingest", "analysis", "50053/TCP"),
    ("gateway", "nats", "4222/TCP"),
    ("ingest", "jobs", "50051/TCP"),
    ("ingest", "minio", "9000/TCP"),
    ("jobs", "ingest", "50052/TCP"),
    ("jobs", "nats", "4222/TCP"),
    ("analysis", "jobs", "50051/TCP"),
    ("analysis", "ingest", "50052/TCP"),
    ("analysis", "nats", "4222/TCP"),
    ("analysis", "minio", "9000/TCP"),
    ("jobs-provision", "nats", "4222/TCP"),
    ("ingest-provision", "minio", "9000/TCP"),
    ("nats", "nats", "4222/TCP"),
    ("nats", "nats", "6222/TCP"),
    ("nats", "nats", "8222/TCP"),
    ("otel-collector", "jaeger", "4317/TCP"),
    *((process, "otel-collector", "4317/TCP") for process in ASSAY_PROCESSES),
}
DATABASE_CLIENTS = ("ingest", "jobs", "analysis", "jobs-migrate", "ingest-migrate", "analysis-migrate")
IN_CLUSTER_POSTGRES_FLOWS = {(client, "postgres", "5432/TCP") for client in DATABASE_CLIENTS}
DNS_PEER = "namespaces(kubernetes.io/metadata.name=kube-system) pods(k8s-app in (kube-dns))"
MONITORING_PEERS = ("namespaces(assay.dev/monitoring=true)", "pods(assay.dev/monitoring in (true))")
PROD_DATABASE_PEER = "ipBlock(10.0.0.0/8)"


# ------------------------------------------------------------------------------------- helpers


def of_kind(docs: list[Manifest], *kinds: str) -> list[Manifest]:
    return [doc for doc in docs if doc["kind"] in kinds]


def named(docs: list[Manifest], kind: str, name: str) -> Manifest:
    matches = [doc for doc in of_kind(docs, kind) if doc["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def ref(doc: Manifest) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def labels(doc: Manifest) -> dict[str, str]:
    return dict(doc["metadata"].get("labels") or {})


def workload_name(workload: Manifest) -> str:
    return str(workload["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"])


def pod_spec(workload: Manifest) -> dict[str, Any]:
    return dict(workload["spec"]["template"]["spec"])


def containers_of(workload: Manifest) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def all_containers(docs: list[Manifest]) -> Iterator[tuple[Manifest, dict[str, Any]]]:
    for workload in of_kind(docs, *WORKLOAD_KINDS):
        for container in containers_of(workload):
            yield workload, container


def is_assay(container: dict[str, Any]) -> bool:
    return str(container["image"]).startswith(APP_IMAGE + ":")


def app_deployments(docs: list[Manifest]) -> list[Manifest]:
    """Deployments whose containers run the Assay image (ingest, jobs, analysis, gateway)."""
    return [d for d in of_kind(docs, "Deployment") if any(map(is_assay, containers_of(d)))]


def image_tag(image: str) -> str | None:
    """The tag of an image reference, or None when it has none."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def env_value(container: dict[str, Any], name: str) -> str | None:
    for var in container.get("env", []):
        if var["name"] == name:
            return str(var["value"]) if "value" in var else None
    return None


def selector_matches(selector: dict[str, Any], pod_labels: dict[str, str]) -> bool:
    """Whether a LabelSelector (matchLabels + matchExpressions) selects these labels."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if pod_labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and pod_labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in pod_labels and pod_labels[key] in values:
            return False
        if operator == "Exists" and key not in pod_labels:
            return False
        if operator == "DoesNotExist" and key in pod_labels:
            return False
    return True


def selector_text(selector: dict[str, Any]) -> str:
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        values = "|".join(expression.get("values") or [])
        terms.append(f"{expression['key']} {expression['operator'].lower()} ({values})")
    return ",".join(terms) or "*"


@dataclass(frozen=True)
class Port:
    name: str | None
    number: int
    protocol: str

    def __str__(self) -> str:
        return f"{self.number}/{self.protocol}"


@dataclass(frozen=True)
class Pod:
    """The pods of one workload, as its pod template describes them."""

    name: str
    labels: tuple[tuple[str, str], ...]
    ports: tuple[Port, ...]

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    def has_port(self, port: int | str, protocol: str = "TCP") -> bool:
        return any(p.protocol == protocol and port in (p.number, p.name) for p in self.ports)


def pods_of(docs: list[Manifest]) -> list[Pod]:
    pods = []
    for workload in of_kind(docs, *WORKLOAD_KINDS):
        ports = tuple(
            Port(p.get("name"), int(p["containerPort"]), p.get("protocol", "TCP"))
            for container in containers_of(workload)
            for p in container.get("ports", [])
        )
        template_labels = workload["spec"]["template"]["metadata"]["labels"]
        pods.append(Pod(workload_name(workload), tuple(sorted(template_labels.items())), ports))
    return pods


def policy_types(policy: Manifest) -> list[str]:
    spec = policy["spec"]
    if "policyTypes" in spec:
        return list(spec["policyTypes"])
    return ["Ingress", *(["Egress"] if "egress" in spec else [])]


def applies_to(policy: Manifest, pod: Pod, direction: str) -> bool:
    return direction in policy_types(policy) and selector_matches(policy["spec"]["podSelector"], pod.label_map)


def is_external(peer: dict[str, Any], pods: list[Pod]) -> bool:
    """A peer outside this namespace's rendered pods.

    Assumes the namespace Assay is deployed to matches none of the policies' namespaceSelectors
    (they name kube-system and monitoring namespaces).
    """
    if "ipBlock" in peer or "namespaceSelector" in peer:
        return True
    return not any(selector_matches(peer["podSelector"], pod.label_map) for pod in pods)


def peer_text(peer: dict[str, Any]) -> str:
    if "ipBlock" in peer:
        return f"ipBlock({peer['ipBlock']['cidr']})"
    parts = []
    if "namespaceSelector" in peer:
        parts.append(f"namespaces({selector_text(peer['namespaceSelector'])})")
    if "podSelector" in peer:
        parts.append(f"pods({selector_text(peer['podSelector'])})")
    return " ".join(parts)


def port_allowed(rule_ports: list[dict[str, Any]] | None, port: Port) -> bool:
    if not rule_ports:
        return True
    return any(
        p.get("protocol", "TCP") == port.protocol and ("port" not in p or p["port"] in (port.number, port.name))
        for p in rule_ports
    )


def rule_reaches(rule: dict[str, Any], peers_key: str, pod: Pod) -> bool:
    peers = rule.get(peers_key)
    if not peers:
        return True
    return any(
        "ipBlock" not in peer
        and "namespaceSelector" not in peer
        and selector_matches(peer["podSelector"], pod.label_map)
        for peer in peers
    )


def connection_allowed(policies: list[Manifest], src: Pod, dst: Pod, port: Port) -> bool:
    """Kubernetes semantics: the client's egress and the server's ingress must both allow it."""

    def side(direction: str, rules_key: str, peers_key: str, me: Pod, other: Pod) -> bool:
        isolating = [p for p in policies if applies_to(p, me, direction)]
        return not isolating or any(
            rule_reaches(rule, peers_key, other) and port_allowed(rule.get("ports"), port)
            for policy in isolating
            for rule in policy["spec"].get(rules_key) or []
        )

    return side("Egress", "egress", "to", src, dst) and side("Ingress", "ingress", "from", dst, src)


def internal_flows(docs: list[Manifest]) -> set[tuple[str, str, str]]:
    policies, pods = of_kind(docs, "NetworkPolicy"), pods_of(docs)
    return {
        (src.name, dst.name, str(port))
        for src, dst in itertools.product(pods, pods)
        for port in dst.ports
        if connection_allowed(policies, src, dst, port)
    }


def external_flows(docs: list[Manifest]) -> set[tuple[str, str, str]]:
    """Flows with one end outside the rendered pods: (source, destination, port)."""
    policies, pods = of_kind(docs, "NetworkPolicy"), pods_of(docs)
    flows = set()
    for pod in pods:
        for policy in (p for p in policies if applies_to(p, pod, "Ingress")):
            for rule in policy["spec"].get("ingress") or []:
                sources = [peer_text(p) for p in rule.get("from") or [] if is_external(p, pods)]
                if not rule.get("from"):
                    sources = ["anywhere"]
                for source, port in itertools.product(sources, pod.ports):
                    if port_allowed(rule.get("ports"), port):
                        flows.add((source, pod.name, str(port)))
        for policy in (p for p in policies if applies_to(p, pod, "Egress")):
            for rule in policy["spec"].get("egress") or []:
                targets = [peer_text(p) for p in rule.get("to") or [] if is_external(p, pods)]
                if not rule.get("to"):
                    targets = ["anywhere"]
                ports = [f"{p.get('port', 'any')}/{p.get('protocol', 'TCP')}" for p in rule.get("ports") or []]
                for target, port_text in itertools.product(targets, ports or ["any"]):
                    flows.add((pod.name, target, port_text))
    return flows


# ---------------------------------------------------------------------------------- rendering


def test_every_overlay_renders_to_named_documents(docs: list[Manifest]) -> None:
    assert docs
    for doc in docs:
        assert doc.get("apiVersion") and doc.get("kind") and doc["metadata"].get("name"), doc


def test_every_document_is_valid_against_the_kubernetes_schema_in_strict_mode(
    docs: list[Manifest],
) -> None:
    errors = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            errors.append(f"{ref(doc)}: {path}: {error.message}")
    assert not errors, "\n".join(errors)


def test_every_kustomization_uses_only_what_kustomize_2_0_renders() -> None:
    # kubectl 1.20 (Debian's kubernetes-client) embeds kustomize 2.0; newer kubectl renders
    # these files the same way, so CI on either one proves nothing about the other.
    allowed = {
        "bases",
        "resources",
        "patchesStrategicMerge",
        "patchesJson6902",
        "images",
        "commonLabels",
        "namePrefix",
        "configMapGenerator",
        "secretGenerator",
    }
    kustomizations = sorted(K8S_DIR.rglob("kustomization.yaml"))
    assert {path.parent.relative_to(K8S_DIR).as_posix() for path in kustomizations} >= {
        "base",
        "postgres",
        "overlays/dev",
        "overlays/prod",
    }
    for path in kustomizations:
        kustomization = yaml.safe_load(path.read_text(encoding="utf-8"))
        where = path.relative_to(K8S_DIR)
        assert set(kustomization) <= allowed, f"{where}: {set(kustomization) - allowed}"
        for resource in kustomization.get("resources", []):
            assert "/" not in resource, f"{where}: resources must be files here, not {resource}"
            assert (path.parent / resource).is_file(), f"{where}: missing {resource}"
        for base in kustomization.get("bases", []):
            assert (path.parent / base / "kustomization.yaml").is_file(), f"{where}: {base}"
        for patch in kustomization.get("patchesStrategicMerge", []):
            assert (path.parent / patch).is_file(), f"{where}: missing {patch}"
        if kustomization.get("secretGenerator"):
            assert where.parent.as_posix() == "overlays/dev", f"{where} generates a Secret"


# ---------------------------------------------------------------------------------- containers


def test_every_long_running_container_has_liveness_and_readiness_probes(
    docs: list[Manifest],
) -> None:
    for workload, container in all_containers(docs):
        if workload["kind"] in LONG_RUNNING_KINDS:
            assert "livenessProbe" in container, f"{ref(workload)}: {container['name']}"
            assert "readinessProbe" in container, f"{ref(workload)}: {container['name']}"


def test_every_container_requests_and_limits_cpu_and_memory(docs: list[Manifest]) -> None:
    for workload, container in all_containers(docs):
        resources = container.get("resources", {})
        for kind, resource in itertools.product(("requests", "limits"), ("cpu", "memory")):
            assert resources.get(kind, {}).get(resource), (
                f"{ref(workload)}: {container['name']} has no {kind}.{resource}"
            )


def test_every_container_runs_as_non_root_read_only_without_privileges(
    docs: list[Manifest],
) -> None:
    for workload, container in all_containers(docs):
        pod_context = pod_spec(workload).get("securityContext", {})
        context = container.get("securityContext", {})
        where = f"{ref(workload)}: {container['name']}"
        assert context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is True, where
        assert context.get("runAsUser", pod_context.get("runAsUser")) != 0, where
        seccomp = context.get("seccompProfile", pod_context.get("seccompProfile", {}))
        assert seccomp.get("type") == "RuntimeDefault", where
        assert context.get("readOnlyRootFilesystem") is True, where
        assert context.get("allowPrivilegeEscalation") is False, where
        assert "ALL" in context.get("capabilities", {}).get("drop", []), where
        assert not context.get("privileged"), where


def test_every_image_is_pinned_to_a_version_tag_and_never_latest(docs: list[Manifest]) -> None:
    for workload, container in all_containers(docs):
        image = container["image"]
        tag = image_tag(image)
        assert tag or "@sha256:" in image, f"{ref(workload)}: {image} is not pinned"
        assert tag != "latest", f"{ref(workload)}: {image}"


def test_every_pod_uses_its_own_service_account_without_an_api_token(
    docs: list[Manifest],
) -> None:
    accounts = {sa["metadata"]["name"] for sa in of_kind(docs, "ServiceAccount")}
    for workload in of_kind(docs, *WORKLOAD_KINDS):
        spec = pod_spec(workload)
        assert spec.get("serviceAccountName") in accounts, ref(workload)
        assert spec.get("automountServiceAccountToken") is False, ref(workload)


def test_every_assay_container_writes_only_to_an_empty_dir_at_tmp(docs: list[Manifest]) -> None:
    for workload, container in all_containers(docs):
        if not is_assay(container):
            continue
        volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, ref(workload)
        assert "emptyDir" in volumes[mounts["/tmp"]], ref(workload)


# ------------------------------------------------------------------------------------- secrets


def test_secrets_reach_containers_only_through_secret_key_refs(docs: list[Manifest]) -> None:
    for workload, container in all_containers(docs):
        for var in container.get("env", []):
            where = f"{ref(workload)}: {container['name']}: {var['name']}"
            if SECRET_ENV.search(var["name"]):
                assert "secretKeyRef" in var.get("valueFrom", {}), where
            assert not CREDENTIAL_URL.search(str(var.get("value", ""))), where


def test_config_maps_hold_no_credentials(docs: list[Manifest]) -> None:
    for config_map in of_kind(docs, "ConfigMap"):
        for key, value in (config_map.get("data") or {}).items():
            assert not SECRET_ENV.search(key), f"{ref(config_map)}: {key}"
            assert not CREDENTIAL_URL.search(value), f"{ref(config_map)}: {key}"


def test_only_the_dev_overlay_carries_secret_data_and_all_of_it_is_placeholder(
    docs: list[Manifest], overlay: str
) -> None:
    secrets = of_kind(docs, "Secret")
    if overlay != "dev":
        assert not secrets, f"overlays/{overlay} must not carry Secret data"
        return
    assert secrets
    for secret in secrets:
        assert "stringData" not in secret, ref(secret)
        for key, value in secret["data"].items():
            assert "dev" in base64.b64decode(value).decode(), f"{ref(secret)}: {key}"


def test_every_secret_key_a_container_needs_is_generated_in_dev_and_documented_for_prod(
    dev: list[Manifest], prod: list[Manifest]
) -> None:
    generated = {s["metadata"]["name"]: set(s["data"]) for s in of_kind(dev, "Secret")}
    for workload, container in all_containers(dev):
        for var in container.get("env", []):
            secret_ref = var.get("valueFrom", {}).get("secretKeyRef")
            if secret_ref:
                assert secret_ref["key"] in generated.get(secret_ref["name"], set()), f"{ref(workload)}: {var['name']}"
    readme = (K8S_DIR / "README.md").read_text(encoding="utf-8")
    for _, container in all_containers(prod):
        for var in container.get("env", []):
            secret_ref = var.get("valueFrom", {}).get("secretKeyRef")
            if secret_ref:
                assert secret_ref["name"] in readme, f"README does not mention {secret_ref}"
                assert secret_ref["key"] in readme, f"README does not mention {secret_ref}"


def test_the_worker_keys_reach_only_the_services_that_use_them(docs: list[Manifest]) -> None:
    """The worker-credential key: jobs and ingest verify, analysis mints; the capability key: jobs
    signs, ingest verifies, and analysis (which only passes capabilities on) never holds it."""
    holders: dict[str, set[str]] = {"ASSAY_WORKER_SECRET": set(), "ASSAY_JOB_CAPABILITY_SECRET": set()}
    for workload, container in all_containers(docs):
        for var in container.get("env", []):
            if var["name"] in holders:
                holders[var["name"]].add(workload_name(workload))
    assert holders == {"ASSAY_WORKER_SECRET": {"jobs", "ingest", "analysis"},
                       "ASSAY_JOB_CAPABILITY_SECRET": {"jobs", "ingest"}}


# -------------------------------------------------------------------------------------- labels


def test_every_object_carries_the_instance_part_of_and_managed_by_labels(
    docs: list[Manifest],
) -> None:
    for doc in docs:
        missing = [label for label in COMMON_LABELS if label not in labels(doc)]
        assert not missing, f"{ref(doc)} lacks {missing}"


def test_every_workload_and_pod_template_carries_the_recommended_labels(
    docs: list[Manifest],
) -> None:
    for workload in of_kind(docs, *WORKLOAD_KINDS):
        template_labels = workload["spec"]["template"]["metadata"]["labels"]
        for where, present in (("metadata", labels(workload)), ("template", template_labels)):
            missing = [label for label in RECOMMENDED_LABELS if not present.get(label)]
            assert not missing, f"{ref(workload)} {where} lacks {missing}"
        assert labels(workload)["app.kubernetes.io/name"] == template_labels["app.kubernetes.io/name"]


def test_the_version_label_is_the_version_of_the_image_it_runs(docs: list[Manifest]) -> None:
    for workload in of_kind(docs, *WORKLOAD_KINDS):
        version = labels(workload)["app.kubernetes.io/version"]
        template_version = workload["spec"]["template"]["metadata"]["labels"]
        assert template_version["app.kubernetes.io/version"] == version, ref(workload)
        tag = image_tag(containers_of(workload)[0]["image"]) or ""
        assert tag == version or tag.startswith(version + "-"), f"{ref(workload)}: {tag}"


def test_selectors_leave_out_the_version_label(docs: list[Manifest]) -> None:
    for workload in of_kind(docs, "Deployment", "StatefulSet"):
        assert "app.kubernetes.io/version" not in workload["spec"]["selector"]["matchLabels"]
    for service in of_kind(docs, "Service"):
        assert "app.kubernetes.io/version" not in service["spec"]["selector"]


# ----------------------------------------------------------------------------------- services


def test_every_service_selects_the_pods_of_a_workload_on_ports_they_expose(
    docs: list[Manifest],
) -> None:
    pods = [p for p in pods_of(docs)]
    for service in of_kind(docs, "Service"):
        selector = service["spec"].get("selector")
        assert selector, f"{ref(service)} has no selector"
        selected = [p for p in pods if selector.items() <= p.label_map.items()]
        assert selected, f"{ref(service)} selects no pods"
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for pod in selected:
                assert pod.has_port(target, port.get("protocol", "TCP")), (
                    f"{ref(service)} port {target} is not on {pod.name}"
                )


def test_every_workload_selector_matches_its_own_pod_template(docs: list[Manifest]) -> None:
    for workload in of_kind(docs, "Deployment", "StatefulSet"):
        template_labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selector_matches(workload["spec"]["selector"], template_labels), ref(workload)


def test_the_four_services_run_one_module_each_from_the_one_image(docs: list[Manifest]) -> None:
    commands = sorted(tuple(container["args"]) for d in app_deployments(docs) for container in containers_of(d))
    assert commands == [("assay.analysis",), ("assay.gateway",), ("assay.ingest",), ("assay.jobs",)]


def test_grpc_services_are_probed_natively_on_their_named_grpc_port(docs: list[Manifest]) -> None:
    for workload in app_deployments(docs):
        container = containers_of(workload)[0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports.get("metrics") == 9464, ref(workload)
        if workload_name(workload) == "gateway":
            assert ports.get("http") == 8080
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            continue
        assert "grpc" in ports, f"{ref(workload)} has no port named grpc"
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe in container:
                assert container[probe]["grpc"]["port"] == ports["grpc"], f"{ref(workload)} {probe}"
        assert env_value(container, "ASSAY_GRPC_PORT") == str(ports["grpc"]), ref(workload)


def test_termination_grace_covers_the_drain_and_not_much_more(docs: list[Manifest]) -> None:
    for workload in app_deployments(docs):
        container = containers_of(workload)[0]
        drain = int(env_value(container, "ASSAY_SHUTDOWN_GRACE_SECONDS") or 0)
        assert drain >= MIN_DRAIN_SECONDS[workload_name(workload)], ref(workload)
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {})
        command = pre_stop.get("command", [])
        pre_stop_seconds = int(command[1]) if command[:1] == ["sleep"] else 0
        grace = pod_spec(workload)["terminationGracePeriodSeconds"]
        assert drain + pre_stop_seconds < grace <= drain + pre_stop_seconds + 15, ref(workload)


def test_assay_containers_read_the_agreed_settings_from_a_config_map(docs: list[Manifest]) -> None:
    expected = {
        "ASSAY_NATS_URL": "nats://nats:4222",
        "ASSAY_S3_ENDPOINT": "minio:9000",
        "ASSAY_S3_BUCKET": "assay",
        "ASSAY_S3_SECURE": "false",
        "ASSAY_S3_REGION": "us-east-1",
        "ASSAY_JOBS_ADDR": "jobs:50051",
        "ASSAY_INGEST_ADDR": "ingest:50052",
        "ASSAY_ANALYSIS_ADDR": "analysis:50053",
        "ASSAY_METRICS_PORT": "9464",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4317",
    }
    config_maps = {c["metadata"]["name"]: c.get("data", {}) for c in of_kind(docs, "ConfigMap")}
    for workload, container in all_containers(docs):
        if not is_assay(container):
            continue
        sources = [s["configMapRef"]["name"] for s in container.get("envFrom", [])]
        assert len(sources) == 1 and sources[0] in config_maps, ref(workload)
        data = config_maps[sources[0]]
        assert {k: data.get(k) for k in expected} == expected, ref(workload)
        assert data.get("ASSAY_LOG_LEVEL") and data.get("OTEL_RESOURCE_ATTRIBUTES")
        assert env_value(container, "OTEL_SERVICE_NAME"), ref(workload)


# Settings an operator of many tenants sets (README.md, "Operating for many tenants"), with the
# settings classes of the processes that read them: the base ConfigMap lists each at the code's default.
TENANCY_SETTINGS = {
    "ASSAY_RETENTION_DAYS": ("jobs", "ingest"),
    "ASSAY_RETENTION_SWEEP_SECONDS": ("jobs", "ingest"),
    "ASSAY_WEBHOOK_LOG_RETENTION_SECONDS": ("jobs",),
    "ASSAY_RATE_LIMIT_TENANT": ("gateway", "jobs", "ingest", "analysis"),
    "ASSAY_RATE_LIMIT_TOKEN": ("gateway", "jobs", "ingest", "analysis"),
    "ASSAY_RATE_LIMIT_BURST_SECONDS": ("gateway", "jobs", "ingest", "analysis"),
    "ASSAY_QUOTA_JOBS_PER_DAY": ("jobs",),
    "ASSAY_QUOTA_MAX_QUEUED": ("jobs",),
    "ASSAY_QUOTA_BYTES_STORED": ("ingest",),
    "ASSAY_TENANT_WEIGHTS": ("jobs",),
    "ASSAY_TENANT_CONCURRENCY": ("jobs",),
    "ASSAY_WEBHOOK_ALLOW_TARGETS": ("jobs",),
}


def settings_class(service: str) -> Any:
    from assay.analysis.config import AnalysisSettings
    from assay.gateway.config import GatewaySettings
    from assay.ingest.config import IngestSettings
    from assay.jobs.config import JobsSettings

    return {"jobs": JobsSettings, "ingest": IngestSettings, "gateway": GatewaySettings,
            "analysis": AnalysisSettings}[service]


def test_tenancy_and_retention_settings_reach_their_services_at_the_code_defaults(docs: list[Manifest]) -> None:
    base = yaml.safe_load((K8S_DIR / "base" / "kustomization.yaml").read_text())
    literals = dict(literal.split("=", 1) for generator in base["configMapGenerator"]
                    if generator["name"] == "assay-config" for literal in generator["literals"])
    config_maps = {c["metadata"]["name"]: c.get("data", {}) for c in of_kind(docs, "ConfigMap")}
    for variable, services in TENANCY_SETTINGS.items():
        field = variable.removeprefix("ASSAY_").lower()
        for service in services:
            cls = settings_class(service)
            assert field in cls.model_fields, (variable, service)
            assert cls(**{field: literals[variable]}).model_dump()[field] == cls.model_fields[field].default, \
                (variable, service, literals[variable])
        for workload, container in all_containers(docs):
            if is_assay(container) and container.get("args", [""])[0].removeprefix("assay.") in services:
                sources = [s["configMapRef"]["name"] for s in container.get("envFrom", [])]
                assert any(variable in config_maps[name] for name in sources), (variable, ref(workload))


def test_the_configured_addresses_name_services_that_exist(docs: list[Manifest]) -> None:
    service_ports = {(s["metadata"]["name"], p["port"]) for s in of_kind(docs, "Service") for p in s["spec"]["ports"]}
    for config_map in of_kind(docs, "ConfigMap"):
        data = config_map.get("data", {})
        for key in ("ASSAY_JOBS_ADDR", "ASSAY_INGEST_ADDR", "ASSAY_ANALYSIS_ADDR", "ASSAY_S3_ENDPOINT"):
            if key in data:
                host, port = data[key].rsplit(":", 1)
                assert (host, int(port)) in service_ports, f"{key}={data[key]}"
        for key in ("ASSAY_NATS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            if key in data:
                host, port = data[key].split("://", 1)[1].rsplit(":", 1)
                assert (host, int(port)) in service_ports, f"{key}={data[key]}"


def test_setup_jobs_migrate_and_provision_with_bounded_retries_and_cleanup(
    docs: list[Manifest],
) -> None:
    jobs = of_kind(docs, "Job")
    commands = sorted(tuple(containers_of(job)[0]["args"]) for job in jobs)
    assert commands == [
        ("assay.analysis", "migrate"),
        ("assay.ingest", "migrate"),
        ("assay.ingest", "provision"),
        ("assay.jobs", "migrate"),
        ("assay.jobs", "provision"),
    ]
    for job in jobs:
        assert 0 < job["spec"]["backoffLimit"] <= 10, ref(job)
        assert job["spec"]["ttlSecondsAfterFinished"] > 0, ref(job)
        assert job["spec"]["activeDeadlineSeconds"] > 0, ref(job)
        assert pod_spec(job)["restartPolicy"] in ("Never", "OnFailure"), ref(job)


# ------------------------------------------------------------------------------------- network


def test_network_policies_start_from_default_deny_in_both_directions(docs: list[Manifest]) -> None:
    deny_all = [
        p
        for p in of_kind(docs, "NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and set(policy_types(p)) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert len(deny_all) == 1


def test_every_port_a_network_policy_names_exists_on_a_pod_it_applies_to(
    docs: list[Manifest],
) -> None:
    pods = pods_of(docs)
    for policy in of_kind(docs, "NetworkPolicy"):
        selected = [p for p in pods if selector_matches(policy["spec"]["podSelector"], p.label_map)]
        assert selected, f"{ref(policy)} applies to no pod"
        for rule in policy["spec"].get("ingress") or []:
            for port, pod in itertools.product(rule.get("ports") or [], selected):
                assert pod.has_port(port["port"], port.get("protocol", "TCP")), (
                    f"{ref(policy)}: {pod.name} has no port {port['port']}"
                )
        for rule in policy["spec"].get("egress") or []:
            for peer in rule.get("to") or []:
                if is_external(peer, pods):
                    continue
                targets = [p for p in pods if selector_matches(peer["podSelector"], p.label_map)]
                for port, pod in itertools.product(rule.get("ports") or [], targets):
                    assert pod.has_port(port["port"], port.get("protocol", "TCP")), (
                        f"{ref(policy)}: {pod.name} has no port {port['port']}"
                    )


def test_every_policy_selector_that_names_assay_pods_matches_rendered_pods(
    docs: list[Manifest],
) -> None:
    # A typo in a name would otherwise read as "some pod we do not render" and allow nothing.
    names = {pod.name for pod in pods_of(docs)}
    for policy in of_kind(docs, "NetworkPolicy"):
        spec = policy["spec"]
        selectors = [spec["podSelector"]]
        for rule in [*(spec.get("ingress") or []), *(spec.get("egress") or [])]:
            for peer in [*(rule.get("from") or []), *(rule.get("to") or [])]:
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    selectors.append(peer["podSelector"])
        for selector in selectors:
            named_pods = set()
            if "app.kubernetes.io/name" in (selector.get("matchLabels") or {}):
                named_pods.add(selector["matchLabels"]["app.kubernetes.io/name"])
            for expression in selector.get("matchExpressions") or []:
                if expression["key"] == "app.kubernetes.io/name":
                    named_pods.update(expression["values"])
            assert named_pods <= names, f"{ref(policy)} names {named_pods - names}"


def test_network_policies_allow_exactly_the_documented_flows_between_pods(docs: list[Manifest], overlay: str) -> None:
    expected = FLOWS | (IN_CLUSTER_POSTGRES_FLOWS if overlay == "dev" else set())
    actual = internal_flows(docs)
    assert actual - expected == set(), "allowed but not documented"
    assert expected - actual == set(), "documented but not allowed"


def test_network_policies_open_to_the_outside_only_dns_scrapes_the_gateway_the_database_and_webhooks(
    docs: list[Manifest], overlay: str
) -> None:
    expected = {("anywhere", "gateway", "8080/TCP")}
    expected |= {("jobs", f"ipBlock({cidr})", port)
                 for cidr in ("0.0.0.0/0", "::/0") for port in ("80/TCP", "443/TCP", "1024/TCP")}
    expected |= {(peer, app, "9464/TCP") for peer in MONITORING_PEERS for app in APP_SERVICES}
    expected |= {(pod.name, DNS_PEER, f"53/{protocol}") for pod in pods_of(docs) for protocol in ("UDP", "TCP")}
    if overlay == "prod":
        expected |= {(client, PROD_DATABASE_PEER, "5432/TCP") for client in DATABASE_CLIENTS}
    assert external_flows(docs) == expected


# ------------------------------------------------------------------------------------ overlays


def test_dev_runs_one_replica_of_everything_with_an_in_cluster_postgres(
    dev: list[Manifest],
) -> None:
    for workload in of_kind(dev, "Deployment", "StatefulSet"):
        assert workload["spec"].get("replicas", 1) == 1, ref(workload)
    assert of_kind(dev, "HorizontalPodAutoscaler") == []
    named(dev, "StatefulSet", "postgres")


def test_dev_gives_containers_less_than_prod(dev: list[Manifest], prod: list[Manifest]) -> None:
    def memory_limits(docs: list[Manifest]) -> dict[str, str]:
        return {workload_name(d): containers_of(d)[0]["resources"]["limits"]["memory"] for d in app_deployments(docs)}

    def mebibytes(quantity: str) -> float:
        units = {"Mi": 1.0, "Gi": 1024.0}
        return float(quantity[:-2]) * units[quantity[-2:]]

    dev_limits, prod_limits = memory_limits(dev), memory_limits(prod)
    for name in APP_SERVICES:
        assert mebibytes(dev_limits[name]) < mebibytes(prod_limits[name]), name


def test_prod_has_a_disruption_budget_for_every_app_deployment(prod: list[Manifest]) -> None:
    budgets = of_kind(prod, "PodDisruptionBudget")
    for deployment in app_deployments(prod):
        template_labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [b for b in budgets if selector_matches(b["spec"]["selector"], template_labels)]
        assert len(covering) == 1, ref(deployment)
        assert "maxUnavailable" in covering[0]["spec"] or "minAvailable" in covering[0]["spec"]


def test_prod_autoscales_the_analysis_workers_and_the_gateway(prod: list[Manifest]) -> None:
    autoscalers = {hpa["spec"]["scaleTargetRef"]["name"]: hpa for hpa in of_kind(prod, "HorizontalPodAutoscaler")}
    assert set(autoscalers) == {"analysis", "gateway"}
    for name, hpa in autoscalers.items():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"], name
        deployment = named(prod, "Deployment", name)
        # A replica count in the manifest would reset the autoscaler's on every apply.
        assert "replicas" not in deployment["spec"], name


def test_prod_runs_several_replicas_of_each_service_spread_over_nodes(
    prod: list[Manifest],
) -> None:
    autoscaled = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(prod, "HorizontalPodAutoscaler")}
    for deployment in app_deployments(prod):
        name = workload_name(deployment)
        assert name in autoscaled or deployment["spec"]["replicas"] >= 2, name
        anti_affinity = pod_spec(deployment)["affinity"]["podAntiAffinity"]
        terms = [
            t["podAffinityTerm"] for t in anti_affinity.get("preferredDuringSchedulingIgnoredDuringExecution", [])
        ] + anti_affinity.get("requiredDuringSchedulingIgnoredDuringExecution", [])
        template_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(
            t["topologyKey"] == "kubernetes.io/hostname" and selector_matches(t["labelSelector"], template_labels)
            for t in terms
        ), name


def test_prod_runs_a_three_server_nats_cluster_with_replicated_streams(
    prod: list[Manifest],
) -> None:
    nats = named(prod, "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    assert nats["spec"]["volumeClaimTemplates"]
    config = next(c["data"]["nats.conf"] for c in of_kind(prod, "ConfigMap") if "nats.conf" in c.get("data", {}))
    routes = re.findall(r"nats://nats-(\d)\.nats-headless:6222", config)
    assert sorted(routes) == ["0", "1", "2"]
    settings = [c["data"] for c in of_kind(prod, "ConfigMap") if "ASSAY_NATS_URL" in c.get("data", {})]
    assert [s["ASSAY_NATS_STREAM_REPLICAS"] for s in settings] == ["3"]


def test_prod_uses_an_external_database_instead_of_the_in_cluster_postgres(
    prod: list[Manifest],
) -> None:
    assert not [d for d in prod if d["metadata"]["name"] == "postgres"]
    assert not any(env.get("name") == "POSTGRES_PASSWORD" for _, c in all_containers(prod) for env in c.get("env", []))


def test_grpc_reflection_is_off_in_prod_and_left_on_in_dev(dev: list[Manifest], prod: list[Manifest]) -> None:
    def reflection_settings(docs: list[Manifest]) -> set[str | None]:
        config_maps = {c["metadata"]["name"]: c.get("data", {}) for c in of_kind(docs, "ConfigMap")}
        found: set[str | None] = set()
        for _, container in all_containers(docs):
            if is_assay(container):
                (source,) = [s["configMapRef"]["name"] for s in container.get("envFrom", [])]
                found.add(env_value(container, "ASSAY_GRPC_REFLECTION") or
                          config_maps[source].get("ASSAY_GRPC_REFLECTION"))
        return found

    assert reflection_settings(prod) == {"false"}
    assert reflection_settings(dev) == {None}


def test_the_gateway_states_its_serving_processes_at_the_code_default(docs: list[Manifest]) -> None:
    from assay.gateway.config import GatewaySettings

    defaults = GatewaySettings()
    gateways = [(w, c) for w, c in all_containers(docs) if workload_name(w) == "gateway" and is_assay(c)]
    assert gateways
    for workload, container in gateways:
        assert env_value(container, "ASSAY_GATEWAY_PROCESSES") == str(defaults.gateway_processes), ref(workload)
