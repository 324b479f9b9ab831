"""A flooding tenant as a process of its own: calls at a fixed offered rate until SIGTERM, then prints
what it sent and what came back as one JSON line (bench_tenants.py starts it).

Run: ``python bench/flood_client.py --via rest|grpc --target HOST:PORT --token JWT --rate 200
[--connections 16] [--call usage|create]``. ``--connections`` bounds its concurrency: each
connection sends one request at a time, paced so that together they offer ``--rate`` calls per
second (fewer when the answers are slower than the pace), their starts spread over one period (not
in bursts). REST goes over raw keep-alive HTTP/1.1 connections with a prebuilt request, so the
client's own CPU per call stays far below the server's; gRPC over one channel with a grpc.aio stub.
It prints ``ready`` once every connection is open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import time
from collections import Counter

import grpc

from assay.common.grpc_client import bearer, open_channel
from assay.v1 import job_pb2, jobs_service_pb2, jobs_service_pb2_grpc

CREATE_BODY = b'{"analyzer": "sentiment", "inputs": {"text": "flood"}, "no_cache": true}'


def http_request(host: str, call: str, token: str) -> bytes:
    if call == "create":
        return (f"POST /v1/jobs HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(CREATE_BODY)}\r\n\r\n").encode() + CREATE_BODY
    return f"GET /v1/usage HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()


async def rest_connection(target: str, request: bytes, period: float, stop: asyncio.Event, counts: Counter[str],
                          opened: asyncio.Event, offset: float) -> None:
    host, port = target.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    opened.set()
    await asyncio.sleep(offset)
    try:
        while not stop.is_set():
            began = time.perf_counter()
            writer.write(request)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            counts["accepted" if status < 400 else "refused" if status == 429 else f"http_{status}"] += 1
            await asyncio.sleep(max(0.0, period - (time.perf_counter() - began)))
    finally:
        writer.close()


async def grpc_loop(stub: jobs_service_pb2_grpc.JobServiceStub, call: str, metadata: object, period: float,
                    stop: asyncio.Event, counts: Counter[str], offset: float) -> None:
    await asyncio.sleep(offset)
    while not stop.is_set():
        began = time.perf_counter()
        try:
            if call == "create":
                await stub.CreateJob(jobs_service_pb2.CreateJobRequest(
                    analyzer="sentiment", inputs=job_pb2.JobInputs(text="flood"), no_cache=True), metadata=metadata)
            else:
                await stub.GetUsage(jobs_service_pb2.GetUsageRequest(), metadata=metadata)
            counts["accepted"] += 1
        except grpc.aio.AioRpcError as error:
            refused = error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            counts["refused" if refused else error.code().name] += 1
        await asyncio.sleep(max(0.0, period - (time.perf_counter() - began)))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(args: argparse.Namespace) -> None:
    """Flood until SIGTERM; the counts, seconds and CPU seconds are those from ``ready`` on."""
    stop, counts = asyncio.Event(), Counter[str]()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    period = args.connections / args.rate
    if args.via == "rest":
        request = http_request(args.target, args.call, args.token)
        opened = [asyncio.Event() for _ in range(args.connections)]
        tasks = [asyncio.create_task(rest_connection(args.target, request, period, stop, counts, ready,
                                                     period * index / args.connections))
                 for index, ready in enumerate(opened)]
        await asyncio.gather(*(ready.wait() for ready in opened))
        began, cpu = time.perf_counter(), cpu_seconds()
        print("ready", flush=True)
        await asyncio.gather(*tasks)
    else:
        channel = open_channel(args.target)
        await asyncio.wait_for(channel.channel_ready(), timeout=30)
        stub = jobs_service_pb2_grpc.JobServiceStub(channel)
        began, cpu = time.perf_counter(), cpu_seconds()
        print("ready", flush=True)
        await asyncio.gather(*(grpc_loop(stub, args.call, bearer(args.token), period, stop, counts,
                                         period * index / args.connections) for index in range(args.connections)))
        await channel.close()
    print(json.dumps({**counts, "seconds": time.perf_counter() - began, "cpu_seconds": cpu_seconds() - cpu}),
          flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--via", choices=("rest", "grpc"), default="rest")
    parser.add_argument("--target", required=True, help="HOST:PORT of the gateway (rest) or jobs (grpc)")
    parser.add_argument("--token", required=True, help="the flooding tenant's bearer token")
    parser.add_argument("--rate", type=float, required=True, help="calls per second offered, all connections together")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (calls in flight)")
    parser.add_argument("--call", choices=("usage", "create"), default="usage")
    asyncio.run(main(parser.parse_args()))
