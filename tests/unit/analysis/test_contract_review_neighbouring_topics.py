"""Neighbouring topics that name a requirement's words without meeting it: a bar on disclosing
the data to third parties is no engagement of sub-processors; the public reading published
source code is no audit by the controller. Texts written for these tests (the EU DPA fixture
with clauses rewritten)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, below_the_veto, edited_findings

POSITIVE = {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}
NO_SUBPROCESSORS = {"6.1": "", "6.2": "", "6.3": "", "6.4": ""}


def test_a_bar_on_disclosure_to_third_parties_is_not_the_sub_processor_terms(tmp_path: Path) -> None:
    bar = (
        "6.1 The Processor shall not disclose or permit the disclosure of the Personal Data to any third party "
        "without the Controller's prior written approval."
    )
    for finding in edited_findings(tmp_path, {**NO_SUBPROCESSORS, "6.1": bar}, "art28-2-4-subprocessors"):
        assert finding.status not in POSITIVE, finding


@below_the_veto  # the head reads the disclosure bar as the instructions term, the engagement below its veto
def test_engaging_a_sub_processor_with_written_approval_still_is(tmp_path: Path) -> None:
    engage = (
        "6.1 The Processor shall not disclose Personal Data to any third party or engage another processor "
        "without the Controller's prior written authorisation."
    )
    for finding in edited_findings(tmp_path, {**NO_SUBPROCESSORS, "6.1": engage}, "art28-2-4-subprocessors"):
        assert finding.status in POSITIVE, finding


@pytest.mark.parametrize(
    "public",
    [
        "10.2 The source code of the software shall be available under an open licence so that the public can "
        "collaboratively inspect it and address security shortcomings.",
        "10.2 The Processor's software is open source, allowing anyone to audit its code and understand how the "
        "Personal Data is processed.",
    ],
)
def test_the_public_inspecting_source_code_is_not_the_controllers_audit(tmp_path: Path, public: str) -> None:
    for finding in edited_findings(tmp_path, {"10.2": public}, "art28-3h-information-audits"):
        assert "audits" in finding.missing_elements and "inspections" in finding.missing_elements, finding


def test_an_auditor_the_controller_mandates_is_still_its_audit(tmp_path: Path) -> None:
    mandated = "10.2 The Processor shall allow audits and inspections by the Controller or anyone it mandates."
    for finding in edited_findings(tmp_path, {"10.2": mandated}, "art28-3h-information-audits"):
        assert finding.status == STATUS.STATUS_PRESENT, finding
