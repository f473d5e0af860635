"""The project's exception tree. The CLI turns each into a one-line message and an exit code.

    RoadmapError
    ├── UsageError            bad flags or arguments                    (exit 2)
    ├── CatalogueError        the catalogue cannot be loaded/validated  (exit 2)
    ├── ConfigError           catalogue/config.yaml is invalid          (exit 2)
    ├── StoreError            the database cannot be opened/migrated    (exit 2)
    ├── LockedError           another run holds the database            (exit 2)
    ├── OutputError           a report or export cannot be written      (exit 2)
    └── FetchProcessError     the run's fetch process ended or failed   (exit 3: the run is interrupted)

A problem with one item (a resource, a URL) is data, not an exception: see validate.Problem and
crawl verdicts.
"""

from __future__ import annotations

from pipeline.status import EXIT_INCONCLUSIVE, EXIT_USAGE


class RoadmapError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code = EXIT_USAGE


class UsageError(RoadmapError):
    """The command was called wrongly."""


class CatalogueError(RoadmapError):
    """The catalogue cannot be loaded or is invalid; carries the problems when there are any."""

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class ConfigError(RoadmapError):
    """The catalogue configuration file is invalid."""


class StoreError(RoadmapError):
    """The database cannot be opened, migrated or written."""


class LockedError(RoadmapError):
    """Another check or nightly run is using the database."""


class OutputError(RoadmapError):
    """A generated file (report, export) cannot be written where the user asked."""


class FetchProcessError(RoadmapError):
    """The run's fetch process (pipeline.crawl.fetchprocess) ended or failed: the run stops, interrupted,
    with what it finished recorded."""

    exit_code = EXIT_INCONCLUSIVE
