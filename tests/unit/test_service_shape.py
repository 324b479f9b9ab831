"""Services are shaped alike: each proto service has a module named after it, and every server.py
starts the same way (settings, then keyword-only overrides) and returns something with port and stop."""

from __future__ import annotations

import importlib
import inspect
import re
import typing

import pytest

from assay.v1 import (
    analysis_service_pb2,
    ingest_service_pb2,
    job_execution_service_pb2,
    jobs_service_pb2,
    webhooks_service_pb2,
    worker_file_service_pb2,
)

OWNER = {"JobService": "jobs", "JobExecutionService": "jobs", "IngestService": "ingest",
         "WorkerFileService": "ingest", "AnalysisService": "analysis", "WebhookService": "jobs"}
"""Which service package implements each proto service."""

PROTO_SERVICES = [
    (module, service.name)
    for module in (jobs_service_pb2, job_execution_service_pb2, ingest_service_pb2, worker_file_service_pb2,
                   analysis_service_pb2, webhooks_service_pb2)
    for service in module.DESCRIPTOR.services_by_name.values()
]


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize(("proto", "service"), PROTO_SERVICES, ids=[name for _, name in PROTO_SERVICES])
def test_each_proto_service_is_implemented_in_the_module_named_after_it(proto: object, service: str) -> None:
    module = importlib.import_module(f"assay.{OWNER[service]}.{snake(service)}")
    grpc_module = importlib.import_module(f"{proto.__name__}_grpc")  # type: ignore[attr-defined]
    base = getattr(grpc_module, f"{service}Servicer")
    implementations = [obj for obj in vars(module).values()
                       if inspect.isclass(obj) and issubclass(obj, base) and obj is not base]
    assert implementations, f"{module.__name__} implements no {service}"
    for method in proto.DESCRIPTOR.services_by_name[service].methods_by_name:  # type: ignore[attr-defined]
        assert method in vars(implementations[0]), f"{service}.{method} is not in {module.__name__}"


@pytest.mark.parametrize("service", ["jobs", "ingest", "analysis"])
def test_every_server_starts_from_settings_with_keyword_only_overrides(service: str) -> None:
    start = importlib.import_module(f"assay.{service}.server").start
    parameters = list(inspect.signature(start).parameters.values())
    assert inspect.iscoroutinefunction(start)
    assert [p.name for p in parameters[:1]] == ["settings"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty
               for p in parameters[1:])
    returned = typing.get_type_hints(start)["return"]
    assert isinstance(getattr(returned, "port", None), property) or typing.get_type_hints(returned)["port"] is int
    assert inspect.iscoroutinefunction(returned.stop)
    assert inspect.signature(returned.stop).parameters["grace"].default is None


@pytest.mark.parametrize("service", ["jobs", "ingest"])
def test_migrations_live_in_the_service_migrations_package(service: str) -> None:
    migrations = importlib.import_module(f"assay.{service}.migrations")
    assert (migrations.SCRIPT_LOCATION / "env.py").is_file()
    assert service == migrations.SCHEMA
    assert callable(migrations.upgrade)
