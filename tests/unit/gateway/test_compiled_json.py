"""The gateway's compiled to_json renders every message of the API exactly as assay.common.proto_json does."""

from __future__ import annotations

import importlib
import json
import pkgutil
import random
from collections.abc import Iterator

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

import assay.v1
from assay.common import proto_json
from assay.gateway import compiled_json
from assay.gateway.json import render
from assay.v1 import bank_statement_pb2, job_pb2

INT64_EDGES = [0, 1, -1, 2**53 - 1, 2**53, -(2**53), 2**62, -(2**63)]
FLOAT_EDGES = [0.0, -0.0, 0.1, 1e300, float("nan"), float("inf"), float("-inf"), 3.4028234663852886e38]


def message_types() -> Iterator[type[Message]]:
    for module in pkgutil.iter_modules(assay.v1.__path__):
        if module.name.endswith("_pb2"):
            found = importlib.import_module(f"assay.v1.{module.name}")
            for descriptor in found.DESCRIPTOR.message_types_by_name.values():
                yield getattr(found, descriptor.name)


def fill(message: Message, rng: random.Random, depth: int = 0) -> None:
    """Set a random choice of ``message``'s fields (all kinds, recursively, bounded depth)."""
    descriptor: Descriptor = message.DESCRIPTOR
    if descriptor.full_name == "google.protobuf.Timestamp":
        message.FromSeconds(rng.randrange(0, 4_000_000_000))  # type: ignore[attr-defined]
        return
    if descriptor.full_name == "google.protobuf.Duration":
        message.FromNanoseconds(rng.randrange(0, 10**12))  # type: ignore[attr-defined]
        return
    if descriptor.full_name == "google.protobuf.Struct":
        message.update({"a": 1.5, "b": [True, None, "x"], "c": {"d": "é"}})  # type: ignore[attr-defined]
        return
    if descriptor.full_name.startswith("google.protobuf."):
        return
    for field in descriptor.fields:
        if rng.random() < 0.35:
            continue
        container = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            entry = field.message_type.fields_by_name
            key_field, value_field = entry["key"], entry["value"]
            for _ in range(rng.randrange(0, 3)):
                key = scalar(key_field, rng)
                if value_field.message_type is not None:
                    if depth < 4:
                        fill(container[key], rng, depth + 1)
                else:
                    container[key] = scalar(value_field, rng)
        elif field.is_repeated:
            for _ in range(rng.randrange(0, 3)):
                if field.message_type is not None:
                    if depth < 4:
                        fill(container.add(), rng, depth + 1)
                else:
                    container.append(scalar(field, rng))
        elif field.message_type is not None:
            if depth < 4:
                container.SetInParent()
                fill(container, rng, depth + 1)
        else:
            setattr(message, field.name, scalar(field, rng))


def scalar(field: FieldDescriptor, rng: random.Random) -> object:
    kind = field.cpp_type
    if kind == FieldDescriptor.CPPTYPE_ENUM:
        numbers = [value.number for value in field.enum_type.values]  # type: ignore[union-attr]
        return rng.choice([*numbers, max(numbers) + 7])  # an unknown number too (open enums)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return rng.randbytes(rng.randrange(0, 9))
    if kind == FieldDescriptor.CPPTYPE_STRING:
        return rng.choice(["", "x", "déjà vu", "quote\"and\\slash", "\u2028"])
    if kind == FieldDescriptor.CPPTYPE_BOOL:
        return rng.random() < 0.5
    if kind == FieldDescriptor.CPPTYPE_INT64:
        return rng.choice([*INT64_EDGES, rng.randrange(-(2**63), 2**63)])
    if kind == FieldDescriptor.CPPTYPE_UINT64:
        return rng.choice([0, 1, 2**53 - 1, 2**53, 2**64 - 1])
    if kind == FieldDescriptor.CPPTYPE_INT32:
        return rng.choice([0, -1, 2**31 - 1, -(2**31)])
    if kind == FieldDescriptor.CPPTYPE_UINT32:
        return rng.choice([0, 1, 2**32 - 1])
    if kind == FieldDescriptor.CPPTYPE_FLOAT:
        return rng.choice([0.0, 0.1, -2.5, 1e30, float("nan"), float("inf"), 0.3333333])
    return rng.choice([*FLOAT_EDGES, rng.random()])


@pytest.mark.parametrize("seed", range(6))
def test_every_message_of_the_api_renders_as_to_json_does(seed: int) -> None:
    rng = random.Random(seed)
    checked = 0
    for kind in message_types():
        for _ in range(4):
            message = kind()
            fill(message, rng)
            expected = proto_json.to_json(message)
            found = compiled_json.to_json(message)
            assert found == expected, kind.DESCRIPTOR.full_name
            assert _dumps(found) == _dumps(expected), "the same keys in the same order, the same values"
            checked += 1
    assert checked > 400



def test_a_job_renders_byte_for_byte_and_its_password_stays_masked() -> None:
    job = job_pb2.Job(id="j", tenant_id="t", state=job_pb2.Job.STATE_RUNNING, event_sequence=2**60)
    job.params.bank_statement.CopyFrom(bank_statement_pb2.BankStatementParams(password="secret"))
    job.create_time.FromSeconds(1_700_000_000)
    rendered = render(compiled_json.to_json(job))
    assert rendered == render(proto_json.to_json(job))
    assert b"secret" not in rendered and b'"password":"***"' in rendered
    assert b'"event_sequence":"1152921504606846976"' in rendered  # beyond 2^53: a decimal string


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
