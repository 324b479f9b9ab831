"""PostgreSQL refuses to run as root, so as root it runs as a system account, switched by ``setpriv``
rather than by Popen's ``user=``/``group=`` (which make Python fork() a many-threaded process instead of
vfork(); such a fork now and then died of SIGSEGV before exec)."""

from __future__ import annotations

import os
import subprocess

import pytest

from assay.devstack.servers.postgres import PostgresServer, as_account, system_account


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches to PostgreSQL's system account")
def test_as_root_binaries_run_under_the_system_account_without_popen_user_switching() -> None:
    account = system_account()
    assert account is not None
    ran = subprocess.run(as_account(["id", "-u"]), capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == str(account.pw_uid)
    assert PostgresServer().spawn_options() == {}, "no user=/group=: Popen may use vfork()"


def test_without_root_the_command_is_unchanged() -> None:
    if os.geteuid() == 0:
        assert as_account(["postgres"])[-1] == "postgres"
    else:
        assert as_account(["postgres"]) == ["postgres"]
