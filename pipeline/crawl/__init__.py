"""The link-health crawler: safety (may we connect?) -> fetch (HTTP, limits, retries) -> classify
(facts -> verdict with evidence) -> runner (dedupe, schedule, yield (resource, outcome)).

No database here: the check run (pipeline.checkrun) plans, records what the crawler yields, concludes."""
