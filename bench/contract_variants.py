"""Generated contract variants for the contract_review evaluation: clauses cut out, clauses negated.

A label span (a verbatim part of a sentence, whitespace- and markup-insensitive) is located in
the document's text and widened to its clause (paragraph or list item); :func:`cut` deletes them,
:func:`negate_sentence` rewrites one obligation into its negation with generic rules on the
modal or main verb ("shall delete" -> "shall not be required to delete", "permits audits" ->
"does not permit audits", "may object" -> "may not object"). Nothing here knows a document.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

_GAP = r"[\s*_`\\]+"
_CLAUSE_NUMBER = r"\d+\.(?:\d+\.)*\d*"
"""A clause number at a line start: "2.", "2.1", "6.1.3" (not a bare "2024")."""
_START = re.compile(rf"(?:[.!?]\s+|\n\s*\n|\n\s*(?:[*\-•]|{_CLAUSE_NUMBER}|\(\w+\))\s+|\n#+\s|\n\|)")
_END = re.compile(rf"(?:[.!?](?=\s|$)|\n\s*\n|\n\s*(?:[*\-•]|{_CLAUSE_NUMBER}|\(\w+\))\s)")


_MARKUP = r"[*_`\\]*"
"""Emphasis and escapes may also sit inside a word or before its punctuation ("(“**Legal Purpose**”)",
"section 3\\."), as the labels' own matching ignores them."""


_MARKUP_RUN = re.compile(r"([*_`\\]+)")


def _pattern(span: str) -> str:
    return _GAP.join(_word(w) for w in span.replace("’", "'").split())


def _word(word: str) -> str:
    """A span's word as a pattern: markup may sit between its letters; a run of markup characters in the span itself
    (a form's blank "______") matches any run of them, once, so that no run is matched in exponentially many ways."""
    pieces: list[str] = []
    for part in _MARKUP_RUN.split(word):
        if not part:
            continue
        if _MARKUP_RUN.fullmatch(part):
            pieces.append("[*_`\\\\]+")
        else:
            pieces.append(_MARKUP.join("['’]" if c == "'" else re.escape(c) for c in part))
    return "".join(pieces)


def locate(text: str, span: str) -> tuple[int, int] | None:
    """Where ``span`` first is in ``text`` (whitespace, emphasis and escapes may differ), or None."""
    found = locate_all(text, span)
    return found[0] if found else None


def locate_all(text: str, span: str) -> list[tuple[int, int]]:
    """Every place ``span`` is in ``text``; a span copied from HTML source ("&sect; 8") also where ``text``
    is the page's text ("§ 8")."""
    found = [(m.start(), m.end()) for m in re.finditer(_pattern(span), text, re.IGNORECASE)]
    if not found and "&" in span:
        found = [(m.start(), m.end()) for m in re.finditer(_pattern(html.unescape(span)), text, re.IGNORECASE)]
    return found


def sentence_at(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or list item) around ``text[start:end]``, which may end with its full stop."""
    begin = 0
    for match in _START.finditer(text, 0, start):
        begin = match.end()
    stop = _END.search(text, max(start, end - 1))
    if stop is None:
        return begin, len(text)
    # A sentence ends with its full stop; at a line break it ends before the next paragraph or
    # list mark ("(ii) ... ;\n(iii) ..."), which belongs to the next item.
    return begin, (stop.start() if stop.group(0).startswith("\n") else stop.end())


_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*(?:[*\-•]|\d+(?:\.\d+)*\.?|\(\w+\)|\*\*\d)\s)")
_LIST_ITEM = re.compile(
    r"\s*\n\s*(?:[*\-•]|\d+\.(?:\d+\.?)*|\([a-z0-9]+\)|[a-z]\.|[ivx]{1,5}\.|[A-Z](?:\.\w+)+\.?)\s+\S"
)
"""A list item's mark: a bullet, "2.", "4.1.2", "(c)", "c.", "iv." or an outline number ("H.1.a.")."""
_OUTLINE_NUMBER = re.compile(r"\s*(\d+(?:\.\w+)*|[A-Z](?:\.\w+)+)\.?\s")
"""A clause's number, digits or an outline's ("4.1", "H.1.a"): an item's extends its lead-in's."""
MAX_CLAUSE_CHARS = 1500
"""A paragraph longer than this (a PDF page without blank lines) is cut sentence by sentence."""


def clause_at(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph or list item around ``text[start:end]`` (its sentence when very long)."""
    begin = 0
    for match in _PARAGRAPH.finditer(text, 0, start):
        begin = match.end()
    stop = _PARAGRAPH.search(text, end)
    finish = stop.start() if stop else len(text)
    if finish - begin > MAX_CLAUSE_CHARS:
        return sentence_at(text, start, end)
    if text[begin:finish].rstrip().endswith(":"):
        # A lead-in ("... the following categories:") takes its list items with it.
        own = _OUTLINE_NUMBER.match(text, begin)
        while True:
            item = _LIST_ITEM.match(text, finish)
            if item is None:
                break
            number = _OUTLINE_NUMBER.match(text, item.start())
            if number is not None and _next_clause(number.group(1), own.group(1) if own else None):
                break
            following = _PARAGRAPH.search(text, item.end())
            finish = following.start() if following else len(text)
    return begin, finish


def _next_clause(number: str, lead_in: str | None) -> bool:
    """Whether a numbered paragraph after a lead-in numbered ``lead_in`` is the next clause rather than
    one of its items: "4.1.2" under "4.1 ...:" is its item, "4.2" the next clause, and so are "H.2"
    after "H.1 ...:" and "6." after "5.2 ...:" (an item "1." restarts the numbering under it)."""
    if "." in number:
        return lead_in is None or not number.startswith(lead_in + ".")
    top = lead_in.split(".")[0] if lead_in else ""
    return top.isdigit() and int(number) > int(top)


def _merge(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    found.sort()
    merged: list[tuple[int, int]] = []
    for begin, stop in found:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(stop, merged[-1][1]))
        else:
            merged.append((begin, stop))
    return merged


def clauses_of(text: str, spans: Iterable[str]) -> list[tuple[int, int]]:
    """The clauses (paragraphs, list items) holding ``spans``, merged and in document order. A
    lead-in ("Courier agrees it will:") whose every list item is among them goes with them: cut
    of all it introduces, it would introduce nothing, and a drafter deleting those terms deletes
    it too."""
    found = _merge([clause_at(text, *where) for span in spans for where in locate_all(text, span)])
    extra: list[tuple[int, int]] = []
    for begin, _ in found:
        line_start = text.rfind("\n", 0, begin) + 1
        if begin != line_start or not _ITEM_MARK.match(text, line_start):
            continue
        lead = lead_in(text, line_start)
        if lead is None:
            continue
        lead_start = lead[0]
        whole = clause_at(text, lead_start, lead_start + 1)
        lead_end = text.find(":", lead_start) + 1
        items = text[lead_end : whole[1]]
        inside = [(max(a, lead_end), min(b, whole[1])) for a, b in found if b > lead_end and a < whole[1]]
        kept = cut(items, [(a - lead_end, b - lead_end) for a, b in inside])
        if not kept.strip():
            extra.append(whole)
    return _merge(found + extra)


def sentences_of(text: str, spans: Iterable[str]) -> list[tuple[int, int]]:
    """The sentences holding ``spans``, merged and in document order."""
    return _merge([sentence_at(text, *where) for span in spans for where in locate_all(text, span)])


def cut(text: str, ranges: Iterable[tuple[int, int]]) -> str:
    """``text`` without the given ranges."""
    out: list[str] = []
    last = 0
    for begin, stop in sorted(ranges):
        out.append(text[last:begin])
        last = max(last, stop)
    out.append(text[last:])
    return " ".join(part for part in out)


_MODAL_BE = re.compile(r"\b(shall|will|must)\s+be\b", re.IGNORECASE)
_INSERT_OPENER = (
    r"(?:and|or|upon|on|at|in|subject|taking|where|when|whenever|if|to|as|with|without|for|following|after|"
    r"before|unless|including|except|save|within|by|from|under|insofar|having|always|however|where\w+)"
)
"""The first word of a phrase inserted after a modal ("shall, upon request, and subject to ...,")."""
_MODAL_INSERT = re.compile(
    r"\b(shall|will|must),\s+((?:(?!\b(?:shall|will|must)\b)[^;.]){1,240}?),\s+"
    rf"(?!not\b)(?!{_INSERT_OPENER}\b)(?=[a-z])",
    re.IGNORECASE,
)
"""A modal with an inserted phrase before its verb: "shall, at the choice of Customer, delete";
the phrase may hold commas ("shall, upon request, and subject to the limitations, return"): it
ends before the first word after a comma that opens no phrase (the verb)."""
_MODAL_NOT = re.compile(r"\b(shall|will|must)\s+not\s+(?:on\s+\w+\s+own\s+authority\s+)?(\w+)", re.IGNORECASE)
_MODAL = re.compile(r"\b(shall|will|must)(?:\s+|:\s*(?=\(\w{1,4}\)\s))(?!not\b)", re.IGNORECASE)
"""A duty's modal, also before an inline list ("Provider will: (a) notify ...; (b) ...")."""
_OBLIGED = re.compile(r"\b(is|are)\s+(obliged|obligated|required|bound|committed)\s+to\b", re.IGNORECASE)
_UNDERTAKE = re.compile(r"\b(undertakes?|agrees?|commits?|warrants?)\s+to\b", re.IGNORECASE)
_RIGHT = re.compile(r"\b(has|have)\s+the\s+right\s+to\b", re.IGNORECASE)
_MAY = re.compile(r"\b(may|can)(?:\s+|,\s+(?=[^,;.]{1,120},))(?!not\b)(?!no\b)(?!never\b)", re.IGNORECASE)
"""A permission, also with an inserted phrase ("Customer may, at regular intervals, audit"); not an
ability already negated ("if it can no longer meet its obligations", a condition: negating it wrote
"can not no longer")."""
_MAY_NOT = re.compile(r"\b(?:(?:may|can)\s+not|cannot|(?:shall|will|must|may)?\s*never)\b", re.IGNORECASE)
_AGREE_NOT = re.compile(r"\b(?:agrees?|undertakes?|commits?|covenants?)\s+not\s+to\b", re.IGNORECASE)
_PROHIBITED = re.compile(r"\b(is|are)\s+(prohibited|forbidden|barred|precluded)\s+from\b", re.IGNORECASE)
_VERB = re.compile(
    r"\b(processes|ensures|implements|uses|assists|forwards|provides|notifies|informs|allows|permits|"
    r"deletes|returns|remains|maintains|takes(?!\s+place)|imposes|binds|supports|applies|engages|makes|offers|entrusts)\b",
    re.IGNORECASE,
)


_PLURAL_VERB = re.compile(
    r"\b(we|they|you)\s+(?:also\s+)?(process|ensure|implement|use|assist|forward|provide|notify|inform|allow|permit|"
    r"delete|return|remain|maintain|take|impose|bind|support|apply|engage|make|offer|keep|entrust|employ)\b",
    re.IGNORECASE,
)
"""A present-tense duty of a plural or second-person party: "We implement ... measures"."""
_SUBJECT_TO = re.compile(r"\b(is|are)\s+subject\s+to\b", re.IGNORECASE)
"""A thing made subject to a safeguard: "such transfers are subject to the SCCs"."""
_ADVERB = re.compile(r"\b(\w+ly)\s+$", re.IGNORECASE)
"""An adverb right before a present-tense duty verb ("immediately informs"): it goes after the
negation ("does not immediately inform")."""
_NOT_A_DUTY = re.compile(r"\s*(?:apply|require|govern|prevail|take\s+place|occur|have\s+effect)\b", re.IGNORECASE)
"""After a modal, a verb that states how a thing applies, not a party's act: "the SCCs shall apply",
"Any transfer shall require consent" are negated "shall not apply", not "shall not be required to
apply"."""
_RIGHT_AFTER_MODAL = re.compile(r"\s*have\s+the\s+right\s+to\b", re.IGNORECASE)


def _modal(m: re.Match[str]) -> str:
    """A modal's duty taken away: "shall delete" -> "shall not be required to delete"; a thing's
    application ("the SCCs shall apply") -> "shall not apply". (A right, "shall have the right to
    audit", is taken away in :func:`negate_sentence`: "shall have no right to audit".)"""
    if _NOT_A_DUTY.match(m.string, m.end()):
        return f"{m.group(1)} not "
    return f"{m.group(1)} not be required to" + (": " if ":" in m.group(0) else " ")


def _base(verb: str) -> str:
    lower = verb.lower()
    if not lower.endswith("s"):
        return lower  # already the base form ("agree")
    if lower.endswith("ies"):
        return lower[:-3] + "y"
    if lower.endswith(("sses", "shes", "ches", "xes")):
        return lower[:-2]
    return lower[:-1]


_INFINITIVE = re.compile(
    r"^(\s*(?:\d+\.\s*)?)to\s+(?!(?:this|that|the|such|these|those|its|their|all|any|an?)\b)", re.IGNORECASE
)
"""A duty stated as an infinitive under a lead-in ("to notify ..."), not "To this end, ..." or "To the
extent ..."."""
_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_INFINITIVE, lambda m: f"{m.group(1)}the processor is not required to "),
    # "shall not appoint a Subprocessor unless authorized" negated is "may appoint a Subprocessor
    # whether or not authorized", and so is "except" (see negate_sentence); "without"/"other than"
    # stay as they are.
    (_MODAL_NOT, lambda m: f"may {m.group(2)}"),
    # A prohibition negated is a permission: "may not sell" -> "may sell", "agrees not to
    # combine" -> "may combine", "is prohibited from selling" -> "is not prohibited from selling".
    (_MAY_NOT, lambda m: "may"),
    (_AGREE_NOT, lambda m: "may"),
    (_PROHIBITED, lambda m: f"{m.group(1)} not {m.group(2)} from"),
    (_MODAL_BE, lambda m: f"{m.group(1)} not be"),
    (_MODAL_INSERT, lambda m: f"{m.group(1)} not be required, {m.group(2)}, to "),
    (_OBLIGED, lambda m: f"{m.group(1)} not {m.group(2)} to"),
    # "undertakes to" -> "does not undertake to"; "You agree to" -> "You do not agree to".
    (_UNDERTAKE, lambda m: f"{'does' if m.group(1)[-1:].lower() == 's' else 'do'} not {_base(m.group(1))} to"),
    (_RIGHT, lambda m: f"{m.group(1)} no right to"),
    (_MODAL, _modal),
    (_VERB, lambda m: f"does not {_base(m.group(1))}"),
    (_PLURAL_VERB, lambda m: f"{m.group(1)} do not {m.group(2)}"),
    (_SUBJECT_TO, lambda m: f"{m.group(1)} not subject to"),
    (_MAY, lambda m: f"{m.group(1)} not{',' if ',' in m.group(0) else ''} "),
)
_UNLESS = re.compile(r"\b(?:unless|except)\b", re.IGNORECASE)
FOCUS_BEFORE = 100
"""A rule applies to the obligation the labelled span is about: a match at most this many
characters before the span, or inside it."""
FOCUS_AFTER = 40
"""With no match there, the nearest match before the span, or at most this many characters after it
in its clause (the span as the duty's subject: "Any transfer to a third country shall require")."""


def obligation_at(sentence: str, focus: tuple[int, int] | None = None) -> re.Match[str] | None:
    """The wording that states the sentence's obligation near ``focus`` (a modal, "undertakes to",
    a present-tense duty verb, a prohibition ...), as a match of one of the rules' patterns; None
    when no rule matches near it."""
    begin, stop = focus if focus is not None else (0, len(sentence))
    # The verb nearest the span is the obligation it states ("Provider will assist with any
    # request Customer cannot satisfy" negates "will assist", not "cannot"); rules in order
    # break ties at one place ("shall be" before "shall").
    found = [(order, m) for order, (pattern, _) in enumerate(_RULES) for m in pattern.finditer(sentence)]
    # A verb in a leading condition ("If a data subject makes a request, ...", "To the extent that
    # Customer makes a transfer, ...") is not the obligation: the main clause's is.
    condition = _LEADING_CONDITION.match(sentence)
    main = [(order, m) for order, m in found if condition is None or m.start() >= condition.end()]
    if main and condition is not None and begin < condition.end():
        # The span is in the condition: the duty is the main clause's, right after it.
        begin, stop = condition.end(), len(sentence)
    found = main or found
    near = [(abs(m.start() - begin), order, m) for order, m in found if begin - FOCUS_BEFORE <= m.start() <= stop]
    # A span far after its sentence's duty ("Retool shall ensure that all Retool personnel (...)
    # who Retool authorises to Process any Relevant Personal Data have entered into ...
    # confidentiality obligations") is still that duty's object, and so is a subject far before
    # it in its clause ("Any transfer ... shall require"); a duty past a ";" is another one.
    near = near or [
        (abs(m.start() - begin), order, m)
        for order, m in found
        if m.start() <= begin or (m.start() - stop <= FOCUS_AFTER and not re.search("[;:]", sentence[stop : m.start()]))
    ]
    return min(near, key=lambda item: (item[0], item[1]))[2] if near else None


_LEADING_CONDITION = re.compile(
    r"(?:[^\n]*\n)?\s*(?:(?:[*\-•]|\d+(?:\.\d+)*\.?|\(\w+\)|\*\*\d+(?:\.\d+)*\.?\*\*)\s+)?"
    r"(?:if|where|when|whenever|to\s+the\s+extent|insofar\s+as|in\s+the\s+event|should|once|provided\s+that)\b"
    r"[^,;:\n]*,\s",
    re.IGNORECASE,
)
"""A sentence's leading condition, up to its first comma ("If a data subject makes a request, ")."""


def negate_sentence(sentence: str, focus: tuple[int, int] | None = None) -> str:
    """The sentence with its obligation negated: the first rule with a match near ``focus``."""
    m = obligation_at(sentence, focus)
    if m is not None:
        right = _RIGHT_AFTER_MODAL.match(sentence, m.end()) if m.re is _MODAL else None
        if right is not None:
            return f"{sentence[: m.start()]}{m.group(1)} have no right to{sentence[right.end() :]}"
        adverb = _ADVERB.search(sentence, 0, m.start()) if m.re is _VERB else None
        if adverb is not None:
            # "immediately informs" -> "does not immediately inform".
            said = f"does not {adverb.group(1)} {_base(m.group(1))}"
            return sentence[: adverb.start()] + said + sentence[m.end() :]
        replace = next(rule for pattern, rule in _RULES if pattern is m.re)
        rest = sentence[m.end() :]
        if m.re in (_MODAL_NOT, _MAY_NOT, _AGREE_NOT):
            # A restriction lifted: its condition no longer binds ("may appoint ... whether or
            # not authorized", not "may appoint ... unless authorized" or "may transfer ...
            # except in compliance with the law", which permit nothing).
            clause = re.search(r"[;:.]", rest)
            stop = clause.start() if clause else len(rest)
            rest = _UNLESS.sub("whether or not", rest[:stop], count=1) + rest[stop:]
        return sentence[: m.start()] + replace(m) + rest
    # After a list mark or clause number ("* Process ...", "2.1.2 not Process ..."), so the
    # variant stays one list item or clause, as a drafter would write it.
    # A heading line run into the sentence ("4.1 Processing of Client Data\nConsultant will
    # ...") stays the heading: the negation opens the sentence under it.
    heading = _HEADING_LINE.match(sentence)
    start = heading.end() if heading else 0
    mark = _MARK.match(sentence, start)
    cut_at = mark.end() if mark else start
    # So does a run-in heading in bold ("**Deletion of Data.** Following termination ...").
    run_in = _RUN_IN_HEADING.match(sentence, cut_at)
    cut_at = run_in.end() if run_in else cut_at
    head, body = sentence[:cut_at], sentence[cut_at:]
    return head + WHOLE_STATEMENT + _lower_first(body)


WHOLE_STATEMENT = "It is not agreed that "
"""The fallback for a sentence that states no duty the rules can negate (a location, a fact, the
controller's authorisation "Customer gives Provider general authorisation to ..."): the whole
statement negated. The evaluation counts these variants apart: they negate no duty as a drafter
would."""


_COMMON_FIRST = re.compile(
    r"(?:the|a|an|all|any|each|every|such|this|these|those|if|where|when|whenever|upon|following|in|on|at|to|"
    r"for|with|without|unless|subject|during|after|before|insofar|notwithstanding|except|its|their|our|we|it|"
    r"they|personal|data|processing|no|none|both|either|neither)\b",
    re.IGNORECASE,
)


def _lower_first(text: str) -> str:
    """``text`` continuing a sentence: an opening common word lower-cased ("The Processor" ->
    "the Processor"), a name kept ("Berget is entitled" stays, so the party is still recognised)."""
    return text[:1].lower() + text[1:] if _COMMON_FIRST.match(text) else text


_HEADING_LINE = re.compile(r"[^\n]*[^\n.;:!?\s][ \t*_]*\n(?=\s*\S)")
_RUN_IN_HEADING = re.compile(r"(?:\*\*|__)[^*_\n]{1,100}(?:\*\*|__)\s+(?=\S)")


_MARK = re.compile(r"\s*(?:[*\-•]|\d+(?:\.\d+)*\.?|\([a-z0-9]+\)|\*\*\d+(?:\.\d+)*\.?\*\*)\s+")


_PROHIBITION = re.compile(
    r"\b(?:(?:shall|will|must|may|can)\s+not|cannot|(?:agrees?|undertakes?|commits?|covenants?)\s+not\s+to|"
    r"(?:is|are)\s+(?:prohibited|forbidden|barred|precluded)\s+from|(?:shall|will|must|may)?\s*never)\b",
    re.IGNORECASE,
)
_ITEM_MARK = re.compile(r"\s*(?:[*\-•]|\d+(?:\.\d+)*\.?|\([a-z0-9]+\))\s+")
_CLAUSE_START = re.compile(r"[,;:.]\s+|\n")


_NUMBER = re.compile(r"\s*(\d+(?:\.\d+)*)\.?\s")
_BULLET_NUMBER = re.compile(r"(?:\d+(?:\.\d+)+\.?|(?i:[ivx]{1,5})\.|\([a-z0-9]{1,4}\))\s+")
"""A bullet's own clause or item number ("* 2.1.2 ...", "- v. ...", "- (c) ...")."""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _introduces(line: str, item: str) -> bool:
    """Whether ``line`` (ending with ":") can introduce ``item``: it is less indented, carries no
    list mark, carries another kind of mark ("7.1." over "(ii)"), or a number the item's number
    extends ("2.1" over "2.1.2"); a sibling item ("5." before "8.") introduces nothing."""
    if _indent(line) < _indent(item) or not _ITEM_MARK.match(line):
        return True
    own, other = _NUMBER.match(item), _NUMBER.match(line)
    if own is None or other is None:
        return (own is None) != (other is None)
    return own.group(1).startswith(other.group(1) + ".")


def lead_in(text: str, item_start: int) -> tuple[int, str] | None:
    """For a list item starting at ``item_start``: where the lead-in paragraph that introduces its
    list (the nearest line before it ending with ":", over other items) starts and its text
    (joined into one line); None when the item follows anything else."""
    lines = text[:item_start].split("\n")
    item = text[item_start:].split("\n", 1)[0]
    index = len(lines) - 2  # the line before the item's own
    while index >= 0:
        line = lines[index]
        if line.strip().rstrip(" *_").endswith(":"):
            if not _introduces(line, item):
                return None
            break
        if line.strip() and not _ITEM_MARK.match(line) and not line[:1].isspace():
            return None
        index -= 1
    if index < 0:
        return None
    first = index
    while first > 0 and lines[first - 1].strip() and not _ITEM_MARK.match(lines[first - 1]):
        first -= 1
    paragraph = " ".join(line.strip() for line in lines[first : index + 1])
    return sum(len(line) + 1 for line in lines[:first]), paragraph


def prohibited_by(paragraph: str) -> str | None:
    """Whom a prohibiting lead-in ("Provider may not:", "Persona shall not, unless ... permitted
    by the CCPA:") binds: the words before its prohibition in their clause; None for any other."""
    return _bound_by(paragraph, _PROHIBITION)


_LAST_SENTENCE = re.compile(r"(?<=[^\d\s][.!?])\s+(?=[A-Z*_(\d])")
_DUTY_LEAD = re.compile(r"\b(?:shall|will|must|(?:agrees?|undertakes?|commits?)\s+to)\b", re.IGNORECASE)


def _bound_by(paragraph: str, modal: re.Pattern[str]) -> str | None:
    """The words before the last ``modal`` of ``paragraph`` in their clause (whom it binds)."""
    matches = list(modal.finditer(paragraph))
    if not matches:
        return None
    found = matches[-1]
    clause_start = 0
    for mark in _CLAUSE_START.finditer(paragraph, 0, found.start()):
        clause_start = mark.end()
    subject = paragraph[clause_start : found.start()].strip()
    subject = re.sub(r"^(?:and|but|that|it\s+agrees\s+that)\s+", "", subject, flags=re.IGNORECASE)
    return subject or None


def _statement(text: str) -> str:
    text = re.sub(r"\s*(?:;|,)?\s*(?:and|or)$", "", " ".join(text.split()).rstrip(" ;,"))
    return text if text.endswith((".", "!", "?")) else text + "."


Negator = Callable[[str, tuple[int, int] | None], str]
"""Rewrites a sentence with its obligation (near the focus span) negated."""


def negate_in_text(
    text: str, sentence: str, focus: tuple[int, int] | None = None, negate: Negator = negate_sentence
) -> tuple[str, str]:
    """``text`` with ``sentence`` (its first occurrence) negated, and the negated statement.

    A list item under a lead-in ending in ":" is negated as a drafter would write it, the item
    leaving the list for one sentence before the lead-in: under a prohibition ("Provider may
    not: - sell personal information") the act is permitted ("Provider may sell personal
    information."), never a double negation; under a duty ("Courier will: - maintain security
    measures") the lead-in's duty is negated with the item as its object ("Courier will not be
    required to maintain security measures."). Anything else is rewritten in place by
    ``negate`` (by default :func:`negate_sentence`)."""
    where = text.find(sentence)
    if where >= 0:
        line_start = text.rfind("\n", 0, where) + 1
        mark = _ITEM_MARK.match(text, line_start)
        # A bullet may carry its own clause number ("* 2.1.2 not Process ..."): the item's words
        # start after it.
        numbered = _BULLET_NUMBER.match(text, mark.end()) if mark is not None else None
        item_start = numbered.end() if numbered is not None else mark.end() if mark is not None else -1
        lead = lead_in(text, line_start) if mark and item_start >= where else None
        if mark is not None and lead is not None:
            lead_start, paragraph = lead
            body = " ".join(text[item_start : where + len(sentence)].split())
            subject = prohibited_by(paragraph)
            negative_item = re.match(r"(?:not|never)\s+", body, re.IGNORECASE)
            if subject is None and negative_item is not None:
                # A prohibition as an item of a duty lead-in ("Processor shall: - not process
                # ... other than on instructions"): permitted the same way.
                subject = _bound_by(paragraph, _DUTY_LEAD)
                body = body[negative_item.end() :]
            if subject is not None:
                statement = _statement(f"{subject} may {body[:1].lower()}{body[1:]}")
            else:
                # The duty the list completes is the lead-in's last sentence's ("The Client
                # undertakes to ... . The Processor undertakes to: - ...").
                intro = _LAST_SENTENCE.split(paragraph.rstrip(" *_").removesuffix(":").rstrip())[-1]
                statement = _statement(negate(f"{intro} {body[:1].lower()}{body[1:]}", (0, len(intro))))
            if WHOLE_STATEMENT not in statement:
                without = text[:line_start] + text[where + len(sentence) :]
                return without[:lead_start] + statement + "\n\n" + without[lead_start:], statement
    negated = negate(sentence, focus)
    return text.replace(sentence, negated, 1), negated
