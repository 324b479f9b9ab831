"""Fixtures every test directory shares, loaded as plugins (not imported from other conftest files)."""

pytest_plugins = ["harness.servers", "harness.jobs", "integration.gateway_fixtures"]
