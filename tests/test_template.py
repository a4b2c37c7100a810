"""The template notebook and ``research-lib study`` on a user's events file (offline, snapshot)."""

from __future__ import annotations

import json
import re

import pytest

from research_lib.cli.app import main
from research_lib.runner.template import TEMPLATE, TemplateExecutionError, run_template
from research_lib.study import event_study

EVENTS = (
    "event_id,symbol,benchmark,event_date\n"
    "baba_capex,BABA,^GSPC,2025-02-24\n"
    "msft_capex,MSFT,^GSPC,2025-01-03\n"
    "meta_capex,META,^GSPC,2025-01-24\n"
)
WINDOWS = [(0, 1), (-1, 1)]


@pytest.fixture
def events_csv(tmp_path, shared_data):  # noqa: ANN001, ANN201
    path = tmp_path / "my_events.csv"
    path.write_text(EVENTS)
    return path


def _printed(nb: dict) -> str:
    return "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stdout")


def test_template_has_a_parameters_cell_and_no_outputs() -> None:
    nb = json.loads(TEMPLATE.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    for name in ("events_file", "estimation_window", "event_window", "car_windows", "model", "conventions"):
        assert re.search(rf"^{name} = ", "".join(tagged[0]["source"]), re.M), name
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    assert nb["cells"][0]["cell_type"] == "markdown" and nb["cells"][-1]["cell_type"] == "markdown"


def test_run_template_reproduces_event_study(events_csv, tmp_path) -> None:  # noqa: ANN001
    pytest.importorskip("papermill")
    expected = event_study(events_csv, car_windows=WINDOWS)
    assert expected.n_events == 3
    out = run_template(events_csv, tmp_path / "out" / "study.ipynb", car_windows=[list(w) for w in WINDOWS],
                       json_out=tmp_path / "out.json")
    nb = json.loads(out.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    stderr = [o.get("text", "") for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not any("Warning" in "".join(s) for s in stderr), stderr
    printed = _printed(nb)
    for w in WINDOWS:
        car, _ = expected.abnormal.car(*w)
        found = re.search(rf"CAAR\[{w[0]},{w[1]}\] = (-?\d+\.\d+) \(N = 3\)", printed)
        assert found, printed
        assert float(found.group(1)) == pytest.approx(car.mean(), abs=1e-10)
    # the JSON the notebook wrote is the study's JSON
    written = json.loads((tmp_path / "out.json").read_text())
    ref = json.loads(json.dumps(expected.to_json_dict()))
    assert written["aggregate"] == ref["aggregate"]
    assert [e["event_date"] for e in written["events"]] == ["2025-02-24", "2025-01-03", "2025-01-24"]


def test_run_template_reports_a_failing_cell(tmp_path, shared_data) -> None:  # noqa: ANN001
    pytest.importorskip("papermill")
    bad = tmp_path / "bad.csv"
    bad.write_text("event_id,symbol,benchmark,event_date\nx,BABA,^GSPC,24/02/2025\n")
    with pytest.raises(TemplateExecutionError, match="(?s)CatalogueError.*YYYY-MM-DD"):
        run_template(bad, tmp_path / "bad.ipynb")
    assert (tmp_path / "bad.ipynb").is_file()  # the partly executed notebook is kept
    with pytest.raises(FileNotFoundError, match="events file"):
        run_template(tmp_path / "absent.csv", tmp_path / "x.ipynb")


def test_cli_study_on_the_same_events(events_csv, tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "out.json"
    assert main(["study", str(events_csv), "--car-window", "0", "1", "--json", str(out)]) == 0
    assert "Event Study Results" in capsys.readouterr().out
    d = json.loads(out.read_text())
    expected = event_study(events_csv, car_windows=[(0, 1)])
    car, _ = expected.abnormal.car(0, 1)
    assert d["aggregate"]["n_events"] == 3
    assert d["aggregate"]["caar"]["0,1"]["caar"] == pytest.approx(car.mean(), rel=1e-12)
    bmp = expected.tests["0,1"]["bmp"]
    assert d["aggregate"]["caar"]["0,1"]["tests"]["bmp"]["stat"] == pytest.approx(bmp.stat, rel=1e-12)
    assert d["parameters"]["car_windows"] == [[0, 1]]


def test_template_on_your_own_data_with_groups_writes_an_html_report(tmp_path) -> None:  # noqa: ANN001
    pytest.importorskip("papermill")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from _crsp import events, returns_long

    ev, data = tmp_path / "ev.csv", tmp_path / "crsp.csv"
    events().to_csv(ev, index=False)
    returns_long()[0].to_csv(data, index=False)
    kw = {"estimation_window": (-120, -11), "event_window": (-5, 5), "min_estimation": 60}
    expected = event_study(ev, data=data, car_windows=WINDOWS, **kw)
    out = run_template(ev, tmp_path / "r" / "study.ipynb", car_windows=[list(w) for w in WINDOWS], data=data,
                       group_by="region", **kw)
    nb = json.loads(out.read_text())
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    html = out.with_suffix(".html").read_text()
    assert "Groups by" in html and "wilcoxon_rank_sum" in html
    caar = expected.caar_table()
    assert f"{caar['caar_pct'].iloc[0]:.2f}%" in html  # the paper table, CAAR in percent
    car = expected.events["car[-1,1]"].iloc[0]
    assert f"{car:.2%}" in html  # per-event CARs read in percent
    printed = _printed(nb)
    found = re.search(r"CAAR\[-1,1\] = (-?\d+\.\d+) \(N = 4\)", printed)
    assert found and float(found.group(1)) == pytest.approx(expected.abnormal.car(-1, 1)[0].mean(), abs=1e-10)
