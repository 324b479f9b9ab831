"""``--param`` for a repeated field: each occurrence adds one value (xml_to_csv record_paths)."""

from __future__ import annotations

from assay.cli.params import parse_params
from assay.v1 import xml_to_csv_pb2


def test_a_repeated_param_collects_every_occurrence_and_enums_take_short_names() -> None:
    params = parse_params("xml_to_csv", ["record_paths=/osm/node", "record_paths=//way",
                                         "repeated_children=indexed_columns"])
    assert list(params.xml_to_csv.record_paths) == ["/osm/node", "//way"]
    assert params.xml_to_csv.repeated_children == xml_to_csv_pb2.XML_REPEATED_CHILDREN_INDEXED_COLUMNS
