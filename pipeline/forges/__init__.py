"""Forge metadata for repository links (issue 14): GitHub, GitLab and Gitea/Codeberg APIs.

A repository link the API answered needs no page fetch: the API says whether it exists, moved, or is
archived, and when it was last pushed. See `lookup.ask_forges` (the entry point), `verdict.outcome_for`
(how an answer shows as a verdict) and `limits` (rate limits against the run's budget).
"""

from pipeline.forges.lookup import ForgeCost, ForgeRun, ask_forges
from pipeline.forges.model import Answer, Finding, RepoRef
from pipeline.forges.verdict import outcome_for

__all__ = ["Answer", "Finding", "ForgeCost", "ForgeRun", "RepoRef", "ask_forges", "outcome_for"]
