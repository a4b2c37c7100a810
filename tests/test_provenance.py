"""The provenance cell reports sources, checksums and versions without machine paths."""

from __future__ import annotations

import hashlib

from research_lib.runner.provenance import package_versions, provenance_table


def test_provenance_reports_snapshot_files_with_checksums(shared_data) -> None:  # noqa: ANN001
    prov = provenance_table(["BABA", "^GSPC"], "2024-01-01", "2025-06-30")
    rows = prov.prices.set_index("symbol")
    assert list(rows.index) == ["BABA", "^GSPC"]
    assert rows.loc["BABA", "origin"] == "prices/BABA.csv"
    digest = hashlib.sha256((shared_data / "prices" / "BABA.csv").read_bytes()).hexdigest()
    assert digest.startswith(rows.loc["BABA", "sha256"])
    text = str(prov)
    assert str(shared_data) not in text and "pandas" in text


def test_package_versions_names_missing_packages() -> None:
    v = package_versions(["numpy", "surely-not-a-package-xyz"])
    assert v["surely-not-a-package-xyz"] == "not installed" and v["numpy"][0].isdigit() and "python" in v
