"""What forges' APIs said about repository links, kept between runs (table forge_repo).

    load_repo_facts(engine) -> {url: RepoFacts}         the last answer per listed URL
    save_repo_facts(engine, facts)                       upsert, one transaction
    repo_facts_by_resource(engine) -> {resource id: RepoFacts}   for the quality rules and the export

Plain data in and out: the store knows nothing of the forges package.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, fields

from sqlalchemy import Engine, delete, insert, select

from pipeline.health import RepoFacts
from pipeline.store.engine import write_transaction
from pipeline.store.models import ForgeRepo, ResourceRow

forge_repo_t = ForgeRepo.__table__
resource_t = ResourceRow.__table__


_COLUMNS = tuple(f.name for f in fields(RepoFacts))


def load_repo_facts(engine: Engine) -> dict[str, RepoFacts]:
    with engine.connect() as connection:
        rows = connection.execute(select(*(forge_repo_t.c[name] for name in _COLUMNS))).all()
    return {row.url: RepoFacts(**row._asdict()) for row in rows}


def save_repo_facts(engine: Engine, facts: Iterable[RepoFacts]) -> None:
    rows = [asdict(f) for f in facts]
    if not rows:
        return
    with write_transaction(engine) as connection:
        connection.execute(delete(forge_repo_t).where(forge_repo_t.c.url.in_([r["url"] for r in rows])))
        connection.execute(insert(forge_repo_t), rows)


def repo_facts_by_resource(engine: Engine) -> dict[str, RepoFacts]:
    """Active resources whose URL a forge answered for, with the latest facts."""
    facts = load_repo_facts(engine)
    if not facts:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(
            select(resource_t.c.id, resource_t.c.url).where(
                resource_t.c.retired_at.is_(None), resource_t.c.url.is_not(None)
            )
        ).all()
    found = {}
    for resource_id, url in rows:
        known = facts.get(url.split("#", 1)[0])
        if known is not None:
            found[resource_id] = known
    return found
