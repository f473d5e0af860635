"""The catalogue on disk: YAML files read safely with line marks (yamlfile), URL normalisation (urls), and
schema-valid documents -> the frozen model (build). Validation builds on this package, never the reverse:
a command that needs the catalogue asks pipeline.validate.load_valid_catalogue."""
