"""Message-size limits shared by Assay's gRPC servers and client channels."""

from __future__ import annotations

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
"""Largest single gRPC message; uploads stream in chunks well below it."""

MESSAGE_SIZE_OPTIONS = (
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
)
"""Channel/server options applying ``MAX_MESSAGE_BYTES`` both ways."""
