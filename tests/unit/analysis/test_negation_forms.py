"""The evaluation's paraphrased negations (``bench/negation_forms.py``) rewrite the obligation's own
wording in each form, leave forms out where they cannot stand, and are chosen reproducibly. Texts
written for these tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from contract_variants import negate_in_text
from negation_forms import FORMS, choose, paraphrases

DUTY = "Upon termination, the Processor shall delete all personal data."


def test_a_modal_duty_is_rewritten_in_every_form_of_drafting() -> None:
    forms = paraphrases(DUTY, (27, 33))
    assert forms["need not"] == "Upon termination, the Processor need not delete all personal data."
    assert forms["under no obligation"] == (
        "Upon termination, the Processor shall be under no obligation to delete all personal data."
    )
    assert forms["sole discretion, decline"] == (
        "Upon termination, the Processor may, at its sole discretion, decline to delete all personal data."
    )
    assert forms["reasonable efforts, where practicable"] == (
        "Upon termination, the Processor will use reasonable efforts to delete all personal data where "
        "commercially practicable."
    )
    assert forms["only if paid"] == (
        "Upon termination, the Processor shall delete all personal data, but only if the Controller pays the "
        "Processor's fees for doing so."
    )
    assert "free to" not in forms  # a duty, not a prohibition


def test_a_present_tense_duty_and_an_obligation_phrase_take_the_forms_before_their_verb() -> None:
    assert paraphrases("The Processor implements appropriate measures.")["has no obligation"] == (
        "The Processor has no obligation to implement appropriate measures."
    )
    assert paraphrases("The Processor is obliged to provide all information.")["need not"] == (
        "The Processor need not provide all information."
    )


def test_a_passive_duty_takes_only_the_forms_that_read_as_english() -> None:
    forms = paraphrases("All personal data shall be deleted after termination.")
    assert forms["need not"] == "All personal data need not be deleted after termination."
    assert forms["not obliged"] == "All personal data is not required to be deleted after termination."
    assert "under no obligation" not in forms and "reasonable efforts, where practicable" not in forms


def test_a_prohibition_is_lifted_with_its_condition() -> None:
    forms = paraphrases("The Processor shall not process personal data unless instructed by the Controller.")
    lifted = "The Processor is free to process personal data whether or not instructed by the Controller."
    assert forms == {"free to": lifted}


def test_a_duty_stated_as_a_gerund_or_a_consent_gets_no_verb_form() -> None:
    assert "need not" not in paraphrases("The Processor commits to promptly informing the Controller.")
    forms = paraphrases("You agree to Our use of Sub-processors.", requirement="art28-2-4-subprocessors")
    assert set(forms) == {"without notice or consent", "objection waived"}


def test_a_right_is_only_taken_away_not_made_optional() -> None:
    forms = paraphrases("The Controller shall have the right to audit the Processor.")
    assert forms["will not"] == "The Controller will not have the right to audit the Processor."
    assert "need not" not in forms and "under no obligation" not in forms


def test_requirement_specific_gutting_is_added_to_the_sentence() -> None:
    forms = paraphrases(DUTY, requirement="art28-3g-deletion-return")
    assert forms["retain indefinitely"] == (
        "Upon termination, the Processor shall delete all personal data, save that the Processor may retain "
        "copies of the personal data indefinitely."
    )


def test_a_qualifier_guts_the_sentence_stating_the_duty_not_the_next_one() -> None:
    span = "On termination, Acme will delete the data. Unless you ask otherwise, we do so within 30 days of Art. 5."
    forms = paraphrases(span, (0, 30), requirement="art28-3g-deletion-return")
    assert forms["only if paid"].startswith(
        "On termination, Acme will delete the data, but only if the Controller pays the Processor's fees for doing so. "
    )
    assert forms["reasonable efforts, where practicable"].startswith(
        "On termination, Acme will use reasonable efforts to delete the data where commercially practicable. Unless"
    )
    assert "the personal data indefinitely. Unless you ask otherwise" in forms["retain indefinitely"]


def test_an_item_under_a_lead_in_is_negated_in_the_chosen_form() -> None:
    text = "The Processor shall:\n\n- delete all personal data on termination;\n- keep records.\n"
    variant, statement = negate_in_text(
        text, "delete all personal data on termination;", negate=lambda s, f: paraphrases(s, f)["need not"]
    )
    assert statement == "The Processor need not delete all personal data on termination."
    assert statement in variant


def test_the_choice_of_forms_is_reproducible_and_depends_on_the_seed() -> None:
    forms = paraphrases(DUTY)
    first = choose(forms, 3, seed=0, key="doc|req")
    assert first == choose(forms, 3, seed=0, key="doc|req")
    assert len(first) == 3 and set(first) <= set(forms)
    assert first == sorted(first, key=FORMS.index)
    assert any(choose(forms, 3, seed=seed, key="doc|req") != first for seed in range(1, 6))
    assert choose(forms, 99, seed=0, key="doc|req") == sorted(forms, key=FORMS.index)
