"""Render every kustomize overlay under deploy/k8s once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S_DIR = REPO / "deploy" / "k8s"
OVERLAYS = sorted(path.name for path in (K8S_DIR / "overlays").iterdir() if (path / "kustomization.yaml").is_file())

Manifest = dict[str, Any]


@pytest.fixture(scope="session")
def kubectl() -> str:
    """Path of the kubectl that renders the overlays (``$KUBECTL`` wins over ``$PATH``)."""
    path = os.environ.get("KUBECTL") or shutil.which("kubectl")
    if not path:
        pytest.skip(
            "kubectl is not installed, so deploy/k8s cannot be rendered (Debian: apt-get install kubernetes-client)"
        )
    return path


@pytest.fixture(scope="session")
def render(kubectl: str) -> Callable[[str], list[Manifest]]:
    """Render one overlay with ``kubectl kustomize`` and parse it; cached per overlay."""
    cache: dict[str, list[Manifest]] = {}

    def _render(overlay: str) -> list[Manifest]:
        if overlay not in cache:
            result = subprocess.run(
                [kubectl, "kustomize", str(K8S_DIR / "overlays" / overlay)],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if result.returncode != 0:
                pytest.fail(f"kubectl kustomize overlays/{overlay} failed:\n{result.stderr}")
            cache[overlay] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
        return cache[overlay]

    return _render


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    """Name of each overlay in turn (dev, prod)."""
    return str(request.param)


@pytest.fixture
def docs(render: Callable[[str], list[Manifest]], overlay: str) -> list[Manifest]:
    """The rendered documents of the overlay under test."""
    return render(overlay)


@pytest.fixture
def dev(render: Callable[[str], list[Manifest]]) -> list[Manifest]:
    """The rendered dev overlay."""
    return render("dev")


@pytest.fixture
def prod(render: Callable[[str], list[Manifest]]) -> list[Manifest]:
    """The rendered prod overlay."""
    return render("prod")
