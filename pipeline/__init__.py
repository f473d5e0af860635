"""The pipeline that keeps the ML-math roadmap alive and honest.

Data flows one way (see ../shared/STYLE.md):
catalogue/*.yaml -> load -> validate -> Catalogue -> sync -> SQLite -> check -> export/report.
"""

import sys

__version__ = "0.1.0"

# httpx imports its own command line (httpx._main: click, rich, pygments) whenever those are installed,
# as ours are: 25 ms of every `roadmap check` before its first request. Its package falls back to a stub
# when that import fails, and we never run httpx's command line.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
