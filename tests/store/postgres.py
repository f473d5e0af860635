"""A fresh PostgreSQL database per test, on the server named by $ROADMAP_TEST_POSTGRES_URL.

Without the variable the PostgreSQL tests skip and say how to run them; on CI (CI=true) a missing
variable fails them instead, so the CI can never pass without having proved the store on PostgreSQL.
The URL's role must be allowed to create databases (CREATEDB); each test gets its own, dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

POSTGRES_URL_ENV = "ROADMAP_TEST_POSTGRES_URL"
HOW = (
    f"set {POSTGRES_URL_ENV}, e.g. postgresql+psycopg://roadmap:roadmap@127.0.0.1:5432/roadmap_test "
    "(see README.md, Development: PostgreSQL)"
)


def postgres_url() -> URL:
    """The test server's URL; skips (fails on CI) when it is not configured."""
    raw = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not raw:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {POSTGRES_URL_ENV} is not set: the CI must run the PostgreSQL tests")
        pytest.skip(f"no PostgreSQL server for the tests: {HOW}")
    url = make_url(raw)
    assert url.get_backend_name() == "postgresql", f"{POSTGRES_URL_ENV} must be a postgresql:// URL"
    return url


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """A connection to the configured database, in autocommit (CREATE/DROP DATABASE need it)."""
    engine = create_engine(postgres_url(), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(postgres_admin: Engine) -> Iterator[str]:
    """The URL (password included) of a new, empty database, dropped after the test."""
    name = f"roadmap_t_{uuid.uuid4().hex[:16]}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with postgres_admin.connect() as connection:
            # A session a test left open (or a killed subprocess's, not yet reaped) must not keep the
            # database alive. Not DROP ... WITH (FORCE): that must also be allowed to signal an autovacuum
            # worker, which a plain role may not; a plain DROP tells autovacuum to leave and waits (5 s)
            # for the sessions ended here to go.
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND usename = current_user AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
