"""AnalysisService: which analyzers this deployment runs (any authenticated role may ask)."""

from __future__ import annotations

import grpc
from google.protobuf import struct_pb2

from assay.analysis.registry import Registry
from assay.common.analyzers import AnalyzerSpec, params_descriptor
from assay.common.auth import principal
from assay.common.json_schema import params_schema
from assay.v1 import analysis_service_pb2 as pb
from assay.v1 import analysis_service_pb2_grpc


def describe(spec: AnalyzerSpec) -> pb.Analyzer:
    """An analyzer's spec as the API shows it, with its params message's JSON Schema."""
    analyzer = pb.Analyzer(
        name=spec.name, version=spec.version, description=spec.description,
        accepted_media_types=list(spec.accepted_media_types), accepts_text=spec.accepts_text,
        max_text_chars=spec.max_text_chars, max_input_bytes=spec.max_input_bytes,
        max_files=spec.max_files if spec.accepts_files else 0,
        inputs_from_dependencies=spec.inputs_from_dependencies,
    )
    descriptor = params_descriptor(spec.name)
    if descriptor is not None:
        analyzer.params_type = descriptor.full_name
        schema = struct_pb2.Struct()
        schema.update(params_schema(descriptor, spec.required_params))
        analyzer.params_schema.CopyFrom(schema)
    return analyzer


class AnalysisServicer(analysis_service_pb2_grpc.AnalysisServiceServicer):
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def ListAnalyzers(self, request: pb.ListAnalyzersRequest,
                            context: grpc.aio.ServicerContext) -> pb.ListAnalyzersResponse:
        principal()  # authenticated, any role
        return pb.ListAnalyzersResponse(analyzers=[describe(e.spec) for e in self._registry.entries()])
