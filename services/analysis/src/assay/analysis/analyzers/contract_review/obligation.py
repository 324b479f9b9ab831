"""Does a sentence bind the processor, or does it only name the obligation's topic?

A requirement of processor terms is an obligation of the processor. Five kinds of sentence name
its topic without binding the processor to anything, and are never evidence of it:

- a **continuation** without a duty of its own ("This includes proof of ... the obligation of
  employees to confidentiality"): it only lists what the sentence before it covers, and that
  sentence is the evidence when it binds;
- a **label** of a form or list without a duty ("Categories of sensitive personal data
  transferred and safeguards applied:"): what follows it is the content, if anything does;
- a **cross-reference**: the topic is only pointed to ("TOMs are as set forth in Schedule B",
  "Annex I shall be deemed completed with the information set out in Schedule A") and no duty
  is stated besides the pointer;
- a **permission of the processor**: it or its staff *may* do something ("Authorised personnel
  may access visitor data where necessary to ensure security", "The Processor may suspend the
  instruction") with no duty and no restriction ("may only", "may not ... without" restrict,
  and are obligations); permissions of the controller ("The Customer may object", "The
  Controller may audit") are its rights under the requirement and stay evidence;
- a **duty of the controller**: the customer, as the sentence's subject, warrants, is
  responsible for or shall do something and the processor is not named ("Customer is solely
  responsible for ... security").

These sentences stay in context: a cross-reference still makes a missing requirement
BY_REFERENCE. Descriptions (the processing details) bind no one and are not checked here.
Nothing here knows a particular document: the cues are ordinary English drafting.
"""

from __future__ import annotations

import re

_REFERENCE = re.compile(
    r"\b(?:are|is|shall\s+be|will\s+be|be)\s+(?:deemed\s+(?:to\s+be\s+)?completed\s+(?:with|by)\s+(?:the\s+)?"
    r"(?:information|details)\s+|as\s+)?(?:set\s+(?:out|forth)|described|specified|contained|listed|detailed|"
    r"found|included|provided)\s+(?:in|at|under|within)\s+(?:the\s+)?(?:annex|appendix|schedule|exhibit|section|"
    r"clause|attachment|paragraph|part|https?://)",
    re.IGNORECASE,
)
_DUTY = re.compile(
    r"\b(?:shall|must|will|agrees?\s+to|undertakes?|commits?|warrants?|guarantees?|"
    r"(?:is|are)\s+(?:obliged|obligated|required|bound|responsible))\b",
    re.IGNORECASE,
)
_PERMISSION = re.compile(
    r"\b(?:may|can|(?:is|are)\s+(?:entitled|permitted|allowed|free)\s+to)\b", re.IGNORECASE
)
_RESTRICTED = re.compile(r"\b(?:only|solely|exclusively|not|never|no)\b", re.IGNORECASE)
_CONTROLLER = re.compile(
    r"\b(?:controllers?|customers?|clients?|you|your|data\s+exporters?|business|data\s+subjects?|"
    r"individuals?|end[- ]users?)\b",
    re.IGNORECASE,
)
_PROCESSOR = re.compile(
    r"\b(?:processors?|sub-?\s?processors?|suppliers?|vendors?|providers?|data\s+importers?|contractors?|"
    r"we|us|our)\b",
    re.IGNORECASE,
)
_CONTROLLER_SUBJECT = re.compile(
    r"^[\W\d]*(?:[a-z]{1,4}[.)]\s+)?(?:(?:furthermore|moreover|additionally|also|further|in\s+addition|however|"
    r"accordingly|therefore),?\s+)?(?:the\s+)?(?:controllers?|customers?|clients?|you|data\s+exporters?|business)\b",
    re.IGNORECASE,
)
"""The controller is the sentence's subject ("Customer is solely responsible ...", "12.4. Furthermore,
You warrant ..."), not a party named on the way ("Upon the Client's instruction, X undertakes ...")."""
_CONTROLLER_DUTY = re.compile(
    r"\b(?:shall|must|will)\s+(?!be\b)\w+|\b(?:warrants?|represents?|undertakes?|agrees?\s+to|"
    r"(?:is|are)\s+(?:solely\s+|fully\s+)?responsible)\b",
    re.IGNORECASE,
)


_CONTINUATION = re.compile(
    r"^[\W\d]*(?:this|these|such|that|it)\s+(?:also\s+)?(?:includes?|comprises?|covers?|involves?|entails?|"
    r"encompass(?:es)?)\b",
    re.IGNORECASE,
)
"""A sentence that only lists what the previous one covers ("This includes proof of ... the
obligation of employees to confidentiality"): without a duty of its own it is evidence only with
its antecedent, which then is the evidence."""


def non_binding(text: str) -> str:
    """Why ``text`` (party names already read as roles) binds no processor: ``cross-reference``,
    ``continuation``, ``label``, ``processor permission`` or ``controller duty``; empty when it may."""
    if _CONTINUATION.match(text) and _DUTY.search(text) is None:
        return "continuation"
    if text.rstrip(" *_").endswith(":") and _DUTY.search(text) is None:
        return "label"
    reference = _REFERENCE.search(text)
    if reference is not None and _DUTY.search(text[: reference.start()] + " " + text[reference.end() :]) is None:
        return "cross-reference"
    permission = _PERMISSION.search(text)
    if (
        permission is not None
        and _DUTY.search(text) is None
        and _RESTRICTED.search(text) is None
        and _CONTROLLER.search(text[: permission.start()]) is None
    ):
        return "processor permission"
    duty = _CONTROLLER_DUTY.search(text)
    if duty is not None and _CONTROLLER_SUBJECT.match(text[: duty.start()]) and _PROCESSOR.search(text) is None:
        return "controller duty"
    return ""
