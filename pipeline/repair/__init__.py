"""Edits of the catalogue that the recorded link health calls for (`roadmap fix ...`).

An orchestrator layer: it reads health (store summaries), decides with the crawler's own rules what a
permanent move or a working replacement is, and edits catalogue files with the surgical YAML edit.
"""
