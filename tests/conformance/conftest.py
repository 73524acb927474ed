"""The differential conformance suite against Rampart's own engine: the
``conformance`` marker, and the ``oracle`` fixture that skips (with the
reason) when ../shared or the oracle cannot be had."""

from __future__ import annotations

import pytest

from .oracle import require_oracle


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "conformance: differential tests against Rampart's real Go engine "
        "(../shared/oracles/rampart; skipped when it cannot be built)",
    )


@pytest.fixture(scope="session")
def oracle() -> str:
    """The rampart-oracle binary (built once), or skip."""
    return require_oracle()
