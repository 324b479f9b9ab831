"""``assay dev`` gives the gateway and the worker several connections to a jobs service of several
processes (one connection would keep one process busy), unless the user chose a number."""

from __future__ import annotations

from assay.devstack.stack import jobs_client_connections


def test_several_jobs_processes_get_four_connections_each() -> None:
    assert jobs_client_connections({"ASSAY_JOBS_PROCESSES": "2"}) == {"ASSAY_JOBS_CONNECTIONS": "8"}


def test_one_jobs_process_or_a_chosen_number_is_left_alone() -> None:
    assert jobs_client_connections({}) == {}
    assert jobs_client_connections({"ASSAY_JOBS_PROCESSES": "1"}) == {}
    assert jobs_client_connections({"ASSAY_JOBS_PROCESSES": "2", "ASSAY_JOBS_CONNECTIONS": "3"}) == {}
