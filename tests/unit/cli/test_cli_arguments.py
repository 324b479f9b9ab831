"""The CLI's argument model: global options anywhere, submit's FILE | --text, refused values (exit 2)."""

from __future__ import annotations

import pytest

from assay.cli.__main__ import EXIT_USAGE, build_parser, main


def parse(*argv: str):  # type: ignore[no-untyped-def]
    args = build_parser().parse_args(list(argv))
    if check := getattr(args, "check", None):
        check(args)
    return args


@pytest.mark.parametrize("argv", [
    ("--json", "--data-dir", "/d", "jobs", "list"),
    ("jobs", "list", "--json", "--data-dir", "/d"),
    ("jobs", "--json", "list", "--data-dir", "/d"),
    ("--data-dir", "/d", "jobs", "list", "--json"),
    ("analyzers", "--json", "--data-dir", "/d"),
])
def test_json_and_data_dir_are_accepted_before_or_after_the_subcommand(argv):
    args = parse(*argv)
    assert args.json is True and args.data_dir == "/d"


def test_an_option_given_before_the_subcommand_is_not_reset_by_the_subcommand():
    args = parse("--token", "t0", "--data-dir", "/d", "trace", "abc")
    assert (args.token, args.data_dir, args.json) == ("t0", "/d", False)


def test_dev_takes_its_data_dir_after_the_subcommand():
    assert parse("dev", "--data-dir", "/d").data_dir == "/d"


def test_submit_takes_a_priority_with_text_or_a_file():
    assert parse("submit", "--analyzer", "sentiment", "--priority", "5", "--text", "hi").priority == 5
    args = parse("submit", "--analyzer", "sentiment", "reviews.csv", "--priority", "9")
    assert (args.file, args.text, args.priority) == ("reviews.csv", None, 9)
    assert parse("submit", "--analyzer", "sentiment", "--text", "hi").priority == 0


@pytest.mark.parametrize(("argv", "message"), [
    (("submit", "--analyzer", "sentiment", "--priority", "10", "--text", "hi"), "give an integer from 0 to 9"),
    (("submit", "--analyzer", "sentiment", "--priority", "high", "--text", "hi"), "'high' is not an integer"),
    (("submit", "--analyzer", "sentiment", "f.csv", "--text", "hi"), "give a FILE or --text, not both"),
    (("submit", "--analyzer", "sentiment", "--priority", "5"), "give a FILE to upload or --text TEXT"),
    (("jobs", "list", "--state", "done"),
     "invalid choice: 'done' (choose from 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'waiting')"),
    (("jobs", "list", "--all", "--page-token", "x"), "not allowed with argument"),
    (("token", "--ttl", "-5"), "-5 is out of range: give an integer at least 1"),
    (("token", "--ttl", "0"), "0 is out of range"),
    (("token", "--tenant", "bad tenant!"), "'bad tenant!' is not a tenant id"),
])
def test_bad_arguments_exit_2_with_a_message_that_names_the_problem(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    assert exited.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err
    assert "not allowed with argument file" not in err


def test_list_states_are_case_insensitive():
    assert parse("jobs", "list", "--state", "SUCCEEDED").state == "succeeded"


def test_cancel_can_wait():
    assert parse("jobs", "cancel", "abc", "--wait").wait is True
    assert parse("jobs", "cancel", "abc").wait is False
