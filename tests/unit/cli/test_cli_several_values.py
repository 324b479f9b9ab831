"""Several values from the command line: a repeated ``--param`` (xml_to_csv record_paths) and several
FILEs for one job (compare: old, then new)."""

from __future__ import annotations

from assay.cli.__main__ import build_parser
from assay.cli.params import parse_params
from assay.v1 import xml_to_csv_pb2


def test_a_repeated_param_collects_every_occurrence_and_enums_take_short_names() -> None:
    params = parse_params("xml_to_csv", ["record_paths=/osm/node", "record_paths=//way",
                                         "repeated_children=indexed_columns"])
    assert list(params.xml_to_csv.record_paths) == ["/osm/node", "//way"]
    assert params.xml_to_csv.repeated_children == xml_to_csv_pb2.XML_REPEATED_CHILDREN_INDEXED_COLUMNS


def test_submit_takes_several_files_in_order_after_the_options_or_between_them() -> None:
    args = build_parser().parse_args(["submit", "--analyzer", "compare", "old.csv", "new.csv", "--wait"])
    assert (args.file, args.more_files, args.wait) == ("old.csv", ["new.csv"], True)
    one = build_parser().parse_args(["submit", "--analyzer", "sentiment", "reviews.csv"])
    assert (one.file, one.more_files) == ("reviews.csv", [])
