"""The ``research-lib`` command line."""

from __future__ import annotations

