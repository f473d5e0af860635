"""The pipeline that keeps the ML-math roadmap alive and honest.

Data flows one way (see ../shared/STYLE.md):
catalogue/*.yaml -> load -> validate -> Catalogue -> sync -> SQLite -> check -> export/report.
"""

__version__ = "0.1.0"
