"""Requirements present but not found, by class (analyzer 1.10.0: recall).

(G) Data-subject assistance worded by the rights the requests exercise, with no data subject named:
"assist the Customer in responding to requests for access, correction, deletion or portability of
personal data". Two or more of the data subject's rights listed make the requests theirs; one word
alone ("requests for access to the systems") does not. The sentences were written for these tests;
none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import assert_found_and_quoted, assert_not_quoted, eu_primary

RIGHTS = "art28-3e-data-subject-rights"

FOUND = {
    "requests for access, correction, deletion or portability": {
        "7.1": "7.1 The Processor will reasonably assist the Controller in responding to lawful requests for access, "
        "correction, deletion, restriction or portability of Personal Data, as the law requires."
    },
    "access and erasure requests": {
        "7.1": "7.1 The Processor shall help the Controller answer access and erasure requests within the "
        "periods that apply to them."
    },
    "access, deletion, opt-out and other valid requests": {
        "7.1": "7.1 The Processor will provide reasonable assistance for the Controller to respond to access, "
        "correction, deletion, opt-out, and other valid requests."
    },
    "requests to access, rectify or erase": {
        "7.1": "7.1 The Processor shall support the Controller in dealing with requests to access, rectify or erase "
        "Personal Data held on the platform."
    },
}


@pytest.mark.parametrize("case", sorted(FOUND))
def test_requests_named_by_the_rights_they_exercise_are_data_subject_requests(tmp_path: Path, case: str) -> None:
    assert_found_and_quoted(tmp_path, FOUND[case], RIGHTS)


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("assist the Customer in responding to requests for access, correction or deletion of personal data", True),
        ("help with rectification and erasure requests", True),
        ("requests to restrict or object to the processing", True),
        # an opt-out among the rights, and "and other valid requests" after them (playbooks 1.13.0)
        ("respond to access, correction, deletion, portability, opt-out, and other valid requests", True),
        # one right alone, or a request of the controller's for its own access, names no data subject
        ("assist the Customer with requests for access to the hosting systems", False),
        ("support the Customer's request for deletion of the account", False),
        ("respond to requests for a quote or for technical support", False),
    ],
)
def test_two_rights_listed_name_the_data_subject(sentence: str, named: bool) -> None:
    who = eu_primary(RIGHTS).operative[0]
    assert (who.search(sentence) is not None) is named


def test_one_right_alone_is_no_data_subject_request(tmp_path: Path) -> None:
    changes = {
        "7.1": "7.1 The Processor shall assist the Controller with requests for access to the hosting "
        "systems that the Controller's auditors make."
    }
    assert_not_quoted(tmp_path, changes, RIGHTS)
