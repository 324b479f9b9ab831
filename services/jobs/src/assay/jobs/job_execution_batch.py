"""The batch calls of JobExecutionService (StartJobs, CompleteJobs): each item is admitted, decided
and answered as its single call would be, and a refused item does not fail the others."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from assay.common.errors import AssayError, invalid_field
from assay.v1 import job_execution_service_pb2 as pb

MAX_ITEMS = 256
"""Most items in one batch call (a worker's batch is its free slots, far fewer)."""

Request = TypeVar("Request")
Admitted = TypeVar("Admitted")
Outcome = TypeVar("Outcome")
Response = TypeVar("Response")


def item_error(error: AssayError) -> pb.JobItemError:
    """The single call's error status, as one item's answer."""
    return pb.JobItemError(code=error.code.value[0], reason=error.reason, message=error.message,
                           metadata=error.metadata)


async def answer_batch(
    requests: Sequence[Request],
    admit: Callable[[Request], Admitted],
    decide: Callable[[list[Admitted]], Awaitable[Sequence[Outcome | Exception]]],
    respond: Callable[[Outcome, Admitted], Response],
) -> list[Response | pb.JobItemError]:
    """Each request's answer, in order: ``admit`` refuses (or admits) it alone; the admitted ones are
    decided together by ``decide`` (one answer each) and answered by ``respond``. A refusal
    (``AssayError``) is that item's error; any other exception fails the call."""
    if len(requests) > MAX_ITEMS:
        raise invalid_field("items", f"at most {MAX_ITEMS} items per call (got {len(requests)})")
    answers: list[Response | pb.JobItemError | None] = [None] * len(requests)
    admitted: list[tuple[int, Admitted]] = []
    for index, request in enumerate(requests):
        try:
            admitted.append((index, admit(request)))
        except AssayError as refusal:
            answers[index] = item_error(refusal)
    outcomes = await decide([item for _, item in admitted]) if admitted else []
    for (index, item), outcome in zip(admitted, outcomes, strict=True):
        if isinstance(outcome, AssayError):
            answers[index] = item_error(outcome)
        elif isinstance(outcome, Exception):
            raise outcome
        else:
            answers[index] = respond(outcome, item)
    return [answer for answer in answers if answer is not None]
