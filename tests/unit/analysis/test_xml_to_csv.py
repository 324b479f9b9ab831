"""xml_to_csv: record detection, flattening, losslessness and safety on self-written fixtures."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from fixtures import xmldocs as fx

from assay.analysis.analyzers.xml_to_csv import ANALYZER, MANIFEST_NAME
from assay.analysis.analyzers.xml_to_csv import tables as tables_module
from assay.analysis.analyzers.xml_to_csv.verify import document_values, table_values
from assay.analysis.plugin import AnalysisCancelled, AnalysisInputError, InputDocument
from assay.analysis.tabular import column_types as ct
from assay.analysis.testing import LocalRunContext
from assay.v1 import job_pb2, tabular_pb2, xml_to_csv_pb2

P = xml_to_csv_pb2


def run(tmp_path: Path, data: bytes, *, name: str = "doc.xml", record_paths: Sequence[str] = (),
        indexed: bool = False, repeat: bool = False) -> tuple[P.XmlToCsvResult, LocalRunContext]:
    ctx = context(tmp_path, data, name=name, record_paths=record_paths, indexed=indexed, repeat=repeat)
    return ANALYZER.run(ctx).xml_to_csv, ctx


def context(tmp_path: Path, data: bytes, *, name: str = "doc.xml", record_paths: Sequence[str] = (),
            indexed: bool = False, repeat: bool = False) -> LocalRunContext:
    path = tmp_path / "input"
    path.write_bytes(data)
    params = P.XmlToCsvParams(
        record_paths=list(record_paths),
        repeated_children=P.XML_REPEATED_CHILDREN_INDEXED_COLUMNS if indexed else 0,
        document_values=P.XML_DOCUMENT_VALUES_REPEAT_ON_ROWS if repeat else 0,
    )
    media = "application/zip" if data[:2] == b"PK" else "application/xml"
    return LocalRunContext(job_id="job-1", tenant_id="t-1", params=job_pb2.JobParams(xml_to_csv=params),
                           work_dir=tmp_path, inputs=[InputDocument("file-1", path, media, name, len(data))])


def table(ctx: LocalRunContext, artifact_name: str) -> list[dict[str, str]]:
    (artifact,) = [a for a in ctx.artifacts if a.name == artifact_name]
    assert artifact.media_type == "text/csv"
    raw = artifact.path.read_bytes()
    assert b"\r\n" in raw or raw.count(b"\n") == 0  # RFC 4180 line ends
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))


def header(ctx: LocalRunContext, artifact_name: str) -> dict[str, str]:
    return {row["path"]: row["value"] for row in table(ctx, artifact_name)}


def assert_lossless(ctx: LocalRunContext, data: bytes) -> None:
    written = table_values(a.path for a in ctx.artifacts if a.name.endswith(".csv"))
    assert written == document_values(io.BytesIO(data))


# -- record detection and flattening -----------------------------------------------------------------


def test_a_rate_feed_s_attribute_only_cubes_are_the_records_and_the_rest_is_the_header(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.RATE_FEED, name="rates.xml")
    (member,) = result.members
    assert member.root_element == "gesmes:Envelope" and member.record_paths_detected
    assert {(n.prefix, n.uri) for n in member.namespaces} >= {
        ("gesmes", "http://www.gesmes.org/xml/2002-08-01"), ("ns1", "http://www.ecb.int/vocabulary/2002-08-01/eurofxref")}
    (cubes,) = member.tables
    assert cubes.record_path == "/gesmes:Envelope/ns1:Cube/ns1:Cube/ns1:Cube" and cubes.rows == 3
    assert [(c.name, c.type) for c in cubes.columns] == [
        ("#row", tabular_pb2.COLUMN_TYPE_INTEGER), ("@currency", tabular_pb2.COLUMN_TYPE_TEXT),
        ("@rate", tabular_pb2.COLUMN_TYPE_DECIMAL)]
    rows = table(ctx, cubes.artifact_name)
    assert [(r["#row"], r["@currency"], r["@rate"]) for r in rows] == [
        ("1", "USD", "1.0816"), ("2", "JPY", "161.52"), ("3", "CHF", "0.9427")]
    assert header(ctx, member.header_artifact_name) == {
        "/gesmes:Envelope/gesmes:subject": "Reference rates",
        "/gesmes:Envelope/gesmes:Sender/gesmes:name": "Example Central Bank",
        "/gesmes:Envelope/ns1:Cube/ns1:Cube/@time": "2026-11-30",
    }
    assert_lossless(ctx, fx.RATE_FEED)


def test_a_default_namespace_holdings_table_reads_as_the_document_does(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.HOLDINGS)
    (member,) = result.members
    assert member.root_element == "informationTable"
    assert ("", "http://example.org/thirteenf/informationtable") in [(n.prefix, n.uri) for n in member.namespaces]
    (holdings,) = member.tables
    assert holdings.name == "infoTable" and holdings.record_path == "/informationTable/infoTable"
    types = {c.name: c.type for c in holdings.columns}
    assert types["shrsOrPrnAmt.sshPrnamt"] == tabular_pb2.COLUMN_TYPE_INTEGER
    assert types["value"] == tabular_pb2.COLUMN_TYPE_DECIMAL
    assert types["cusip"] == tabular_pb2.COLUMN_TYPE_TEXT
    rows = table(ctx, holdings.artifact_name)
    assert rows[0]["nameOfIssuer"] == "ACME CORP" and rows[1]["nameOfIssuer"] == "GLOBEX & SONS"
    assert rows[0]["cusip"] == "000360206"  # a type is reported, never applied
    assert rows[0]["otherManager"] == "" and rows[1]["otherManager"] == "01"
    assert rows[1]["putCall@xsi:nil"] == "true" and rows[1]["votingAuthority.Shared"] == "1200"
    assert not member.header_artifact_name and member.header_values == 0
    assert_lossless(ctx, fx.HOLDINGS)


def test_repeated_children_become_a_child_table_keyed_by_the_parent_row(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.INSIDER_FORM)
    (member,) = result.members
    by_name = {t.name: t for t in member.tables}
    assert set(by_name) == {"nonDerivativeTable.nonDerivativeTransaction", "footnotes.footnote",
                            "nonDerivativeTable.nonDerivativeTransaction.transactionAmounts.transactionShares"
                            ".footnoteId"}
    notes = by_name["nonDerivativeTable.nonDerivativeTransaction.transactionAmounts.transactionShares.footnoteId"]
    assert notes.parent_table == "nonDerivativeTable.nonDerivativeTransaction"
    assert [(r["#parent_row"], r["@id"]) for r in table(ctx, notes.artifact_name)] == [
        ("1", "F1"), ("1", "F2"), ("2", "F3")]
    transactions = table(ctx, by_name["nonDerivativeTable.nonDerivativeTransaction"].artifact_name)
    assert [(r["#row"], r["transactionDate.value"], r["transactionAmounts.transactionShares.value"])
            for r in transactions] == [("1", "2026-09-29", "1000"), ("2", "2026-09-30", "250")]
    footnotes = table(ctx, by_name["footnotes.footnote"].artifact_name)
    assert [(r["@id"], r["#text"]) for r in footnotes] == [
        ("F1", "Weighted average price."), ("F2", "Sold under a 10b5-1 plan."), ("F3", "Gift.")]
    assert header(ctx, member.header_artifact_name)["/ownershipDocument/issuer/issuerName"] == "Initech Inc"
    assert_lossless(ctx, fx.INSIDER_FORM)


def test_indexed_columns_instead_of_child_tables(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.INSIDER_FORM, indexed=True)
    names = {t.name for t in result.members[0].tables}
    assert names == {"nonDerivativeTable.nonDerivativeTransaction", "footnotes.footnote"}
    (transactions,) = [t for t in result.members[0].tables if t.name.startswith("nonDerivative")]
    rows = table(ctx, transactions.artifact_name)
    prefix = "transactionAmounts.transactionShares.footnoteId"
    assert [(r[f"{prefix}[1]@id"], r[f"{prefix}[2]@id"]) for r in rows] == [("F1", "F2"), ("F3", "")]
    assert_lossless(ctx, fx.INSIDER_FORM)


def test_document_values_can_repeat_on_every_row_instead_of_a_header_table(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.RATE_FEED, repeat=True)
    (member,) = result.members
    assert not member.header_artifact_name and member.header_values == 3
    rows = table(ctx, member.tables[0].artifact_name)
    assert {r["/gesmes:Envelope/ns1:Cube/ns1:Cube/@time"] for r in rows} == {"2026-11-30"}
    assert [r["@currency"] for r in rows] == ["USD", "JPY", "CHF"]


def test_several_record_types_give_several_tables_with_their_child_tables(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.OSM, name="map.osm")
    tables = {t.name: t for t in result.members[0].tables}
    assert list(tables) == ["node", "way", "node.tag", "way.nd", "way.tag"]
    assert (tables["node"].rows, tables["way"].rows, tables["way.nd"].rows) == (3, 2, 5)
    assert [(r["#parent_row"], r["@ref"]) for r in table(ctx, tables["way.nd"].artifact_name)] == [
        ("1", "1"), ("1", "2"), ("1", "3"), ("2", "3"), ("2", "1")]
    assert header(ctx, result.members[0].header_artifact_name)["/osm/bounds/@minlat"] == "59.87"
    assert result.tables_total == 6 and result.rows_total == 3 + 2 + 2 + 5 + 2
    assert_lossless(ctx, fx.OSM)


def test_mixed_content_cdata_and_whitespace_are_kept_verbatim(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.MIXED)
    rows = table(ctx, result.members[0].tables[0].artifact_name)
    first, second, third = rows
    assert (first["#text"], first["amount"], first["amount@ccy"], first["amount#tail"], first["date"],
            first["date#tail"]) == ("Payment of ", "100.00", "EUR", " due on ", "2026-12-01", ", see terms.")
    assert second["#text"] == 'Raw <b>markup</b> & "quotes" stay text'
    assert third["#text"] == "  leading and trailing spaces  "
    assert_lossless(ctx, fx.MIXED)


def test_a_named_record_path_overrides_detection(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.OSM, record_paths=["/osm/way"])
    (member,) = result.members
    assert not member.record_paths_detected
    assert [t.name for t in member.tables] == ["way", "way.nd", "way.tag"]
    doc = header(ctx, member.header_artifact_name)
    assert doc["/osm/node[2]/@id"] == "2" and doc["/osm/node[2]/tag[2]/@v"] == "Lakeside"  # repeats keep an index
    assert_lossless(ctx, fx.OSM)


def test_a_record_path_matches_by_local_name_anywhere(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fx.RATE_FEED, record_paths=["//Cube/Cube"])
    paths = [t.record_path for t in result.members[0].tables]
    assert paths == ["/gesmes:Envelope/ns1:Cube/ns1:Cube", "/gesmes:Envelope/ns1:Cube/ns1:Cube/ns1:Cube"]


def test_a_record_path_that_matches_nothing_fails_naming_the_repeating_paths(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, fx.OSM, record_paths=["/osm/relation"])
    assert refused.value.code == "RECORD_PATH_NOT_FOUND"
    assert "/osm/node" in refused.value.message and "/osm/way/nd" in refused.value.message


# -- safety and malformed input ----------------------------------------------------------------------


def test_billion_laughs_is_refused_before_any_expansion(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, fx.BILLION_LAUGHS)
    assert refused.value.code == "XML_ENTITIES_FORBIDDEN" and "'lol'" in refused.value.message
    assert refused.value.message.startswith("doc.xml ")


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, fx.xxe(str(secret)))
    assert refused.value.code == "XML_ENTITIES_FORBIDDEN" and "'secret'" in refused.value.message
    assert "TOP-SECRET-VALUE" not in refused.value.message


def test_an_external_dtd_and_xinclude_are_never_loaded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY x "TOP-SECRET-VALUE">')
    external = f'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "file://{secret}">\n<r><v>1</v><v>&x;</v></r>'.encode()
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, external)
    assert refused.value.code == "XML_MALFORMED" and "undefined entity at line 3" in refused.value.message
    xinclude = (f'<r xmlns:xi="http://www.w3.org/2001/XInclude"><v>1</v><v>2</v>'
                f'<xi:include href="file://{secret}" parse="text"/></r>').encode()
    _, ctx = run(tmp_path, xinclude)
    assert not [a for a in ctx.artifacts if b"TOP-SECRET-VALUE" in a.path.read_bytes()]


def test_leading_whitespace_before_the_declaration_is_tolerated(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.LEADING_WHITESPACE)
    assert result.members[0].tables[0].rows == 2
    assert_lossless(ctx, fx.HOLDINGS)


@pytest.mark.parametrize(("prefix", "line"), [(b"", 4), (b"\n\n  \n", 7)])
def test_malformed_xml_is_reported_with_line_and_column_of_the_original_bytes(
    tmp_path: Path, prefix: bytes, line: int
) -> None:
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, prefix + fx.MALFORMED)
    assert refused.value.code == "XML_MALFORMED"
    assert refused.value.message == f"doc.xml is not well-formed XML: mismatched tag at line {line}, column 14"
    assert not [a for a in refused.value.args if "Traceback" in str(a)]


def test_not_xml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, b"id,name\n1,a\n")
    assert refused.value.code == "NOT_XML"


def test_a_hostile_zip_converts_its_good_members_and_says_why_each_other_was_skipped(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    archive = fx.hostile_zip(str(secret))
    result, ctx = run(tmp_path, archive, name="filings.zip")
    outcome = {m.name: m.skip_code for m in result.members}
    assert outcome == {
        "filings/holdings.xml": "", "filings/bomb.xml": "XML_ENTITIES_FORBIDDEN",
        "filings/xxe.xml": "XML_ENTITIES_FORBIDDEN", "filings/broken.xml": "XML_MALFORMED",
        "filings/cut.xml": "", "nested.zip": "NESTED_ARCHIVE", "README.txt": "NOT_XML", "rates.xml": "",
    }
    reasons = {m.name: m.skip_reason for m in result.members}
    assert "line 4, column 14" in reasons["filings/broken.xml"]
    assert (result.documents_converted, result.documents_skipped) == (3, 5)
    names = [a.name for a in ctx.artifacts]
    assert "filings_holdings.infoTable.csv" in names and "filings_cut.infoTable.csv" in names
    assert names[-1] == MANIFEST_NAME
    for artifact in ctx.artifacts:
        assert b"TOP-SECRET-VALUE" not in artifact.path.read_bytes()
        assert b"lollollol" not in artifact.path.read_bytes()
    manifest = json.loads(ctx.artifacts[-1].path.read_text())
    assert [m["name"] for m in manifest["members"]] == [m.name for m in result.members]
    assert manifest["members"][0]["tables"][0]["columns"][0] == {"name": "#row", "type": "COLUMN_TYPE_INTEGER"}
    assert ctx.progress[-1] == 100


def test_a_zip_of_only_refused_documents_fails_with_the_first_reason(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("bomb.xml", fx.BILLION_LAUGHS)
        z.writestr("broken.xml", fx.MALFORMED)
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, out.getvalue(), name="all-bad.zip")
    assert refused.value.code == "XML_ENTITIES_FORBIDDEN" and "1 more documents refused" in refused.value.message


def test_thousands_of_record_types_convert_with_few_files_open(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    types = 600
    data = ("<facts>" + "".join(f'<f{i} ctx="a">{i}</f{i}><f{i} ctx="b">-{i}</f{i}>' for i in range(types))
            + "</facts>").encode()
    monkeypatch.setattr(tables_module, "SPOOL_BUFFER_CELLS", 50)  # flush batches often, interleaved
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 64, hard))
    try:
        result, ctx = run(tmp_path, data)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert result.tables_total == types and result.rows_total == 2 * types
    assert_lossless(ctx, data)
    assert not [p for p in tmp_path.rglob("spool-*")]  # spool files are removed once written


def test_cancellation_is_noticed_while_parsing(tmp_path: Path) -> None:
    big = b"<rows>" + b"<row><a>1</a><b>2</b></row>" * 30_000 + b"</rows>"
    ctx = context(tmp_path, big)
    ctx.cancelled = True
    with pytest.raises(AnalysisCancelled):
        ANALYZER.run(ctx)


def test_names_without_ascii_give_readable_unique_artifact_names(tmp_path: Path) -> None:
    data = "<台帳><行><価格>1</価格></行><行><価格>2</価格></行><項目 k='a'/><項目 k='b'/></台帳>".encode()
    result, ctx = run(tmp_path, data)
    assert [t.name for t in result.members[0].tables] == ["行", "項目"]
    assert [a.name for a in ctx.artifacts] == ["table.csv", "table-2.csv", MANIFEST_NAME]
    assert table(ctx, "table.csv")[1]["価格"] == "2"


def test_inline_text_and_missing_files_are_input_errors(tmp_path: Path) -> None:
    ctx = LocalRunContext(job_id="j", tenant_id="t", params=job_pb2.JobParams(), work_dir=tmp_path, text="<a/>")
    with pytest.raises(AnalysisInputError) as refused:
        ANALYZER.run(ctx)
    assert refused.value.code == "INPUT_UNSUPPORTED"


# -- column types ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "expected"), [
    (["1", "-20", "+3", "007"], ct.INTEGER),
    (["1", "2.5", "1e3"], ct.DECIMAL),
    (["2026-01-31", "", "2026-02-01"], ct.DATE),
    (["2026-01-31", "2026-02-01T10:00:00Z"], ct.DATETIME),
    (["true", "False"], ct.BOOLEAN),
    (["1", "x"], ct.TEXT),
    (["2026-13-01"], ct.TEXT),
    (["", " "], ct.EMPTY),
])
def test_column_types_are_the_narrowest_kind_that_fits_every_value(values: list[str], expected: int) -> None:
    types = ct.ColumnTypes()
    for value in values:
        types.observe(0, value)
    assert types.type_of(0) == expected
