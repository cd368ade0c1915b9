"""Documents people read about a model version: model card, audit report, release notes (the
facts, the HTI-1 crosswalk, the charts, and their HTML, Markdown and PDF renderings)."""
