"""File ids named in requests: one, or a batch of them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from assay.common.errors import invalid_field
from assay.common.fields import parse_uuid

MAX_BATCH = 100
"""Most file ids one BatchGetFiles / ResolveInputs call may name."""


def parse_file_ids(raw: Sequence[str], field: str = "ids") -> list[uuid.UUID]:
    """1 to ``MAX_BATCH`` file ids, or INVALID_ARGUMENT naming ``field`` or ``field[index]``."""
    if not raw:
        raise invalid_field(field, "name at least one file")
    if len(raw) > MAX_BATCH:
        raise invalid_field(field, f"at most {MAX_BATCH} ids per call")
    return [parse_uuid(value, f"{field}[{index}]") for index, value in enumerate(raw)]
