"""Schema checks and checks across files: a catalogue directory -> a list of Problems (data), and the
validated catalogue for the commands that need one (load_valid_catalogue)."""

from pipeline.validate.load import CatalogueLoading, load_valid_catalogue
from pipeline.validate.problems import Problem, ValidationResult
from pipeline.validate.run import validate_catalogue

__all__ = ["CatalogueLoading", "Problem", "ValidationResult", "load_valid_catalogue", "validate_catalogue"]
