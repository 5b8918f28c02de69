"""The application layer: what every front end (CLI, web app) calls.

Settings declared once, the analysis, report and design jobs, the record services and the
demo registry live here. This layer imports neither typer nor any web framework, and it
raises only :class:`mscreg.errors.MscregError` subclasses for bad input; each front end maps
them to its own presentation (exit codes, HTTP status) in one place.
"""
