"""The link-health crawler: safety (may we connect?) -> fetch (HTTP, limits, retries) -> classify
(facts -> verdict with evidence) -> runner (plan, dedupe, schedule, record, conclude)."""
