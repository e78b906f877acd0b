"""newsclean's pure cleaning and deduplication logic.

Nothing in this package imports Prefect: every step is a plain typed function
that takes a record and returns a new one, so it can be tested and reused
outside any orchestrator. Orchestration lives in ``flows/``.
"""

__version__ = "0.1.0"
