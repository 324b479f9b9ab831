"""Each analyzer's spec is one object: declared in assay.common, used by the plugin, served with a
params JSON Schema that accepts exactly what the API parses and the spec checks let through."""

from __future__ import annotations

import jsonschema
import pytest
from google.protobuf import json_format

from assay.analysis.analysis_service import describe
from assay.analysis.registry import BUILTIN_ANALYZERS, Registry, load_ref
from assay.common.analyzers import ANALYZER_NAMES, CONTRACT_REVIEW, SENTIMENT, SPECS, AnalyzerSpec
from assay.common.json_schema import params_schema
from assay.common.spec_checks import file_violations, params_violations, text_violations
from assay.v1 import contract_review_pb2, job_pb2


def test_every_analyzer_the_api_names_has_one_spec_and_the_plugin_uses_that_very_object() -> None:
    assert set(SPECS) == set(ANALYZER_NAMES), "declare a spec in assay.common.analyzers.SPECS for each analyzer"
    for ref in BUILTIN_ANALYZERS:
        plugin = load_ref(ref)
        assert plugin.spec is SPECS[plugin.spec.name], f"{ref}: set spec = SPECS[{plugin.spec.name!r}]"


def test_a_required_param_that_is_not_a_field_of_the_params_message_is_refused_at_import() -> None:
    with pytest.raises(ValueError, match="jurisdictoin"):
        AnalyzerSpec(name="contract_review", version="1", description="typo", required_params=("jurisdictoin",))


def test_every_missing_required_param_is_reported_at_once_with_its_choices() -> None:
    violations = params_violations(CONTRACT_REVIEW, job_pb2.JobParams())
    assert [v.field for v in violations] == [
        "params.contract_review.contract_type", "params.contract_review.jurisdiction"]
    assert "CONTRACT_TYPE_VENDOR_DPA" in violations[0].description
    assert "UNSPECIFIED" not in violations[0].description


def test_an_enum_number_the_contract_does_not_define_is_refused() -> None:
    params = job_pb2.JobParams(contract_review=contract_review_pb2.ContractReviewParams(
        contract_type=contract_review_pb2.CONTRACT_TYPE_MSA, jurisdiction=99))  # type: ignore[arg-type]
    assert [v.field for v in params_violations(CONTRACT_REVIEW, params)] == ["params.contract_review.jurisdiction"]


def test_text_and_file_checks_follow_the_spec() -> None:
    assert text_violations(SENTIMENT, "x" * SENTIMENT.max_text_chars) == []
    assert [v.field for v in text_violations(SENTIMENT, "x" * (SENTIMENT.max_text_chars + 1))] == ["inputs.text"]
    assert file_violations(SENTIMENT, "text/csv; charset=utf-8", 10, "f") == []
    wrong_type = file_violations(SENTIMENT, "application/pdf", 10, "f")
    assert len(wrong_type) == 1 and "application/pdf" in wrong_type[0].description
    too_big = file_violations(SENTIMENT, "text/csv", SENTIMENT.max_input_bytes + 1, "f")
    assert len(too_big) == 1 and str(SENTIMENT.max_input_bytes) in too_big[0].description


def test_markdown_is_read_wherever_plain_text_is_and_html_only_where_named() -> None:
    reads_text = [spec for spec in SPECS.values() if "text/plain" in spec.accepted_media_types]
    assert reads_text
    for spec in reads_text:
        assert file_violations(spec, "text/markdown; charset=utf-8", 10, "f") == [], spec.name
    assert file_violations(CONTRACT_REVIEW, "text/html", 10, "f") == []
    refused = file_violations(SENTIMENT, "text/html", 10, "f")
    assert len(refused) == 1 and "text/html" in refused[0].description


def test_the_contract_review_params_schema_lists_fields_in_order_enums_by_name_and_what_is_required() -> None:
    descriptor = contract_review_pb2.ContractReviewParams.DESCRIPTOR
    schema = params_schema(descriptor, CONTRACT_REVIEW.required_params)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["x-order"] == ["contract_type", "jurisdiction", "playbook"]
    assert schema["required"] == ["contract_type", "jurisdiction"]
    assert schema["properties"]["jurisdiction"]["enum"] == [
        "JURISDICTION_EU", "JURISDICTION_UK", "JURISDICTION_US_CA", "JURISDICTION_US_CO"]
    assert schema["properties"]["playbook"] == {"type": "string"}


@pytest.mark.parametrize(("name", "params"), [
    ("contract_review", {"contract_type": "CONTRACT_TYPE_MSA", "jurisdiction": "JURISDICTION_UK"}),
    ("contract_review", {"contract_type": "CONTRACT_TYPE_MSA", "jurisdiction": "JURISDICTION_UK", "playbook": "x"}),
    ("contract_review", {"contract_type": "CONTRACT_TYPE_MSA"}),
    ("contract_review", {"contract_type": "CONTRACT_TYPE_MSA", "jurisdiction": "JURISDICTION_UNSPECIFIED"}),
    ("contract_review", {"contract_type": "MSA", "jurisdiction": "JURISDICTION_UK"}),
    ("sentiment", {}),
    ("sentiment", {"text_column": "review"}),
    ("sentiment", {"text_column": 3}),
    ("compare", {"key_columns": ["id", "region"], "ignore_case": True}),
    ("compare", {"key_columns": "id"}),
    ("xml_to_csv", {"repeated_children": "XML_REPEATED_CHILDREN_INDEXED_COLUMNS", "record_paths": ["//Cube"]}),
    ("bank_statement", {"password": "pw", "bank_hint": "chase", "category_rules": ["rent=landlord"]}),
    ("bank_statement", {"category_rules": "rent=landlord"}),
])
def test_the_served_schema_accepts_exactly_what_the_rest_api_parses_and_the_spec_lets_through(
    name: str, params: dict[str, object]
) -> None:
    spec = SPECS[name]
    served = json_format.MessageToDict(describe(spec).params_schema)
    schema_ok = jsonschema.Draft202012Validator(served).is_valid(params)
    try:
        parsed = json_format.ParseDict({name: params}, job_pb2.JobParams())
        api_ok = not params_violations(spec, parsed)
    except json_format.ParseError:
        api_ok = False
    assert schema_ok == api_ok


def test_a_plugin_whose_spec_differs_from_the_declared_one_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="assay.analysis.registry"):
        Registry().add_ref("assay.analysis.analyzers.sentiment:ANALYZER")
        assert not caplog.records
        Registry().add_ref(f"{__name__}:_DIVERGENT")
    assert [r.getMessage() for r in caplog.records] == [
        "analyzer spec differs from assay.common.analyzers.SPECS, which CreateJob enforces"]


class _Divergent:
    spec = AnalyzerSpec(name="sentiment", version="9", description="a plugin with its own limits",
                        accepts_text=True, max_text_chars=10)
    run = None


_DIVERGENT = _Divergent()
