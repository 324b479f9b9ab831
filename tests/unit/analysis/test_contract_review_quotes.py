"""Quotes are clean text: Markdown and HTML markup never reaches an excerpt, and each excerpt is
found in the (cleaned) paragraph of the original file that its paragraph number names."""

from __future__ import annotations

import re
from pathlib import Path

from fixtures.contracts import docgen
from fixtures.contracts.support import STATUS, context, fixture_text, lexical_analyzer, params

from assay.analysis.analyzers.contract_review.sentence_kind import clean_markup

_MARKUP = re.compile(r"<[a-z/]|\*\*|\]\(|&amp;|&nbsp;|~~|!\[|\\\*")


def test_markup_of_every_kind_is_removed_from_a_sentence() -> None:
    assert clean_markup(
        '<span class="c1">The **Processor**</span> shall delete [all data](https://x.example/a_b) '
        "&amp; copies within 30&nbsp;days, see ~~Annex 1~~ [Annex 2][a2] ![seal](seal.png) or <https://x.example>."
    ) == "The Processor shall delete all data & copies within 30 days, see Annex 1 Annex 2 or https://x.example."
    assert clean_markup("<li>Delete all *personal* data.</li>") == "Delete all personal data."


def _decorate(paragraph: str, index: int) -> str:
    """One paragraph of the fixture DPA written the way Markdown exports of real DPAs write it."""
    number = re.match(r"^(\d+(?:\.\d+)*)\s+(.*)$", paragraph)
    if number is not None:
        paragraph = f"**{number.group(1)}** {number.group(2)}"
    paragraph = paragraph.replace("Processor", '<span class="party">Processor</span>', 1)
    paragraph = paragraph.replace("personal data", "[personal data](https://dpa.example/defs#pd)", 1)
    paragraph = paragraph.replace(" and ", " &amp; ", 1) if index % 3 == 0 else paragraph
    return f"<li>{paragraph}</li>" if index % 5 == 4 and not paragraph[:1].isdigit() else paragraph


def test_markdown_quotes_are_clean_and_name_the_original_paragraph(tmp_path: Path) -> None:
    items = docgen.paragraphs(fixture_text("eu_dpa.txt"))
    source = [_decorate(p, i) for i, p in enumerate(items)]
    path = tmp_path / "dpa.md"
    path.write_text("\n\n".join(source), encoding="utf-8")
    result = lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), files=[path])).contract_review
    evidence = [e for f in result.requirements for e in f.evidence]
    assert evidence and all(f.status == STATUS.STATUS_PRESENT for f in result.requirements)
    for item in evidence:
        assert _MARKUP.search(item.excerpt) is None, item.excerpt
        assert item.excerpt in clean_markup(source[item.paragraph - 1]), (item.paragraph, item.excerpt)


def test_typographic_ligatures_are_read_and_quoted_as_their_letters(tmp_path: Path) -> None:
    # 1.23.0: a text copied from a PDF keeps "conﬁdentiality" (U+FB01): no confidentiality pattern read it,
    # and a quote kept the ligature.
    text = fixture_text("eu_dpa.txt").replace("fi", "ﬁ").replace("ffl", "ﬄ")
    assert "conﬁdential" in text
    path = tmp_path / "dpa.txt"
    path.write_text(text, encoding="utf-8")
    result = lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), files=[path])).contract_review
    found = {f.requirement_id: f for f in result.requirements}
    confidentiality = found["art28-3b-confidentiality"]
    assert confidentiality.status == STATUS.STATUS_PRESENT
    assert any("confidential" in e.excerpt for e in confidentiality.evidence)
    assert all(not re.search("[ﬀ-ﬆ]", e.excerpt) for f in result.requirements for e in f.evidence)
