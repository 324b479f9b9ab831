"""UploadRejected: one shape for every rejection, mapped to the right gRPC code."""

from __future__ import annotations

import pickle
import re

import pytest

from assay.ingest.validation import Reason, UploadRejected


def test_every_reason_code_is_upper_snake_and_spelled_as_its_name() -> None:
    for reason in Reason:
        assert reason.value == reason.name
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*", reason.value)


@pytest.mark.parametrize("reason", [Reason.FILE_TOO_LARGE, Reason.ZIP_TOO_LARGE])
def test_size_caps_are_resource_exhausted(reason: Reason) -> None:
    assert UploadRejected(reason, "chunk", "too big").resource_exhausted


@pytest.mark.parametrize(
    "reason", [r for r in Reason if r not in (Reason.FILE_TOO_LARGE, Reason.ZIP_TOO_LARGE)]
)
def test_every_other_rejection_is_an_invalid_argument(reason: Reason) -> None:
    assert not UploadRejected(reason, "chunk", "bad").resource_exhausted


def test_a_rejection_carries_reason_field_and_message_and_compares_as_a_plain_code() -> None:
    exc = UploadRejected(Reason.SHA256_MISMATCH, "header.sha256", "content sha256 differs")
    assert exc.reason == "SHA256_MISMATCH"
    assert exc.field == "header.sha256"
    assert exc.message == "content sha256 differs"
    assert str(exc) == "SHA256_MISMATCH: header.sha256: content sha256 differs"


def test_a_rejection_survives_pickling_for_process_pools() -> None:
    exc = pickle.loads(pickle.dumps(UploadRejected(Reason.FILE_EMPTY, "chunk", "no content")))
    assert (exc.reason, exc.field, exc.message) == (Reason.FILE_EMPTY, "chunk", "no content")
