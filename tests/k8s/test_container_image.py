"""The Dockerfile, read as text (no Docker engine here): what the runtime image may contain."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.k8s

REPO = Path(__file__).resolve().parents[2]
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|cc|clang|make|build-essential|python3?-dev|libpq-dev|pip\s+install)\b", re.IGNORECASE
)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, comments dropped and continuation lines joined."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            result.append((keyword.upper(), arguments.strip()))
    return result


def stages(text: str) -> list[list[tuple[str, str]]]:
    """Instructions grouped by build stage (each begins with FROM); ARGs before the first are dropped."""
    result: list[list[tuple[str, str]]] = []
    for instruction in instructions(text):
        if instruction[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (REPO / "Dockerfile").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def final_stage(dockerfile: str) -> list[tuple[str, str]]:
    return stages(dockerfile)[-1]


def test_the_image_is_built_in_more_than_one_stage(dockerfile: str) -> None:
    assert len(stages(dockerfile)) >= 2


def test_the_final_stage_runs_as_a_numeric_non_root_user(final_stage: list[tuple[str, str]]) -> None:
    users = [arguments for keyword, arguments in final_stage if keyword == "USER"]
    assert users, "the final stage has no USER line"
    user = users[-1].split(":", 1)[0]
    assert user.isdigit(), f"USER {users[-1]}: runAsNonRoot can only verify a numeric uid"
    assert int(user) != 0
    assert int(user) == 10001


def test_the_final_stage_contains_no_build_tools(final_stage: list[tuple[str, str]]) -> None:
    for keyword, arguments in final_stage:
        if keyword in ("RUN", "FROM", "COPY"):
            assert not BUILD_TOOLS.search(arguments), f"{keyword} {arguments}"


def test_the_final_stage_takes_only_the_virtualenv_from_the_builder(
    dockerfile: str, final_stage: list[tuple[str, str]]
) -> None:
    builder = stages(dockerfile)[0][0][1].split()[-1]
    copies = [arguments.split() for keyword, arguments in final_stage if keyword == "COPY"]
    assert copies == [[f"--from={builder}", "/opt/venv", "/opt/venv"]]


def test_both_stages_start_from_the_same_pinned_python_3_11_slim_image(dockerfile: str) -> None:
    bases = {stage[0][1].split()[0] for stage in stages(dockerfile)}
    assert bases == {"${PYTHON_IMAGE}"}
    default = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    assert default, "no default for PYTHON_IMAGE"
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", default.group(1))


def test_the_builder_installs_the_project_with_pip_install_dot(dockerfile: str) -> None:
    runs = " ".join(arguments for keyword, arguments in stages(dockerfile)[0] if keyword == "RUN")
    assert re.search(r"pip install (--no-deps )?\.(\s|$)", runs)


def test_the_entrypoint_is_python_dash_m_so_the_args_pick_the_module(
    final_stage: list[tuple[str, str]],
) -> None:
    entrypoints = [arguments for keyword, arguments in final_stage if keyword == "ENTRYPOINT"]
    assert [json.loads(e) for e in entrypoints] == [["python", "-m"]]


def test_the_runtime_never_writes_bytecode(final_stage: list[tuple[str, str]]) -> None:
    env = " ".join(arguments for keyword, arguments in final_stage if keyword == "ENV")
    assert re.search(r"\bPYTHONDONTWRITEBYTECODE=1\b", env)


def test_the_build_context_is_an_allow_list_of_what_the_dockerfile_copies(dockerfile: str) -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "start from nothing, so .git, .venv and data never reach the daemon"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    copied = {
        source.rstrip("/").removeprefix("./")
        for keyword, arguments in instructions(dockerfile)
        if keyword == "COPY" and "--from" not in arguments
        for source in arguments.split()[:-1]
    }
    assert copied == allowed


def test_the_final_stage_installs_tesseract_with_english_data_for_ocr(final_stage: list[tuple[str, str]]) -> None:
    runs = " ".join(arguments for keyword, arguments in final_stage if keyword == "RUN")
    assert re.search(r"apt-get install .*\btesseract-ocr\b.*\btesseract-ocr-eng\b", runs)
    assert "rm -rf /var/lib/apt/lists/*" in runs
