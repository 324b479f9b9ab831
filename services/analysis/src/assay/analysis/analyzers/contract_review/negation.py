"""Negation and gutting of an obligation within one sentence.

A sentence *contradicts* a requirement when the requirement's operative concept (a playbook
``operative`` pattern, e.g. ``delet|return|destroy`` for deletion) lies in the scope of

- a duty taken away ("not be required to", "does not undertake to", "no obligation to"),
  anywhere before the concept or a duty verb in the same clause, or after the concept as the
  clause's subject ("Any transfer to a third country shall not be required to ...");
- a negation cue ("not", "never", "no obligation", "under no circumstances"...) at most
  ``SCOPE_WORDS`` words before it or before a duty verb ("notify", "delete", "permit"...),
  within the same clause (no ``;`` or ``:`` or sentence end in between), unless the negation
  is a restriction, i.e. followed by an exception such as "without", "unless", "other than",
  "except" or "of its own authority" ("shall not engage a sub-processor without prior
  authorisation" restricts, it does not negate), or preceded by a condition ("only if the audit
  does not impose a threat"); "It is not agreed that ..." negates all of it;
- discretionary wording in the clause that names the concept, turning the duty into an option
  or a substitute: "reserves the right to", "at its (sole) discretion", "limited to (providing
  its) third-party reports", "reports only", an exception that hands the decision back to the
  processor ("except where it decides otherwise", "as it sees fit"); or retention
  "indefinitely" ("unless required by law" is the exception Art. 28(3)(g) itself makes, not a
  gutting);
- "no" before the thing owed ("no on-site inspections will be permitted", "no notice will be
  given"; not "no later than");
- a permission with an exception: "may process personal data other than on instructions",
  "may engage sub-processors without notice".

Nothing here knows a particular document: the cues are ordinary English drafting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SCOPE_WORDS = 8
"""A cue governs an operative word at most this many words after it."""
BAN_WORDS = 4
"""A negation bans a restricted act named at most this many words after it."""
CONDITION_WORDS = 10
"""A condition ("if", "unless", "where") at most this many words before a cue makes it no
negation ("If the Service Provider concludes it can no longer comply, it will notify ...")."""

_CUE = re.compile(
    r"\b(?:not(?!\s+(?:limited|restricted)\s+to)(?!\s+only\b)"
    # "not refuse", "not unreasonably withhold": a negated refusal keeps the duty.
    r"(?!\s+(?:unreasonably\s+)?(?:refuse|decline|reject|withhold|prevent|obstruct|hinder|deny)\w*)|never|no\s+longer|cannot|neither|nor)\b|n't\b|"
    r"\bno\b(?!\s+(?:later|less|more|fewer|sooner|event|case|circumstances|other|longer|obligation|duty|right|"
    r"requirement|responsibility|liability)\b)(?=\s+(?:[\w-]+\s+){0,2}?(?:audits?|inspections?|visits?|access|notice|"
    r"notification|assistance|copies|deletion|return|information)\b)|"
    r"\bno\s+(?:obligation|duty|right|requirement|responsibility|liability)\b|\bunder\s+no\b|"
    r"\bfree\s+to\s+(?:refuse|decline)\b|\b(?:refuses?|declines?)\s+to\b|"
    r"\b(?:may|can|is\s+(?:free|entitled|permitted)\s+to)\s+(?:refuse|decline|reject|withhold)\b",
    re.IGNORECASE,
)
_STRONG = re.compile(
    r"\b(?:not|never)\s+(?:be\s+)?(?:required|obliged|obligated|bound|committed|responsible)"
    r"(?:\s*,\s*[^,;:.]{1,120}?,\s*|\s+)to\b|"
    r"\b(?:does|do|shall|will)\s+not\s+(?:undertake|commit|agree)\s+to\b|"
    r"\bno\s+(?:obligation|duty|responsibility)\s+(?:to|of|for)\b|\bneed\s+not\b|\bnot\s+be\s+obliged\b",
    re.IGNORECASE,
)
"""A duty explicitly taken away: it negates whatever the rest of the clause would oblige; a phrase
may stand between ("shall not be required, taking into account the nature of processing, to
assist")."""
_CONDITION = re.compile(
    r"\b(?:if|unless|provided\s+that|where|insofar\s+as|so\s+as|in\s+order|whether)\b", re.IGNORECASE
)
"""Before a cue, a condition or purpose: "only if the audit may not impose a threat" is no negation."""
_DISCRETION = re.compile(
    r"\breserves?\s+the\s+right\s+(?:\(?but\s+not\s+the\s+obligation\)?\s+)?to\b|"
    r"\bat\s+(?:its|their|his|the\s+processor's|the\s+supplier's)\s+(?:(?:sole|absolute|own|reasonable)\s+)?"
    r"discretion\b|"
    r"\bindefinitely\b|\b(?:(?:solely|only|exclusively)\s+(?:by\s+way\s+of|by|through)|(?:limited|restricted)\s+"
    r"(?:solely\s+|only\s+|exclusively\s+)?to)(?:\s+(?!audits?\b|inspections?\b)[\w'’-]+){0,6}?\s+"
    r"(?:reports?|certifications?|certificates?|summar\w+|attestations?)\b|"
    r"\b(?:reports?|certifications?|certificates?|summar\w+|attestations?)\s+only\b|"
    # The exception hands the decision back to the processor: "except where it decides otherwise".
    r"\b(?:except|unless|save|other\s+than)\s+(?:where|when|if|as|to\s+the\s+extent)?\s*(?:it|they|we|the\s+"
    r"(?:processor|supplier|vendor|provider|contractor|consultant)s?)\s+(?:otherwise\s+)?(?:decides?|chooses?|elects?|"
    r"determines?|considers?|deems?|prefers?|wishes?|sees?\s+fit)\b|"
    r"\b(?:as|whenever|when|where|if)\s+(?:it|they|we|the\s+(?:processor|supplier|vendor|provider))\s+(?:so\s+)?"
    r"(?:sees?\s+fit|deems?\s+(?:it\s+)?(?:fit|appropriate)|thinks?\s+(?:it\s+)?fit|"
    r"considers?\s+(?:it\s+)?(?:appropriate|fit)|chooses|elects|wishes|prefers)\b|"
    # The judgement, or the choice, is the processor's own: "as determined by the Processor",
    # "in its sole judgement", "at the Processor's option", "may choose whether to".
    r"\b(?:as|where|when)\s+(?:determined|decided|judged)\s+by\s+(?:it|them|us|the\s+(?:processor|supplier|vendor|"
    r"provider))\b|"
    r"\bin\s+(?:its|their|our|the\s+(?:processor|supplier|vendor|provider)['’]s)\s+(?:sole|absolute)\s+"
    r"(?:judge?ment|opinion)\b|"
    r"\bat\s+(?:its|their|our|the\s+(?:processor|supplier|vendor|provider)['’]s)\s+(?:(?:sole|absolute|own)\s+)?"
    r"(?:option|election|choice)\b|"
    r"\b(?:it|they|we|the\s+(?:processor|supplier|vendor|provider))\s+(?:may|can)\s+(?:choose|decide|elect)\s+"
    r"whether\b",
    re.IGNORECASE,
)
_WHOLE_SENTENCE = re.compile(
    r"\b(?:it\s+is|does|do|shall|will)\s+not\s+(?:agreed|intended|the\s+case|warranted|guaranteed|"
    r"warrant|guarantee|represent|agree)\s+that\b",
    re.IGNORECASE,
)
"""Negation of the whole statement that follows ("It is not agreed that the processor ...")."""
_PERMISSION = re.compile(r"\b(?:may|can|is\s+(?:free|entitled|permitted)\s+to)\b", re.IGNORECASE)
_EXCEPTION = re.compile(
    r"\b(?:without(?!\s+(?:undue\s+)?delay)(?!\s+prejudice)|unless|except|excluding|other\s+than|otherwise\s+than|save\s+(?:as|where|for|to)|beyond|"
    r"outside|apart\s+from|prior\s+to|before|until|for\s+(?:its|their|his)\s+own|"
    r"(?:on|of|by)\s+(?:its|their|his)\s+own\s+(?:authority|initiative|account)|"
    r"for\s+any\s+(?:other\s+)?purpose)\b",
    re.IGNORECASE,
)
_DUTY = re.compile(
    r"\b(?:notif|inform|assist|help|support|provid|allow|permit|ensur|make\s+available|delet|return|destr|"
    r"implement|maintain|process|forward|submit|cooperat|comply|impos|remain|obtain|give|bind|keep|follow|"
    r"enforc|establish|uphold|adopt|take|respect|observe|honou?r|guarantee|treat|train|entrust|report|"
    r"document|audit|inspect)\w*",
    re.IGNORECASE,
)
"""Duty verbs: in a sentence about the obligation, negating one of them negates the obligation."""
_LOOPHOLE = re.compile(
    r"\b(?:without(?!\s+(?:undue\s+)?delay)(?!\s+prejudice)|other\s+than|otherwise\s+than|for\s+(?:its|their|his)\s+own|"
    r"for\s+any\s+(?:other\s+)?purpose|regardless\s+of|irrespective\s+of|whether\s+or\s+not)\b",
    re.IGNORECASE,
)
"""After a permission, wording that escapes the obligation: "may engage sub-processors without notice",
"may appoint a sub-processor whether or not authorised"."""
_BROADENED = re.compile(r"\b(?:may|can|is\s+(?:free|entitled|permitted)\s+to)\s+not\s+only\b", re.IGNORECASE)
"""A permission widened past the obligation: "may not only process ... on instructions" (but
also otherwise). "shall not only ... but also" stays a duty."""
_NEW_CLAUSE = r"(?:[\w'’-]+\s+){0,4}?(?:shall|will|must|agrees?|undertakes?|is|are|has|have|does|do|remains?)\b"
_TURN = re.compile(rf",?\s(?:but|however|whereas)\b(?=,?\s+{_NEW_CLAUSE})", re.IGNORECASE)
_BOUNDARY = re.compile(rf"[;:]|[.!?](?=\s|$)|{_TURN.pattern}", re.IGNORECASE)
"""Where the scope of a negation ends: a clause or sentence end, or "but" / "however" /
"whereas" opening a new clause with its own verb ("... shall not be required to audit, but shall
make available ..."). A "but" that only inserts a qualification keeps the negation going: in
"shall not be required to promptly, but within 72 hours, notify" nothing after "but" has a verb
of its own before "notify", which is still what is not required; nor does a permission ("need
not, but may, delete"), which makes the duty an option rather than restoring it."""
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Contradiction:
    """What in a sentence negates or guts an obligation."""

    cue: str
    """The negating or discretionary wording, e.g. ``not be required to``."""


def _clause_end(text: str, start: int) -> int:
    found = _BOUNDARY.search(text, start)
    return found.start() if found else len(text)


def _words_after(text: str, start: int, count: int) -> int:
    """The end offset of the ``count`` words after ``start``."""
    end = start
    for index, match in enumerate(_WORD.finditer(text, start)):
        if index >= count:
            break
        end = match.end()
    return end


def _governs(text: str, start: int, operative: Sequence[re.Pattern[str]]) -> bool:
    """An operative word within ``SCOPE_WORDS`` words after ``start``, in the same clause; or a
    duty verb there, when the obligation is not stated after the clause instead."""
    end = _clause_end(text, start)
    window = text[start : min(_words_after(text, start, SCOPE_WORDS), end)]
    if any(p.search(window) for p in operative):
        return True
    return _DUTY.search(window) is not None and not _stated_after(text, end, operative)


def _bans(text: str, start: int, restricts: Sequence[re.Pattern[str]]) -> bool:
    """The negation at ``start`` bans a restricted act: one of ``restricts`` within its next
    ``BAN_WORDS`` words and clause ("not process, transfer or disclose the data")."""
    if not restricts:
        return False
    window = text[start : min(_words_after(text, start, BAN_WORDS), _clause_end(text, start))]
    for pattern in restricts:
        act = pattern.search(window)
        # The act itself is what is not done ("not process, transfer"), not the object of
        # another verb ("does not ensure that any transfer ...").
        if act is not None and _NOT_THE_ACT.search(window[: act.start()]) is None:
            return True
    return False


_NOT_THE_ACT = re.compile(
    r"\b(?:ensure|procure|that|to|be|been|required|obliged|any|all|the|such|its)\b", re.IGNORECASE
)
"""Words that make what follows the object of another verb rather than the act negated."""


def _stated_after(text: str, end: int, operative: Sequence[re.Pattern[str]]) -> bool:
    """The obligation is named after a negation's scope ("not be required to permit inspections,
    but shall make available all information"): the negated duty verb is another obligation."""
    turn = _TURN.match(text, end)
    return turn is not None and any(p.search(text, turn.end()) for p in operative)


def _addresses(text: str, operative: Sequence[re.Pattern[str]]) -> bool:
    """``text`` names the obligation's operative concept (every pattern)."""
    return bool(operative) and all(p.search(text) for p in operative)


def _whole_sentence(text: str) -> Contradiction | None:
    """ "It is not agreed that ...": the whole statement negated."""
    whole = _WHOLE_SENTENCE.search(text)
    return Contradiction(" ".join(whole.group(0).split())) if whole is not None else None


def contradiction(
    text: str, operative: Sequence[re.Pattern[str]], restricts: Sequence[re.Pattern[str]] = ()
) -> Contradiction | None:
    """The wording in ``text`` that negates or guts the obligation ``operative`` names, if any.
    A negation cue right before an act in ``restricts`` bans the act ("shall not transfer the
    data"), which the obligation only allows under conditions: that is no contradiction."""
    if not _addresses(text, operative):
        return None
    whole = _whole_sentence(text)
    if whole is not None:
        return whole
    for cue in _STRONG.finditer(text):
        scope_end = _clause_end(text, cue.end())
        clause = text[cue.end() : scope_end]
        # The concept may also be the clause's subject: "Any transfer to a third country shall
        # not be required to ...".
        begin = max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0)
        subject = text[begin : cue.start()]
        if any(p.search(clause) or p.search(subject) for p in operative):
            return Contradiction(" ".join(cue.group(0).split()))
        # A duty verb taken away negates the obligation the sentence is about, unless that
        # obligation is stated after the negation's scope ("not be required to permit
        # inspections, but shall make available all information").
        if _DUTY.search(clause) and not _stated_after(text, scope_end, operative):
            return Contradiction(" ".join(cue.group(0).split()))
    for cue in _CUE.finditer(text):
        if not _governs(text, cue.end(), operative):
            continue
        before = text[max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0) : cue.start()]
        if _CONDITION.search(" ".join(before.split()[-CONDITION_WORDS:])):
            continue
        rest = text[cue.end() : _clause_end(text, cue.end())]
        if _EXCEPTION.search(rest):
            continue
        if _bans(text, cue.end(), restricts):
            continue
        end = _words_after(text, cue.end(), 3)
        return Contradiction(" ".join(text[cue.start() : end].split()))
    for cue in _DISCRETION.finditer(text):
        begin = max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0)
        clause = text[begin : _clause_end(text, cue.end())]
        if cue.group(0).lower() == "indefinitely" or any(p.search(clause) for p in operative):
            return Contradiction(" ".join(cue.group(0).split()))
    for cue in _BROADENED.finditer(text):
        if any(p.search(text[cue.end() : _clause_end(text, cue.end())]) for p in operative):
            return Contradiction(" ".join(cue.group(0).split()))
    for cue in _PERMISSION.finditer(text):
        rest = text[cue.end() : _clause_end(text, cue.end())]
        exception = _LOOPHOLE.search(rest)
        if exception is None:
            continue
        if any(p.search(rest[: exception.start()]) for p in operative) or _governs(
            text, cue.end() + exception.end(), operative
        ):
            end = cue.end() + exception.end()
            return Contradiction(" ".join(text[cue.start() : end].split()))
    return None


_GRANT = re.compile(
    r"\b(?:(?:may|can)(?!\s+not\b)(?!\s+only\b)|"
    r"(?:is|are|shall\s+be|will\s+be)\s+(?:free|entitled|permitted|allowed|authori[sz]ed)\s+to|"
    r"(?:reserves?|has|have|retains?)\s+the\s+right\s+to|"
    r"(?:is|are|shall\s+not\s+be|will\s+not\s+be)\s+not\s+(?:prohibited|restricted|precluded|prevented|barred)\s+from|"
    r"(?:is|are)\s+not\s+(?:prohibited|restricted|precluded|prevented|barred)\s+from|"
    r"nothing\b[^.;:]{0,80}?\b(?:prevents?|prohibits?|restricts?|precludes?|limits?)\b)",
    re.IGNORECASE,
)
"""Wording that allows an act: "may sell", "is entitled to combine", "is not prohibited from
selling", "reserves the right to share", "nothing in this addendum prevents ... from selling"."""
_FORBIDS = re.compile(
    r"\b(?:not|never|no|nor|neither|cannot|prohibit\w*|forbid\w*|refrain\w*|barred|only|solely|exclusively|"
    r"except|limited\s+to|restrict\w*)\b|n't\b",
    re.IGNORECASE,
)
"""Wording that forbids or confines an act: without it, naming a forbidden act meets no prohibition."""


_CONFINED = re.compile(r"\b(?:only|solely|exclusively|strictly)\b", re.IGNORECASE)
"""A permission confined to something ("may use it only for the services") restricts the act."""


def forbids(text: str) -> bool:
    """Whether ``text`` has wording that could forbid or confine an act."""
    return _FORBIDS.search(text) is not None


def permission(text: str, operative: Sequence[re.Pattern[str]]) -> Contradiction | None:
    """The wording in ``text`` that allows the act a prohibition forbids (``operative`` names
    the act), if any: "Provider may sell personal information", "is not prohibited from
    combining", "It is not agreed that Provider shall not sell", or a prohibition handed back to
    the provider's discretion ("shall not sell ... unless it decides otherwise")."""
    if not _addresses(text, operative):
        return None
    whole = _whole_sentence(text)
    if whole is not None:
        return whole
    for grant in _GRANT.finditer(text):
        before = text[max((m.end() for m in _BOUNDARY.finditer(text, 0, grant.start())), default=0) : grant.start()]
        if _CONDITION.search(" ".join(before.split()[-CONDITION_WORDS:])):
            continue
        scope = text[grant.end() : _clause_end(text, grant.end())]
        window = scope[: _words_after(scope, 0, SCOPE_WORDS) or len(scope)]
        if _CUE.search(window) is not None or _CONFINED.search(scope) is not None:
            continue  # "may never sell", "may keep and use it only for the services": still forbidden
        if any(p.search(window) for p in operative[:1]) and all(p.search(scope) for p in operative):
            end = grant.end() + _words_after(scope, 0, 3)
            return Contradiction(" ".join(text[grant.start() : end].split()))
    for cue in _DISCRETION.finditer(text):
        if cue.group(0).lower() == "indefinitely":
            continue
        begin = max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0)
        if all(p.search(text[begin : _clause_end(text, cue.end())]) for p in operative):
            return Contradiction(" ".join(cue.group(0).split()))
    return None
