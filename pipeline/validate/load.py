"""The validated catalogue, or CatalogueError: what every command that needs the catalogue asks for.

Validation reads the catalogue itself (files with line marks -> schema and cross-file checks -> the frozen
model built by pipeline.catalogue.build), so the caller composes nothing else: this is that composition,
named for what it does.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import CatalogueError, UsageError
from pipeline.model import Catalogue
from pipeline.validate.run import validate_catalogue


def load_valid_catalogue(catalogue_dir: Path) -> Catalogue:
    """The catalogue in catalogue_dir, fully validated.

    Raises CatalogueError (with every problem in `.problems`) when anything is invalid; its message is
    the first problem and how many more there are.
    """
    try:
        # CONTRIBUTING's URL rules gate pull requests (`roadmap validate`); a run over the catalogue goes on.
        result = validate_catalogue(Path(catalogue_dir), url_rules=False)
    except UsageError as error:
        raise CatalogueError(str(error)) from None
    errors = list(result.errors)
    if errors or result.catalogue is None:
        first = errors[0].format_text() if errors else f"{catalogue_dir}: the catalogue is invalid"
        more = len(errors) - 1
        suffix = (
            f" (and {more} more problem{'s' if more != 1 else ''}; run `roadmap validate`)" if more else ""
        )
        raise CatalogueError(first + suffix, list(result.problems))
    return result.catalogue
