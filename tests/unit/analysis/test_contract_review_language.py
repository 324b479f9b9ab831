"""A document in a language the playbooks cannot read is NOT_ASSESSED, never MISSING everywhere.

The German text here was written for this test (a short processor agreement).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, context, fixture_text, lexical_analyzer, params
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from assay.analysis.analyzers.contract_review import analyzer
from assay.analysis.analyzers.contract_review.language import UNDETERMINED, identify

GERMAN_DPA = (
    "Vereinbarung zur Auftragsverarbeitung gemäß Art. 28 DSGVO\n\n"
    "1. Gegenstand und Dauer\n"
    "1.1 Der Auftragnehmer verarbeitet personenbezogene Daten im Auftrag des Auftraggebers "
    "für die Dauer des Hauptvertrags.\n\n"
    "2. Weisungen\n"
    "2.1 Der Auftragnehmer verarbeitet die personenbezogenen Daten ausschließlich auf dokumentierte "
    "Weisung des Auftraggebers.\n"
    "2.2 Der Auftragnehmer informiert den Auftraggeber unverzüglich, wenn eine Weisung nach seiner "
    "Auffassung gegen Datenschutzvorschriften verstößt.\n\n"
    "3. Vertraulichkeit und Sicherheit\n"
    "3.1 Der Auftragnehmer gewährleistet, dass sich die zur Verarbeitung befugten Personen zur "
    "Vertraulichkeit verpflichtet haben.\n"
    "3.2 Der Auftragnehmer trifft alle gemäß Art. 32 DSGVO erforderlichen technischen und "
    "organisatorischen Maßnahmen.\n\n"
    "4. Löschung\n"
    "4.1 Nach Abschluss der Erbringung der Verarbeitungsleistungen löscht der Auftragnehmer sämtliche "
    "personenbezogenen Daten oder gibt sie nach Wahl des Auftraggebers zurück.\n"
)


def test_a_german_dpa_is_not_assessed_and_says_so(tmp_path: Path) -> None:
    result = lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=GERMAN_DPA)).contract_review
    assert result.language == "de" and result.language_unsupported
    assert {f.status for f in result.requirements} == {STATUS.STATUS_NOT_ASSESSED}
    assert all("Not assessed: the document is in 'de'" in f.explanation for f in result.requirements)
    assert not result.risks and result.issues_detected == 0
    assert "none of its 12 requirements was assessed (NOT_ASSESSED, not MISSING)" in result.summary


def test_an_english_dpa_is_assessed(tmp_path: Path) -> None:
    text = fixture_text("eu_dpa.txt")
    result = lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=text)).contract_review
    assert result.language == "en" and not result.language_unsupported
    assert STATUS.STATUS_NOT_ASSESSED not in {f.status for f in result.requirements}


def test_an_english_dpa_with_a_german_annex_is_english() -> None:
    english = [p for p in fixture_text("eu_dpa.txt").split("\n") if p.strip()]
    german = [p for p in GERMAN_DPA.split("\n") if p.strip()]
    assert identify(english + german[:4]).code == "en"


def test_too_little_prose_is_undetermined_and_assessed() -> None:
    language = identify(["Annex 1", "Schedule B", "Name: ____", "Signature"])
    assert language.code == UNDETERMINED and language.supported


def test_the_language_is_a_span_attribute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(analyzer, "_tracer", provider.get_tracer("test"))
    lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=GERMAN_DPA))
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "contract_review.language"]
    assert span.attributes is not None
    assert span.attributes["assay.contract_review.language"] == "de"
    assert span.attributes["assay.contract_review.language_unsupported"] is True
