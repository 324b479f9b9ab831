"""The project documents itself: every relative link in README.md and docs/ resolves inside the clone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted(ROOT.glob("*/**/README.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _relative_links(doc: Path) -> list[str]:
    targets = LINK.findall(doc.read_text())
    return [target for target in targets if "://" not in target and not target.startswith("mailto:")]


@pytest.mark.parametrize("doc", [d for d in DOCS if ".venv" not in d.parts and "node_modules" not in d.parts],
                         ids=lambda d: str(d.relative_to(ROOT)))
def test_relative_links_in_the_docs_resolve_inside_the_repository(doc: Path) -> None:
    for target in _relative_links(doc):
        resolved = (doc.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc.name} links outside the clone: {target}"
        assert resolved.exists(), f"{doc.name} links to a missing file: {target}"


def test_the_architecture_document_exists_and_the_readme_links_it() -> None:
    assert (ROOT / "docs" / "architecture.md").is_file()
    assert "docs/architecture.md" in _relative_links(ROOT / "README.md")
