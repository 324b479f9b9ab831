"""``assay ask COLLECTION QUESTION`` and ``assay collections list|create|delete`` (IndexService)."""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime

from assay.cli import output
from assay.cli.client import Connection
from assay.common.proto_json import to_json
from assay.v1 import index_pb2

DATE_FILTERS = ("indexed_after", "indexed_before", "uploaded_after", "uploaded_before")


def add_parsers(commands: argparse._SubParsersAction, common: list[argparse.ArgumentParser]) -> None:
    ask = commands.add_parser("ask", parents=common,
                              help="ask a collection a question: the best passages with their citations")
    ask.add_argument("collection", help="the collection's id or name")
    ask.add_argument("question")
    ask.add_argument("--top-k", type=int, default=0, help="passages to return (default 5, at most 20)")
    ask.add_argument("--file", action="append", default=[], dest="file_ids", metavar="FILE_ID",
                     help="search only this file (repeatable)")
    ask.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                     help="search only documents with this metadata, e.g. document_type=nda (repeatable)")
    for name in DATE_FILTERS:
        ask.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="DATE",
                         help=f"search only documents {name.replace('_', ' ')} this ISO 8601 date or time (UTC "
                              "unless it names a zone)")
    collections = commands.add_parser("collections", parents=common, help="list, create or delete collections")
    actions = collections.add_subparsers(dest="action", required=True)
    actions.add_parser("list", parents=common)
    create = actions.add_parser("create", parents=common)
    create.add_argument("name")
    create.add_argument("--description", default="")
    actions.add_parser("delete", parents=common).add_argument("collection", help="the collection's id or name")


async def resolve(conn: Connection, collection: str) -> str:
    """A collection id as given, or the id of the caller's collection with that name (ValueError, exit
    2, when there is none)."""
    try:
        return str(uuid.UUID(collection))
    except ValueError:
        listed = await conn.index.ListCollections(index_pb2.ListCollectionsRequest(), metadata=conn.metadata)
        found = next((c.id for c in listed.collections if c.name == collection), None)
        if found is None:
            raise ValueError(f"no collection is named {collection!r} (assay collections list)") from None
        return found


def document_filter(args: argparse.Namespace) -> index_pb2.DocumentFilter:
    """The ``--meta`` and date options as a DocumentFilter (ValueError, exit 2, on a malformed one)."""
    chosen = index_pb2.DocumentFilter()
    for pair in args.meta:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--meta takes KEY=VALUE, not {pair!r}")
        chosen.metadata[key] = value
    for name in DATE_FILTERS:
        raw = getattr(args, name)
        if raw:
            try:
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"--{name.replace('_', '-')} takes an ISO 8601 date or time, not {raw!r}") from None
            getattr(chosen, name).FromDatetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return chosen


async def cmd_ask(args: argparse.Namespace, conn: Connection) -> int:
    chosen = document_filter(args)
    request = index_pb2.AskQuestionRequest(collection_id=await resolve(conn, args.collection), question=args.question,
                                           top_k=args.top_k, file_ids=args.file_ids)
    if chosen.ByteSize():
        request.filter.CopyFrom(chosen)
    answer = await conn.index.AskQuestion(request, metadata=conn.metadata)
    if args.json:
        output.print_json(to_json(answer))  # the body of POST /v1/collections/{id}:ask
    else:
        print(render(answer), end="")
    return 0


def render(answer: index_pb2.AskQuestionResponse) -> str:
    """The answer (or "no answer"), then each passage with its citation, the answering sentence in » «."""
    lines = [answer.answer if answer.answered else "no answer: the collection does not say; the nearest passages:"]
    if answer.indexing:
        lines.insert(0, "(documents are being indexed: this answer is from what is indexed so far)")
    for number, passage in enumerate(answer.passages, start=1):
        cite = passage.citation
        where = "".join((f" page {cite.page}" if cite.page else "",
                         f" paragraph {cite.paragraph}" if cite.paragraph else ""))
        lines.append(f"[{number}] {cite.display_name}{where} chars {cite.start_offset}-{cite.end_offset}"
                     f"  similarity {passage.similarity:.2f}{'  ' + passage.heading if passage.heading else ''}")
        text = passage.text
        start, end = passage.highlight_start, passage.highlight_end
        lines.append("    " + " ".join(f"{text[:start]}»{text[start:end]}«{text[end:]}".split()))
    return "".join(line + "\n" for line in lines)


async def cmd_collections(args: argparse.Namespace, conn: Connection) -> int:
    if args.action == "create":
        created = await conn.index.CreateCollection(
            index_pb2.CreateCollectionRequest(name=args.name, description=args.description), metadata=conn.metadata)
        print(to_json(created.collection) if args.json else created.collection.id)
        return 0
    if args.action == "delete":
        await conn.index.DeleteCollection(index_pb2.DeleteCollectionRequest(id=await resolve(conn, args.collection)),
                                          metadata=conn.metadata)
        return 0
    listed = await conn.index.ListCollections(index_pb2.ListCollectionsRequest(), metadata=conn.metadata)
    if args.json:
        output.print_json(to_json(listed))
    else:
        for c in listed.collections:
            print(f"{c.id}  {c.name}  {c.document_count} documents  {c.chunk_count} chunks")
    return 0
