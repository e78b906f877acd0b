"""Prefect flows and the command line for newsclean (the only place Prefect is imported)."""

import os

# No network here and no reason to phone home: analytics off unless the user says otherwise.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# The cleaners' own log lines (e.g. "compiling the numba kernels ...") go to the run's logs too.
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "cleaners")
