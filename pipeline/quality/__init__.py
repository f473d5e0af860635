"""The list's quality bar as named rules (data), evaluated over the catalogue and its health."""

from pipeline.quality.rules import DEFAULT_RULES, Finding, Rule, evaluate
from pipeline.quality.state import State, health_state

__all__ = ["DEFAULT_RULES", "Finding", "Rule", "State", "evaluate", "health_state"]
