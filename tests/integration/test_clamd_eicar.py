"""The clamd client against a real clamd holding only a signature for the EICAR test file.

No signature download is possible here, so the database is one MD5 signature generated below.
Skips when clamd is not installed (Debian: ``apt-get install clamav-daemon``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import assert_eventually, free_port, port_accepts, stop_process

from assay.ingest.validation import ClamdUnavailable, ping, scan

pytestmark = pytest.mark.integration

CLAMD = shutil.which("clamd") or shutil.which("clamd", path="/usr/sbin:/usr/local/sbin")
HOST = "127.0.0.1"
# Built from two halves so that this source file is not itself flagged by a scanner.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
STREAM_MAX_LENGTH = 1024 * 1024


@dataclass
class Clamd:
    port: int
    log: Path


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    if CLAMD is None:
        pytest.skip("clamd is not installed")
    root = tmp_path_factory.mktemp("clamd")
    database = root / "db"
    database.mkdir()
    md5 = hashlib.md5(EICAR).hexdigest()
    (database / "assay-test.hdb").write_text(f"{md5}:{len(EICAR)}:Assay.Test.EICAR\n")
    port = free_port()
    log = root / "clamd.log"
    config = root / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                "Foreground yes",
                f"DatabaseDirectory {database}",
                f"TCPAddr {HOST}",
                f"TCPSocket {port}",
                f"LogFile {log}",
                f"PidFile {root / 'clamd.pid'}",
                f"StreamMaxLength {STREAM_MAX_LENGTH}",
                "Bytecode no",
                "SelfCheck 0",
                "",
            ]
        )
    )
    process = subprocess.Popen(
        [CLAMD, f"--config-file={config}"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"clamd exited with {process.returncode}:\n{log.read_text()}")
            return port_accepts(port)

        assert_eventually(ready, timeout=60)
        yield Clamd(port=port, log=log)
    finally:
        stop_process(process)


async def chunks(pieces: Iterable[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def test_real_clamd_answers_ping(clamd: Clamd) -> None:
    await ping(HOST, clamd.port, timeout=10)


async def test_real_clamd_finds_the_eicar_test_file(clamd: Clamd) -> None:
    result = await scan(chunks([EICAR]), HOST, clamd.port, timeout=10)
    assert not result.clean
    assert result.signature is not None
    assert result.signature.startswith("Assay.Test.EICAR")


async def test_real_clamd_finds_eicar_sent_a_few_bytes_at_a_time(clamd: Clamd) -> None:
    pieces = [EICAR[i : i + 5] for i in range(0, len(EICAR), 5)]
    result = await scan(chunks(pieces), HOST, clamd.port, timeout=10)
    assert not result.clean


async def test_real_clamd_passes_an_ordinary_document(clamd: Clamd) -> None:
    result = await scan(chunks([b"%PDF-1.7\n", b"quarterly results\n" * 1000]), HOST, clamd.port)
    assert result.clean
    assert result.signature is None


async def test_a_stream_longer_than_clamds_limit_is_unavailable_not_clean(clamd: Clamd) -> None:
    pieces = [b"x" * 65536] * (2 * STREAM_MAX_LENGTH // 65536)
    with pytest.raises(ClamdUnavailable, match="StreamMaxLength"):
        await scan(chunks(pieces), HOST, clamd.port, timeout=10)
