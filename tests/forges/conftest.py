from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.config import Config
from tests.forges.fakeapi import FakeClock, FakeForge

TOKEN = "ghp_s3cr3tT0kenNeverToBeSeen0123456789"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def forge(clock: FakeClock) -> Iterator[FakeForge]:
    with FakeForge(clock, token=TOKEN) as fake:
        yield fake


def forge_config(fake: FakeForge, gitlab: dict | None = None, **github: object) -> Config:
    """Every forge pointed at the fake: repository pages on its host, APIs under /github, /gitlab, /gitea."""
    return Config.from_dict(
        {
            "forges": {
                "github": {"api_url": f"{fake.base}/github", "hosts": [fake.host], **github},
                "gitlab": {
                    "api_url": f"{fake.base}/gitlab/api/v4",
                    "hosts": [f"localhost:{fake.host.split(':')[1]}"],
                    **(gitlab or {}),
                },
                "codeberg": {"api_url": f"{fake.base}/gitea/api/v1", "hosts": ["codeberg.invalid"]},
            }
        }
    )
