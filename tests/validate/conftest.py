"""Fixtures shared by tests/validate and tests/catalogue (see fixtures.py)."""

from tests.validate.fixtures import catalogue, cli  # noqa: F401
