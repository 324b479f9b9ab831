"""`assay analyzers`: each analyzer with the inputs it accepts and its params."""

from __future__ import annotations

import argparse
import asyncio
import json
from types import SimpleNamespace

import pytest

from assay.analysis.analysis_service import describe
from assay.cli.__main__ import build_parser
from assay.cli.analyzers import cmd_analyzers, render
from assay.common.analyzers import SPECS
from assay.common.proto_json import to_json
from assay.v1 import analysis_service_pb2


def test_the_listing_shows_accepted_inputs_and_params_with_short_enum_names() -> None:
    text = render([describe(spec) for spec in SPECS.values()])
    assert f"contract_review {SPECS['contract_review'].version}" in text
    assert "text    up to 200,000 characters" in text
    assert "files   1 per job, up to 10 MiB each: text/csv, application/json" in text
    assert "contract_type  required  one of vendor_dpa, msa, privacy_policy" in text
    assert "jurisdiction   required  one of eu, uk, us_ca, us_co" in text
    assert "text_column  optional  string" in text
    assert "key_columns        optional  list of string (repeat --param)" in text
    assert "files   up to 2 per job: text/csv" in text
    assert text.index("contract_type  required") < text.index("jurisdiction   required") < text.index(
        "playbook       optional"), "params in declaration order"


def test_the_command_parses() -> None:
    assert build_parser().parse_args(["analyzers"]).command == "analyzers"


def test_json_output_is_the_rest_body(capsys: pytest.CaptureFixture[str]) -> None:
    listed = analysis_service_pb2.ListAnalyzersResponse(analyzers=[describe(spec) for spec in SPECS.values()])

    class Stub:
        async def ListAnalyzers(self, request: object, metadata: object) -> object:
            return listed

    conn = SimpleNamespace(analysis=Stub(), metadata=())
    assert asyncio.run(cmd_analyzers(argparse.Namespace(json=True), conn)) == 0  # type: ignore[arg-type]
    assert json.loads(capsys.readouterr().out) == to_json(listed)


def test_an_analyzer_reading_only_its_dependencies_says_so_and_lists_no_files() -> None:
    described = describe(SPECS["consolidate"])
    assert described.inputs_from_dependencies and described.max_files == 0 and not described.accepts_text
    text = render([described])
    assert "jobs    the results of the jobs in inputs.jobs (assay pipeline), no file or text" in text
    assert "  files " not in text and "match_threshold         optional  number" in text
