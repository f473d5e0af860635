"""The validated catalogue, or CatalogueError: what every command that needs the catalogue asks for.

Validation reads the catalogue itself (files with line marks -> schema and cross-file checks -> the frozen
model built by pipeline.catalogue.build), so the caller composes nothing else: this is that composition,
named for what it does.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

from pipeline.collector import collector_paused
from pipeline.errors import CatalogueError, UsageError
from pipeline.model import Catalogue, Resource
from pipeline.validate.problems import ValidationResult
from pipeline.validate.run import Checking


def load_valid_catalogue(catalogue_dir: Path) -> Catalogue:
    """The catalogue in catalogue_dir, fully validated.

    Raises CatalogueError (with every problem in `.problems`) when anything is invalid; its message is
    the first problem and how many more there are.
    """
    return CatalogueLoading(catalogue_dir).catalogue()


def _valid(result: ValidationResult, catalogue_dir: Path) -> Catalogue:
    errors = list(result.errors)
    if errors or result.catalogue is None:
        first = errors[0].format_text() if errors else f"{catalogue_dir}: the catalogue is invalid"
        more = len(errors) - 1
        suffix = (
            f" (and {more} more problem{'s' if more != 1 else ''}; run `roadmap validate`)" if more else ""
        )
        raise CatalogueError(first + suffix, list(result.problems))
    return result.catalogue


class CatalogueLoading:
    """The validated catalogue, file by file, for a run that starts on each resource as soon as its file is
    checked (`roadmap check` crawls while the rest is validated; load_valid_catalogue waits for the end):

        loading = CatalogueLoading(catalogue_dir)   # the top files checked (CatalogueError: no catalogue)
        loading.config                              # None: config.yaml is invalid, start nothing
        for resource in loading.resources(): ...    # each valid resource file's model, in catalogue order
        loading.catalogue()                         # the rest checked: the Catalogue, or CatalogueError

    resources() ends early at the first error (the catalogue cannot be valid any more). What it yields
    is provisional until catalogue() returns; `done` is a future of that outcome, for another thread.
    """

    def __init__(self, catalogue_dir: Path) -> None:
        self.catalogue_dir = catalogue_dir
        try:
            # CONTRIBUTING's URL rules gate pull requests (`roadmap validate`); a run goes on over them.
            with collector_paused():  # the files' documents, found at once: see pipeline.collector
                self._checking = Checking.start(Path(catalogue_dir), url_rules=False)
        except UsageError as error:
            raise CatalogueError(str(error)) from None
        self._files = self._checking.resources()
        self.config = self._checking.config
        self.size = self._checking.resource_files  # resource files: the most resources it can have
        self.done: Future[Catalogue] = Future()

    def resources(self) -> Iterator[Resource]:
        if self.config is None or self.done.done():
            return
        for resource in self._files:
            if self._checking.has_errors():
                return
            if resource is not None:
                yield resource

    def catalogue(self) -> Catalogue:
        """The validated catalogue, once the files resources() did not get to are checked too."""
        if not self.done.done():
            try:
                with collector_paused():
                    for _ in self._files:
                        pass
                    self.done.set_result(_valid(self._checking.result(), self.catalogue_dir))
            except CatalogueError as error:
                self.done.set_exception(error)
            finally:
                # The files' documents and facts are not needed any more: a run holds only the Catalogue.
                self._files = iter(())
                del self._checking
        return self.done.result()

    def abandon(self) -> None:
        """Nobody will finish it: a thread waiting on `done` gets CancelledError."""
        self.done.cancel()
