"""Load the catalogue: YAML files (read safely, with line marks) -> the validated, frozen Catalogue."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import CatalogueError, UsageError
from pipeline.model import Catalogue


def load_catalogue(catalogue_dir: Path) -> Catalogue:
    """The catalogue in catalogue_dir, fully validated.

    Raises CatalogueError (with every problem in `.problems`) when anything is invalid; its message is
    the first problem and how many more there are.
    """
    from pipeline.validate import validate_catalogue  # validate builds on this package

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


__all__ = ["load_catalogue"]
