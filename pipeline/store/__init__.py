"""The store: the database that remembers what happened to the catalogue (sqlmodel tables, alembic
migrations in ../../migrations).

    engine.py   open the database (engine-specific settings live only there) and upgrade its schema
    sync.py     catalogue -> section/resource rows, in one transaction
    runs.py     check runs and their results as the check run (pipeline.checkrun) records them
    summary.py  the pure step: one more result -> the new summary and the next check
    health.py   the health summary derived from results, and the read-side queries
"""
