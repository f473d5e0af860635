"""Schema checks and checks across files: a catalogue directory -> a list of Problems (data)."""

from pipeline.validate.problems import Problem, ValidationResult
from pipeline.validate.run import validate_catalogue

__all__ = ["Problem", "ValidationResult", "validate_catalogue"]
