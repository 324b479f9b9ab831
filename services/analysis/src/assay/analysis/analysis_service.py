"""AnalysisService: which analyzers this deployment runs (any authenticated role may ask)."""

from __future__ import annotations

import grpc

from assay.analysis.registry import Registry
from assay.common.auth import principal
from assay.v1 import analysis_service_pb2 as pb
from assay.v1 import analysis_service_pb2_grpc, job_pb2


def params_type(name: str) -> str:
    """Fully-qualified params message of an analyzer (its ``JobParams`` oneof field)."""
    field = job_pb2.JobParams.DESCRIPTOR.fields_by_name.get(name)
    return field.message_type.full_name if field is not None and field.message_type is not None else ""


class AnalysisServicer(analysis_service_pb2_grpc.AnalysisServiceServicer):
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def ListAnalyzers(self, request: pb.ListAnalyzersRequest,
                            context: grpc.aio.ServicerContext) -> pb.ListAnalyzersResponse:
        principal()  # authenticated, any role
        return pb.ListAnalyzersResponse(analyzers=[
            pb.Analyzer(
                name=e.spec.name, version=e.spec.version, description=e.spec.description,
                accepted_media_types=list(e.spec.accepted_media_types), accepts_text=e.spec.accepts_text,
                max_text_chars=e.spec.max_text_chars, max_input_bytes=e.spec.max_input_bytes,
                params_type=params_type(e.spec.name),
            ) for e in self._registry.entries()
        ])
