"""/v1/collections: a tenant's search collections and questions to them (the analysis service's IndexService).

Documents are added to a collection by ``index`` jobs (``POST /v1/jobs`` with ``analyzer: index`` and
``params.index.collection_id``); deleting a file (``DELETE /v1/files/{id}``) removes it from every collection.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assay.gateway import json_body, schemas
from assay.gateway.json import input_schema, to_json
from assay.gateway.upstream import call_metadata, rpc_timeout, stubs
from assay.v1 import index_pb2

router = APIRouter(prefix="/v1/collections", tags=["collections"])

COLLECTION = schemas.registry.add(index_pb2.Collection.DESCRIPTOR)
LIST_COLLECTIONS = schemas.registry.add(index_pb2.ListCollectionsResponse.DESCRIPTOR)
ANSWER = schemas.registry.add(index_pb2.AskQuestionResponse.DESCRIPTOR)
CREATE_BODY: dict[str, Any] = input_schema(schemas.registry, index_pb2.CreateCollectionRequest.DESCRIPTOR)
ASK_BODY: dict[str, Any] = input_schema(schemas.registry, index_pb2.AskQuestionRequest.DESCRIPTOR,
                                        exclude=("collection_id",))


@router.post(
    "", status_code=201, summary="Create a named collection",
    openapi_extra={"requestBody": {"required": True, "content": schemas.json_content(CREATE_BODY)}},
    responses={**schemas.ok(201, "the new collection", COLLECTION), **schemas.problems(409)},
)
async def create_collection(request: Request) -> Response:
    """JSON CreateCollectionRequest → IndexService.CreateCollection."""
    create = index_pb2.CreateCollectionRequest()
    await json_body.read_message(request, create)
    response = await stubs(request).index.CreateCollection(create, metadata=call_metadata(request),
                                                           timeout=rpc_timeout(request))
    collection = response.collection
    return JSONResponse(to_json(collection), status_code=201, headers={"Location": f"/v1/collections/{collection.id}"})


@router.get("", summary="List the tenant's collections",
            responses={**schemas.ok(200, "every collection, by name", LIST_COLLECTIONS), **schemas.problems()})
async def list_collections(request: Request) -> Response:
    """IndexService.ListCollections."""
    response = await stubs(request).index.ListCollections(index_pb2.ListCollectionsRequest(),
                                                          metadata=call_metadata(request), timeout=rpc_timeout(request))
    return JSONResponse(to_json(response))


@router.get("/{collection_id}", summary="Get a collection with its document and chunk counts",
            responses={**schemas.ok(200, "the collection", COLLECTION), **schemas.problems(404)})
async def get_collection(request: Request, collection_id: str) -> Response:
    """IndexService.GetCollection."""
    response = await stubs(request).index.GetCollection(index_pb2.GetCollectionRequest(id=collection_id),
                                                        metadata=call_metadata(request), timeout=rpc_timeout(request))
    return JSONResponse(to_json(response.collection))


@router.delete("/{collection_id}", status_code=204, summary="Delete a collection and everything indexed in it",
               responses={204: {"description": "deleted"}, **schemas.problems(404)})
async def delete_collection(request: Request, collection_id: str) -> Response:
    """IndexService.DeleteCollection."""
    await stubs(request).index.DeleteCollection(index_pb2.DeleteCollectionRequest(id=collection_id),
                                                metadata=call_metadata(request), timeout=rpc_timeout(request))
    return Response(status_code=204)


@router.post(
    "/{collection_id}:ask", summary="Ask a question: the best passages with citations, or no answer",
    openapi_extra={"requestBody": {"required": True, "content": schemas.json_content(ASK_BODY)}},
    responses={**schemas.ok(200, "the answer", ANSWER), **schemas.problems(404)},
)
async def ask(request: Request, collection_id: str) -> Response:
    """JSON AskQuestionRequest (without collection_id) → IndexService.AskQuestion."""
    question = index_pb2.AskQuestionRequest()
    await json_body.read_message(request, question)
    question.collection_id = collection_id
    response = await stubs(request).index.AskQuestion(question, metadata=call_metadata(request),
                                                      timeout=rpc_timeout(request))
    return JSONResponse(to_json(response))
