"""``assay analyzers``: the analyzers the workers run, the inputs each accepts and its params."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from google.protobuf import json_format

from assay.cli import output
from assay.cli.client import Connection
from assay.common.proto_json import to_json
from assay.v1 import analysis_service_pb2


async def cmd_analyzers(args: argparse.Namespace, conn: Connection) -> int:
    """List every analyzer (AnalysisService.ListAnalyzers)."""
    listed = await conn.analysis.ListAnalyzers(analysis_service_pb2.ListAnalyzersRequest(), metadata=conn.metadata)
    if args.json:
        output.print_json(to_json(listed))  # the body of GET /v1/analyzers
    else:
        print(render(listed.analyzers), end="")
    return 0


def render(analyzers: Iterable[analysis_service_pb2.Analyzer]) -> str:
    """Each analyzer: name and version, what it does, the inputs it accepts, its ``--param`` names."""
    lines: list[str] = []
    for analyzer in analyzers:
        lines += [f"{analyzer.name} {analyzer.version}", f"  {analyzer.description}"]
        if analyzer.accepts_text:
            lines.append(f"  text    up to {analyzer.max_text_chars:,} characters")
        if analyzer.max_files and analyzer.accepted_media_types:
            size = f", up to {_size(analyzer.max_input_bytes)} each" if analyzer.max_input_bytes else ""
            count = f"{'' if analyzer.max_files == 1 else 'up to '}{analyzer.max_files} per job"
            lines.append(f"  files   {count}{size}: {', '.join(analyzer.accepted_media_types)}")
        if analyzer.inputs_from_dependencies:
            lines.append("  jobs    the results of the jobs in inputs.jobs (assay pipeline), no file or text")
        schema = json_format.MessageToDict(analyzer.params_schema)
        params = _param_lines(schema)
        lines += [f"  {'params' if i == 0 else '':<7} {line}" for i, line in enumerate(params)]
        if not params:
            lines.append("  params  none")
    return "".join(line + "\n" for line in lines)


def _param_lines(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    properties: dict[str, dict[str, Any]] = schema.get("properties", {})
    width = max((len(name) for name in properties), default=0)
    lines = []
    for name in schema.get("x-order", properties):
        prop = properties[name]
        kind = _kind(prop)
        lines.append(f"{name:<{width}}  {'required' if name in required else 'optional'}  {kind}")
    return lines


def _kind(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return "one of " + ", ".join(_short_names(prop["enum"]))
    if prop.get("type") == "array":
        return f"list of {_kind(prop.get('items', {}))} (repeat --param)"
    return str(prop.get("type", ""))


def _short_names(names: list[str]) -> list[str]:
    """``CONTRACT_TYPE_MSA`` → ``msa``, as ``--param`` accepts them."""
    words = [name.split("_") for name in names]
    shared = 0
    while len(names) > 1 and all(len(w) > shared + 1 and w[shared] == words[0][shared] for w in words):
        shared += 1
    return ["_".join(w[shared:]).lower() for w in words]


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"
