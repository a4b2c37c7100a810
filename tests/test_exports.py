"""Paper tables: CAAR table, tidy tests, LaTeX, Excel, CSV, JSON against the shipped schema, --out."""

from __future__ import annotations

import json
import shutil
import subprocess

import jsonschema
import numpy as np
import openpyxl
import pandas as pd
import pytest
from _crsp import events, returns_long

from research_lib.analysis.tables import STARS_LEGEND, load_schema, prepare_folder, stars
from research_lib.cli.app import main
from research_lib.errors import InvalidRequestError
from research_lib.study import event_study

KW = {"estimation_window": (-120, -11), "event_window": (-5, 5), "min_estimation": 60}


@pytest.fixture(scope="module")
def res():  # noqa: ANN201
    return event_study(events(), data=returns_long()[0], **KW)


def test_caar_table_and_tidy_tests(res) -> None:  # noqa: ANN001
    tab = res.caar_table(["t_cross_sectional", "bmp"])
    assert list(tab["window"]) == ["[0,0]", "[0,1]", "[-1,1]", "[-5,5]"]
    for _, row in tab.iterrows():
        key = row["window"].strip("[]")
        cars = res.events[f"car[{key}]"].to_numpy()
        assert row["caar_pct"] == pytest.approx(100 * cars.mean(), rel=1e-12)
        assert row["n"] == cars.size
        assert row["bmp"] == res.tests[key]["bmp"].stat and row["bmp_p"] == res.tests[key]["bmp"].pvalue
        assert row["bmp_stars"] == stars(row["bmp_p"])
    assert [stars(p) for p in (0.001, 0.03, 0.07, 0.2)] == ["***", "**", "*", ""]
    tidy = res.tidy()
    assert list(tidy.columns) == ["event_id", "window", "quantity", "value"]
    one = tidy[(tidy["event_id"] == "e2") & (tidy["window"] == "[-1,1]") & (tidy["quantity"] == "car")]["value"]
    assert one.iloc[0] == res.events.set_index("event_id").loc["e2", "car[-1,1]"]
    agg = tidy[(tidy["event_id"] == "ALL") & (tidy["window"] == "[0,1]")].set_index("quantity")["value"]
    assert agg["bmp.p"] == res.tests["0,1"]["bmp"].pvalue and agg["n"] == 4


def test_excel_reads_back(res, tmp_path) -> None:  # noqa: ANN001
    path = res.to_excel(tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["caar", "events", "daily", "tests", "attrition"]
    rows = list(wb["events"].iter_rows(values_only=True))
    header = list(rows[0])
    assert "region" in header and "amount_usd_bn" in header and len(rows) == res.n_events + 1
    col = header.index("car[-1,1]")
    np.testing.assert_allclose([r[col] for r in rows[1:]], res.events["car[-1,1]"], rtol=1e-15)
    caar = list(wb["caar"].iter_rows(values_only=True))
    assert STARS_LEGEND in [c for r in caar for c in r]
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_latex_table(res, tmp_path) -> None:  # noqa: ANN001
    tex = res.to_latex(caption="CAARs of 4 events")
    assert tex.count(r"\\") == 1 + len(res.parameters.car_windows) and STARS_LEGEND in tex
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed here; the table's syntax was checked, not its compilation")
    doc = tmp_path / "t.tex"
    doc.write_text("\\documentclass{article}\\begin{document}\n" + tex + "\\end{document}\n")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", doc.name], cwd=tmp_path, capture_output=True, timeout=60)
    assert run.returncode == 0, run.stdout[-2000:]


def test_json_validates_against_the_shipped_schema(res) -> None:  # noqa: ANN001
    doc = json.loads(json.dumps(res.to_results_json()))
    jsonschema.validate(doc, load_schema())
    old = json.loads(json.dumps(res.to_json_dict()))
    # the --json keys keep their names and values; events only gain keys
    assert {k: doc[k] for k in old if k != "events"} == {k: v for k, v in old.items() if k != "events"}
    assert [{k: e[k] for k in o} for e, o in zip(doc["events"], old["events"], strict=True)] == old["events"]
    e1 = doc["events"][0]
    assert e1["dates"]["0"] == e1["event_date"] and e1["columns"] == {"region": "US", "amount_usd_bn": 1.5}
    assert [a["event_id"] for a in doc["attrition"]] == ["e1", "e2", "e3", "e4"]
    broken = json.loads(json.dumps(doc))
    broken["events"][0]["dates"]["0"] = "12/03/2020"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, load_schema())


def test_cli_out_writes_every_file_and_refuses_a_used_folder(tmp_path, capsys) -> None:  # noqa: ANN001
    events().to_csv(tmp_path / "ev.csv", index=False)
    returns_long()[0].to_csv(tmp_path / "crsp.csv", index=False)
    out = tmp_path / "out"
    argv = ["study", str(tmp_path / "ev.csv"), "--data", str(tmp_path / "crsp.csv"), "--estimation-window", "-120", "-11",
            "--event-window", "-5", "5", "--min-estimation", "60", "--out", str(out)]
    assert main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["events.csv", "daily.csv", "tests.csv", "attrition.csv", "caar.tex", "results.xlsx", "results.json"])
    doc = json.loads((out / "results.json").read_text())
    jsonschema.validate(doc, load_schema())
    assert doc["events"][1]["columns"] == {"region": "EU", "amount_usd_bn": 2.0}  # numbers read from the file stay numbers
    ev = pd.read_csv(out / "events.csv", dtype={"symbol": str})
    assert list(ev["region"]) == ["US", "EU", "US", "EU"]
    assert pd.read_csv(out / "attrition.csv")["amount_usd_bn"].tolist() == [1.5, 2.0, 0.5, 3.0]
    capsys.readouterr()
    (out / "notes.txt").write_text("mine")
    assert main(argv) == 2
    assert "exists and holds" in capsys.readouterr().err and (out / "notes.txt").read_text() == "mine"
    assert main([*argv, "--overwrite"]) == 0 and (out / "notes.txt").read_text() == "mine"


def test_prepare_folder_rules(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "f").write_text("x")
    with pytest.raises(InvalidRequestError, match="is a file"):
        prepare_folder(tmp_path / "f")
    assert prepare_folder(tmp_path / "new").is_dir()
    assert prepare_folder(tmp_path / "new").is_dir()  # empty: accepted
