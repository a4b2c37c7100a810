"""The ``research-lib`` command line."""
