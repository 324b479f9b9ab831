"""The nesting check that runs before the JSON parser: structural brackets only, in linear time."""

from __future__ import annotations

import time

import pytest

from assay.gateway.json_body import MAX_DEPTH, parse, too_deep
from assay.gateway.problems import Problem


@pytest.mark.parametrize(("raw", "deep"), [
    (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, False),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), True),
    (b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), True),
    (b"[]" * 10 * MAX_DEPTH, False),
    (b'["' + b"[" * 1000 + b'"]', False),
    (b'["\\"' + b"{" * 1000 + b'", 1]', False),
    (b'["\\\\", ' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"]", True),
], ids=["at-the-limit", "one-past", "objects", "wide-not-deep", "brackets-in-a-string",
        "escaped-quote-in-a-string", "escaped-backslash-ends-the-string"])
def test_only_structural_brackets_count(raw: bytes, deep: bool) -> None:
    assert too_deep(raw) is deep


@pytest.mark.parametrize("raw", [b'"' + b'\\"' * 1_000_000, b'"' * 2_000_001, b"[]" * 1_000_000],
                         ids=["unterminated-escaped-quotes", "quotes", "brackets"])
def test_hostile_two_megabyte_bodies_are_checked_in_linear_time(raw: bytes) -> None:
    # CPU time of this process, not wall time: on a busy machine the wall clock also counts the
    # waits for a core (0.13 CPU-s read as 0.47 s at load 12). A quadratic scan of 2 MB would take
    # hours of CPU; the linear one takes ~0.13 s.
    started = time.process_time()
    too_deep(raw)
    assert time.process_time() - started < 2.0


def test_parse_refuses_deep_nesting_with_a_400_naming_the_field_without_recursing() -> None:
    with pytest.raises(Problem) as refused:
        parse(b"[" * 100_000 + b"]" * 100_000, field="params")
    assert refused.value.status == 400 and [v.field for v in refused.value.violations] == ["params"]
    assert parse(b'{"a": [1, {"b": "[[["}]}') == {"a": [1, {"b": "[[["}]}
