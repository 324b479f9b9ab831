"""The evaluation's variant generator (``bench/contract_variants.py``) negates a prohibition as a
drafter permitting the act would write it, never as a double negation. Texts written for these
tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from contract_variants import clauses_of, cut, locate, negate_in_text, negate_sentence, sentence_at


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("The Provider may not sell personal information.", "The Provider may sell personal information."),
        ("The Provider cannot share personal information.", "The Provider may share personal information."),
        ("The Provider agrees not to combine personal information.", "The Provider may combine personal information."),
        ("The Provider is prohibited from selling data.", "The Provider is not prohibited from selling data."),
        ("The Provider will never sell data.", "The Provider may sell data."),
        ("The Provider shall not sell data.", "The Provider may sell data."),
        ("The Processor shall delete the data.", "The Processor shall not be required to delete the data."),
    ],
)
def test_a_prohibition_in_a_sentence_is_negated_into_a_permission(sentence: str, negated: str) -> None:
    assert negate_sentence(sentence) == negated


def test_an_item_under_a_prohibiting_lead_in_becomes_a_permission_before_the_lead_in() -> None:
    text = ("# Prohibitions\n\nWith respect to such data, Acme shall not, unless the law permits:\n\n"
            "- sell personal information received from the Customer;\n\n"
            "- retain personal information outside the direct business relationship.\n\n# Next\n")
    variant, statement = negate_in_text(text, "sell personal information received from the Customer;")
    assert statement == "Acme may sell personal information received from the Customer."
    assert variant.index(statement) < variant.index("Acme shall not")
    assert "- sell personal" not in variant
    assert "- retain personal information outside the direct business relationship." in variant
    assert "It is not agreed" not in variant


def test_an_item_whose_lead_in_has_no_duty_to_negate_is_negated_in_place() -> None:
    text = "The data comprises:\n\n- names and email addresses of users.\n"
    variant, statement = negate_in_text(text, "names and email addresses of users.")
    assert statement.startswith("It is not agreed that names")
    assert variant.startswith("The data comprises:")


def test_an_item_under_a_duty_lead_in_negates_the_lead_ins_duty_with_the_item_as_its_object() -> None:
    text = ("Intro.\n\nAcme will:\n\n* Maintain appropriate technical security measures.\n\n"
            "* Notify the Customer of breaches.\n")
    variant, statement = negate_in_text(text, "Maintain appropriate technical security measures.")
    assert statement == "Acme will not be required to maintain appropriate technical security measures."
    assert variant.index(statement) < variant.index("Acme will:")
    assert "* Notify the Customer of breaches." in variant and "* Maintain" not in variant


def test_an_item_completing_a_duty_lead_ins_clause_is_negated_with_it() -> None:
    text = ("7.1. Acme shall ensure that its personnel who process the data:  \n"
            "(i) process the data only on instructions;  \n(ii) are informed of the confidential nature of the data.\n")
    variant, statement = negate_in_text(text, "are informed of the confidential nature of the data.")
    assert statement == ("7.1. Acme shall not be required to ensure that its personnel who process the data "
                         "are informed of the confidential nature of the data.")
    assert "(ii) are informed" not in variant


def test_a_prohibition_as_an_item_of_a_duty_lead_in_becomes_a_permission() -> None:
    text = ("2.1 Processor shall:\n\n2.1.1 comply with the law; and\n\n"
            "2.1.2 not process data other than on instructions.\n")
    variant, statement = negate_in_text(text, "not process data other than on instructions.")
    assert statement == "2.1 Processor may process data other than on instructions."
    assert "2.1.2 not process" not in variant


def test_the_fallback_negation_opens_the_sentence_under_a_heading_line() -> None:
    sentence = "4.1 Processing of Client Data\nThe Consultant acts on the Client's documented instructions."
    assert negate_sentence(sentence, (40, 60)) == (
        "4.1 Processing of Client Data\nIt is not agreed that the Consultant acts on the Client's documented "
        "instructions.")


def test_a_sibling_clause_ending_with_a_colon_introduces_no_later_clause() -> None:
    text = ("5. The Processor undertakes to meet the following requirements:\n   1. to act on instructions;\n"
            "6. The Processor shall notify the Controller of breaches.\n")
    variant, statement = negate_in_text(text, "The Processor shall notify the Controller of breaches.")
    assert statement == "The Processor shall not be required to notify the Controller of breaches."
    assert variant.startswith("5. The Processor undertakes") and "6. The Processor shall not be required" in variant


def test_an_items_duty_is_the_lead_ins_last_sentences() -> None:
    text = ("5. The Client undertakes to comply with the law. The Processor will in particular:\n"
            "   1. delete the data at the end of the services;\n")
    variant, statement = negate_in_text(text, "delete the data at the end of the services;")
    assert statement == ("The Processor will not be required to in particular delete the data at the end of the "
                         "services.")
    assert "The Client undertakes to comply" in variant


def test_a_restriction_lifted_drops_its_condition() -> None:
    # "shall not X unless authorised" negated permits X whatever the authorisation; "may X unless
    # authorised" would permit nothing clearly.
    negated = negate_sentence("5.1 Processor shall not appoint any Subprocessor unless authorized by the Company.")
    assert negated == "5.1 Processor may appoint any Subprocessor whether or not authorized by the Company."
    assert negate_sentence("Processor shall not engage a Subprocessor without consent.") == (
        "Processor may engage a Subprocessor without consent."
    )
    # "except" is the same condition: "may transfer ... except in compliance" permits nothing clearly.
    assert negate_sentence("5.1 Acme may not transfer Personal Data outside the EEA except as the law allows.") == (
        "5.1 Acme may transfer Personal Data outside the EEA whether or not as the law allows."
    )
    assert negate_sentence("Acme agrees not to sell personal information except as permitted.") == (
        "Acme may sell personal information whether or not as permitted."
    )


def test_a_list_items_sentence_ends_before_the_next_items_mark() -> None:
    text = "7.1 Acme shall ensure that its staff:\n(i) are informed of the rules;\n(ii) are bound to secrecy.\n"
    start = text.index("are informed")
    begin, stop = sentence_at(text, start, start + 12)
    assert text[begin:stop] == "are informed of the rules;"


def test_a_span_ending_with_its_full_stop_is_one_sentence() -> None:
    from eval_contract_review import negation_base

    # Before, the search for the sentence's end started after the span's own full stop: the
    # sentence ran on into the next one, which the negated variant then kept although it is labelled.
    text = "2.3 Transfers.\nAll transfers shall be governed by the Clauses (SCCs).\nAcme will abide by the law.\n"
    span = "All transfers shall be governed by the Clauses (SCCs)."
    start = text.index(span)
    begin, stop = sentence_at(text, start, start + len(span))
    assert text[begin:stop] == span
    spans = [span, "Acme will abide by the law."]
    kept = negation_base(text, spans, clauses_of(text, spans), begin, stop)
    assert span in kept and "abide" not in kept


def test_a_numbered_paragraph_under_a_heading_is_its_own_sentence() -> None:
    """A heading line run into a paragraph numbered "2.1" (no blank line between them) is not part
    of the paragraph's first sentence, which starts inside the paragraph's clause."""
    text = "# Agreement\n\n## 2. Processing of data\n2.1 Acme shall process data only on instructions.\n\n"
    start = text.index("Acme shall")
    begin, stop = sentence_at(text, start, start + 10)
    assert text[begin:stop] == "Acme shall process data only on instructions."
    (clause,) = clauses_of(text, ["Acme shall process data only on instructions"])
    assert clause[0] <= begin < clause[1]


def test_an_item_whose_sibling_is_cut_is_still_negated_with_its_lead_in() -> None:
    text = "7.1 Acme shall ensure that its staff:\n(i) are informed of the rules;\n(ii) are bound to secrecy.\n"
    rest = cut(text, [(text.index("(ii)"), len(text) - 1)])
    sentence = text[slice(*sentence_at(text, text.index("are informed"), text.index("are informed") + 1))]
    _, statement = negate_in_text(rest, sentence)
    assert statement == "7.1 Acme shall not be required to ensure that its staff are informed of the rules."


def test_cutting_every_item_of_a_list_cuts_its_lead_in() -> None:
    text = ("Intro.\n\nFor transfers, Acme agrees it will:\n\n* provide equal protection; and\n"
            "* use the SCCs.\n\nGoverning law.")
    assert cut(text, clauses_of(text, ["provide equal protection", "use the SCCs"])).split() == [
        "Intro.",
        "Governing",
        "law.",
    ]
    kept = text.replace("* use the SCCs.", "* use the SCCs.\n* keep records.")
    assert "Acme agrees it will:" in cut(kept, clauses_of(kept, ["provide equal protection", "use the SCCs"]))


def test_the_evaluation_negates_the_processors_part_of_a_requirement_or_the_controllers_consent() -> None:
    from eval_contract_review import negation_target

    text = (
        "For deletion, the Customer shall primarily use the export tools.\n\n"
        "The Processor shall delete all copies.\n\nThe Customer agrees to the use of Sub-processors.\n"
    )
    where = negation_target(text, ["the Customer shall primarily use the export tools", "The Processor shall delete"])
    assert where is not None and text[where[0] :].startswith("The Processor shall delete")
    consent = negation_target(text, ["The Customer agrees to the use of Sub-processors"])
    assert consent is not None and text[consent[0] :].startswith("The Customer agrees")


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Subject to the law (“**Legal Purpose**”), the Processor shall delete", "the law (“Legal Purpose”), the"),
        ("as outlined in section 3\\. The Client shall", "as outlined in section 3. The Client"),
        ("held as platform secrets**, rather than in the\n  repository.", "secrets, rather than in the repository."),
        ("as described in\n**Annex 2**.", "as described in Annex 2."),
    ],
)
def test_a_labelled_span_is_found_through_markup_inside_its_words(text: str, span: str) -> None:
    # The labels' own matching ignores emphasis and escapes anywhere; so must the cut, or a labelled
    # clause stays in its cut variant.
    assert locate(text, span) is not None


def test_a_negated_lead_in_keeps_the_items_it_introduces() -> None:
    from eval_contract_review import negation_base

    text = (
        "Intro.\n\nAcme shall:\n\n* notify the Customer of breaches.\n* describe each breach.\n\n"
        "Acme shall also notify within 24 hours.\n\nGoverning law."
    )
    spans = ["Acme shall:", "notify the Customer of breaches", "describe each breach", "notify within 24 hours"]
    ranges = clauses_of(text, spans)
    lead_in = sentence_at(text, text.index("Acme shall:"), text.index("Acme shall:") + 5)
    kept = negation_base(text, spans, ranges, *lead_in)
    assert "* notify the Customer of breaches." in kept and "* describe each breach." in kept
    assert "within 24 hours" not in kept
    # Any other sentence to negate stands alone: the rest of the requirement is cut.
    other = sentence_at(text, text.index("Acme shall also"), text.index("Acme shall also") + 5)
    alone = negation_base(text, spans, ranges, *other)
    assert "Acme shall also notify within 24 hours." in alone
    assert "breaches" not in alone and "Acme shall:" not in alone


def test_a_negated_lead_in_keeps_its_items_numbered_under_its_own_number() -> None:
    from eval_contract_review import negation_base

    text = (
        "4.1 Acme shall implement the technical and organisational measures:\n\n"
        "4.1.1 in relation to its processing; and\n\n"
        "4.1.2 to assist the Customer in responding to Data Subject Requests.\n\n"
        "4.2 Additional measures are at the Customer's cost.\n\nGoverning law."
    )
    spans = ["Acme shall implement the technical and organisational measures", "to assist the Customer in responding"]
    ranges = clauses_of(text, spans)
    assert text[slice(*ranges[0])].endswith("Data Subject Requests.")
    lead_in = sentence_at(text, 4, 40)
    kept = negation_base(text, spans, ranges, *lead_in)
    assert "4.1.2 to assist the Customer in responding to Data Subject Requests." in kept


def test_a_negated_lead_in_keeps_its_items_lettered_or_in_outline_and_no_more() -> None:
    from eval_contract_review import negation_base

    # Before, the items marked "a." or "H.1.a." were cut with the rest of the requirement: the variant was
    # a lead-in introducing nothing. The next clause ("6.", "H.2.") is no item of it.
    for lead_in, items, after in (
        (
            "5.2 Acme will assist the Customer, including:",
            ["a. Assisting with any investigation;", "b. Providing access to the records."],
            "6. Transfers of Personal Data",
        ),
        (
            "H.1. Within thirty days, Acme will:",
            ["H.1.a. return all Customer Data; and", "H.1.b. delete all copies of Customer Data."],
            "H.2. Acme certifies the deletion.",
        ),
    ):
        text = "\n\n".join(["Intro.", lead_in, *items, after, "Governing law."])
        spans = [lead_in.split(" ", 1)[1], *(item.split(" ", 1)[1] for item in items)]
        ranges = clauses_of(text, spans)
        begin = text.index(lead_in)
        kept = negation_base(text, spans, ranges, *sentence_at(text, begin + 6, begin + 12))
        assert all(item in kept for item in items), kept
        assert text[slice(*ranges[0])].endswith(items[-1]) and after in cut(text, ranges)


@pytest.mark.parametrize(
    ("sentence", "focus", "negated"),
    [
        # The span in a leading condition: the main clause's duty is negated, not the condition.
        (
            "If a data subject makes a request to the Processor, the Processor will forward it to the Controller.",
            "makes a request",
            "If a data subject makes a request to the Processor, the Processor will not be required to forward it "
            "to the Controller.",
        ),
        (
            "To the extent that the Customer makes a transfer, the Standard Contractual Clauses shall apply.",
            "makes a transfer",
            "To the extent that the Customer makes a transfer, the Standard Contractual Clauses shall not apply.",
        ),
        # A span far after its sentence's duty is that duty's object.
        (
            "Acme shall ensure that all Acme personnel (including employees, agents, temporary staff, contractors and "
            "the staff of its subcontractors) who are authorised to process the data have committed to "
            "confidentiality.",
            "have committed to confidentiality",
            "Acme shall not be required to ensure that all Acme personnel (including employees, agents, temporary "
            "staff, contractors and the staff of its subcontractors) who are authorised to process the data have "
            "committed to confidentiality.",
        ),
        # An inserted phrase holding commas before the verb.
        (
            "Acme shall, upon the Customer's request, and subject to the limits of the Agreement, return all data.",
            "return all data",
            "Acme shall not be required, upon the Customer's request, and subject to the limits of the Agreement, "
            "to return all data.",
        ),
        (
            "Acme shall, taking into account the nature of the processing and the information available to Acme, "
            "assist the Customer.",
            "assist the Customer",
            "Acme shall not be required, taking into account the nature of the processing and the information "
            "available to Acme, to assist the Customer.",
        ),
        # A first-person or plural party's present-tense duty.
        (
            "We implement and maintain appropriate technical measures to protect personal data.",
            "appropriate technical measures",
            "We do not implement and maintain appropriate technical measures to protect personal data.",
        ),
        ("You agree to our use of sub-processors.", "use of sub-processors",
         "You do not agree to our use of sub-processors."),
        # A right after a modal is taken away, not "required".
        (
            "The Customer shall have the right to audit the Processor's compliance.",
            "audit the Processor",
            "The Customer shall have no right to audit the Processor's compliance.",
        ),
        ("The Customer may, at regular intervals, audit the measures.", "audit the measures",
         "The Customer may not, at regular intervals, audit the measures."),
        # How a thing applies, or what a transfer requires, is negated as such.
        (
            "Any transfer to a third country shall require the prior consent of the Customer.",
            "transfer to a third country",
            "Any transfer to a third country shall not require the prior consent of the Customer.",
        ),
        (
            "Such transfers are subject to the Standard Contractual Clauses.",
            "Standard Contractual Clauses",
            "Such transfers are not subject to the Standard Contractual Clauses.",
        ),
        # An adverb before a present-tense duty stays with the verb.
        ("The Processor immediately informs the Controller of breaches.", "informs the Controller",
         "The Processor does not immediately inform the Controller of breaches."),
        # An inline list under a duty's modal: the lead-in's duty is taken away.
        (
            "Upon becoming aware of a breach, Acme will: (a) notify the Customer; and (b) provide information.",
            "notify the Customer",
            "Upon becoming aware of a breach, Acme will not be required to: (a) notify the Customer; and (b) provide "
            "information.",
        ),
    ],
)
def test_the_sentences_main_duty_is_negated_not_a_condition_or_another_verb(
    sentence: str, focus: str, negated: str
) -> None:
    start = sentence.index(focus)
    assert negate_sentence(sentence, (start, start + len(focus))) == negated


def test_a_duty_after_the_span_is_another_one_and_a_sentence_with_none_is_negated_whole() -> None:
    sentence = "The data centres are located in the European Economic Area, and the Processor may relocate them."
    assert negate_sentence(sentence, (0, 20)).startswith("It is not agreed that the data centres")
    # Where processing takes place is a statement, not a duty: negated whole, and so counted apart.
    located = "Processing takes place within the European Union."
    assert negate_sentence(located) == "It is not agreed that processing takes place within the European Union."


def test_an_ability_already_negated_in_an_items_condition_is_not_the_duty_negated() -> None:
    # 1.9.0: "if it can no longer comply" was negated into "can not no longer": the item's duty
    # ("Immediately notify") is its lead-in's, and that is what is negated.
    item = "Immediately notify the Customer if Acme determines that it can no longer meet its obligations."
    text = f"Intro.\n\nAcme shall:\n\n- i. Keep records of processing.\n\n- ii. {item}\n"
    variant, statement = negate_in_text(text, item)
    assert "can not no longer" not in statement and "can no longer" in statement
    assert statement.startswith("Acme shall not be required to") and f"- ii. {item}" not in variant


def test_a_span_copied_from_html_source_is_found_in_the_pages_text() -> None:
    # A label copies "&sect; 8" from a page's source; the variants are made of the text the analyzer reads.
    text = "Intro.\n\nThe Processor implements the measures described in § 8 and keeps the user’s data safe."
    found = locate(text, "The Processor implements the measures described\n\nin &sect; 8")
    assert found is not None and text[found[0] : found[1]].endswith("in § 8")
    assert locate(text, "Tom &amp; Jerry") is None


@pytest.mark.timeout(10)
def test_a_span_holding_a_forms_blank_is_located_without_trying_every_split_of_it() -> None:
    """A run of underscores in a span (a form's blank) once matched each underscore with the markup allowed
    around it, so a blank the text does not hold took exponential time to rule out (a label of holdout26 hung
    the evaluation); it now matches one run of markup."""
    text = "Purpose of the processing: " + "_" * 40 + " (to be completed)."
    assert locate(text, "Purpose of the processing: " + "_" * 40) == (0, 67)
    assert locate(text, "Purpose of the processing: " + "_" * 30 + " by the Controller") is None
