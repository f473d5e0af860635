"""A real SQLite file per test, brought up by the real alembic migrations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline.config import Config
from pipeline.store.engine import open_store


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    path = tmp_path / "list" / "catalogue"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def engine(catalogue_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    engine = open_store(None, catalogue_dir)
    yield engine
    engine.dispose()


@pytest.fixture
def config() -> Config:
    return Config()
