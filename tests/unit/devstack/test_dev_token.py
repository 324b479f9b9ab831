"""`assay dev` mints the dev tenant's token once: stack.json and the console link it prints carry the same one."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.devstack import stack as stack_module
from assay.devstack.stack import DevStack


def test_every_description_of_a_stack_carries_the_same_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    minted = iter(["first-token", "second-token"])
    monkeypatch.setattr(stack_module, "mint_token", lambda *args, **kwargs: next(minted))
    dev = DevStack(tmp_path)
    assert dev.describe()["token"] == dev.describe()["token"] == "first-token"
