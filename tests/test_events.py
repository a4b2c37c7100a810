"""Tests of research_lib.events.reader (the events-file reader) and research_lib.cases.capex (the catalogue).

Expected day-0 sessions are derived by hand from the exchange rules (NYSE
09:30-16:00 ET, HKEX 09:30-16:00 HKT, ...) and holiday facts, and for the real
catalogue from the day-0 table of the shared catalogue's README.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pandas as pd
import pytest

from research_lib.cases.capex import (
    CATALOGUE_REQUIRED,
    DEFAULT_CATALOGUE,
    EARNINGS_WINDOW,
    Catalogue,
    TimingToken,
    catalogue_to_events,
    load_catalogue,
    parse_timing,
)
from research_lib.errors import CatalogueError
from research_lib.events.reader import parse_announced_at, read_events
from research_lib.listings.calendars import day_zero, get_calendar

TS = pd.Timestamp


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# =========================================================================== read_events
GOOD_EVENTS = """event_id,symbol,benchmark,event_date,announced_at,group
alibaba,9988.HK,^HSI,,2025-02-24T11:48+08:00,asia
intel,INTC,^GSPC,2021-03-24,,us
"""


def test_read_events_round_trip(tmp_path: Path) -> None:
    ev = read_events(_write(tmp_path / "ev.csv", GOOD_EVENTS))
    assert list(ev.columns) == ["event_id", "symbol", "benchmark", "event_date", "announced_at", "group"]
    assert list(ev["event_id"]) == ["alibaba", "intel"]
    assert ev["event_date"].dtype == "datetime64[ns]"
    assert pd.isna(ev.loc[0, "event_date"]) and ev.loc[1, "event_date"] == TS("2021-03-24")
    stamp = ev.loc[0, "announced_at"]
    assert isinstance(stamp, pd.Timestamp) and stamp.tzinfo is not None
    assert stamp == TS("2025-02-24T03:48Z")
    assert ev.loc[1, "announced_at"] is None
    assert list(ev["group"]) == ["asia", "us"]
    # the validated table is itself a valid input, unchanged
    again = read_events(ev)
    pd.testing.assert_frame_equal(again, ev)


def test_read_events_accepts_zone_names_and_z(tmp_path: Path) -> None:
    text = "event_id,symbol,benchmark,announced_at\na,BABA,^GSPC,2025-02-24 11:48 Asia/Hong_Kong\nb,BABA,^GSPC,2025-02-24T03:48Z\n"
    ev = read_events(_write(tmp_path / "z.csv", text))
    assert ev.loc[0, "announced_at"] == ev.loc[1, "announced_at"] == TS("2025-02-24T11:48+08:00")
    assert "event_date" in ev.columns and ev["event_date"].isna().all()


def test_parse_announced_at_dst_gap_is_refused() -> None:
    with pytest.raises(ValueError, match="daylight-saving"):
        parse_announced_at("2025-03-09 02:30 America/New_York")


HEADER = "event_id,symbol,benchmark,event_date,announced_at\n"


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "the file is empty"),
        (HEADER, "no event rows"),
        ("event_id,benchmark,event_date\na,^GSPC,2025-01-02\n", "missing column.*symbol"),
        ("event_id,symbol,benchmark\na,AAPL,^GSPC\n", "no event_date or announced_at column"),
        (
            HEADER + "a,AAPL,^GSPC,2025-01-02,\na,MSFT,^GSPC,2025-01-03,\n",
            r"line 3 \(event_id 'a'\): duplicate event_id \(first used on line 2\)",
        ),
        (HEADER + "a,AAPL,^GSPC,,\n", r"line 2 \(event_id 'a'\): neither event_date nor announced_at"),
        (HEADER + "a,AAPL,^GSPC,,2025-01-02T10:00\n", "no UTC offset or time zone"),
        (HEADER + "a,AAPL,^GSPC,02/01/2025,\n", "not written YYYY-MM-DD"),
        (HEADER + "a,AAPL,^GSPC,2025-02-30,\n", "not a calendar date"),
        (HEADER + "a,AAPL,^GSPC,,noon on Monday\n", "not an ISO 8601 time"),
        (HEADER + "a,AAPL,^GSPC,,24 Feb 2025 10:00+01:00\n", "not an ISO 8601 time"),
        (HEADER + "a,AAPL,^GSPC,,2025-01-02\n", "is a date without a time; put it in event_date"),
        (HEADER + "a,AAPL,^GSPC,,2025-01-02 10:00 Mars/Olympus\n", "unknown time zone"),
        (HEADER + "a,FOO.XX,^GSPC,2025-01-02,\n", r"symbol 'FOO.XX' is unknown.*SUFFIXES"),
        (HEADER + "a,AAPL,^NOPE,2025-01-02,\n", r"benchmark '\^NOPE' is unknown"),
        (HEADER + "a,AAPL,,2025-01-02,\n", "benchmark is empty"),
        (HEADER + ",AAPL,^GSPC,2025-01-02,\n", "event_id is empty"),
        # announced after the NY close on 2021-03-23: day 0 is 2021-03-24, so 2021-03-26 contradicts it
        (HEADER + "a,INTC,^GSPC,2021-03-26,2021-03-23T14:00-07:00\n", "contradicts announced_at.*2021-03-24"),
    ],
)
def test_read_events_errors(tmp_path: Path, text: str, pattern: str) -> None:
    path = _write(tmp_path / "bad.csv", text)
    with pytest.raises(CatalogueError, match=pattern) as info:
        read_events(path)
    assert str(path) in str(info.value)


def test_read_events_lists_every_bad_row_with_spreadsheet_lines(tmp_path: Path) -> None:
    # a blank line does not shift the numbering: the bad rows are on lines 4 and 5
    text = HEADER + "ok,AAPL,^GSPC,2025-01-02,\n\nx,AAPL,^GSPC,2025-13-01,\ny,BAD.ZZ,^GSPC,2025-01-02,\n"
    with pytest.raises(CatalogueError) as info:
        read_events(_write(tmp_path / "two.csv", text))
    msg = str(info.value)
    assert "2 invalid rows" in msg
    assert "line 4 (event_id 'x')" in msg and "line 5 (event_id 'y')" in msg


def test_read_events_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="file not found"):
        read_events(tmp_path / "nope.csv")


def test_read_events_date_and_time_both_given(tmp_path: Path) -> None:
    # Intel: 14:00 PDT = 17:00 EDT, after the NYSE close -> day 0 = Wednesday 2021-03-24.
    same = HEADER + "a,INTC,^GSPC,2021-03-24,2021-03-23T14:00-07:00\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev = read_events(_write(tmp_path / "same.csv", same))
    assert ev.loc[0, "event_date"] == TS("2021-03-24")
    # the local announcement date is consistent but is not day 0: kept, with a warning
    local = HEADER + "a,INTC,^GSPC,2021-03-23,2021-03-23T14:00-07:00\n"
    with pytest.warns(UserWarning, match="announced_at takes precedence"):
        read_events(_write(tmp_path / "local.csv", local))


def test_read_events_frame_row_labels() -> None:
    frame = pd.DataFrame({"event_id": ["a", "b"], "symbol": ["AAPL", "AAPL"], "benchmark": ["^GSPC", "^GSPC"],
                          "event_date": [TS("2025-01-02"), pd.NaT]})  # fmt: skip
    with pytest.raises(CatalogueError, match=r"events table: 1 invalid row:\n  row 2 \(event_id 'b'\)"):
        read_events(frame)


# =========================================================================== catalogue: bad rows
BASE_ROWS = [
    {
        "event_id": "20250224_alibaba_test", "company": "Alibaba", "region": "Asia", "type": "multi_year_pledge",
        "announced_local": "2025-02-24", "timing": "HK:intraday;US:before_open", "listings": "9988.HK;BABA",
        "primary_symbol": "9988.HK", "benchmark_symbol": "^HSI", "amount_usd_bn": "52.4",
        "confounded_earnings": "true", "earnings_date": "2025-02-20", "source_urls": "https://example.org/a https://example.org/b",
    },
    {
        "event_id": "20210323_intel_test", "company": "Intel", "region": "US", "type": "site_project",
        "announced_local": "2021-03-23T14:00-07:00", "timing": "US:after_close", "listings": "INTC",
        "primary_symbol": "INTC", "benchmark_symbol": "^GSPC", "amount_usd_bn": "20",
        "confounded_earnings": "false", "earnings_date": "", "source_urls": "https://example.org/c",
    },
]  # fmt: skip


def _catalogue_csv(tmp_path: Path, rows: list[dict[str, str]], drop: str | None = None) -> Path:
    cols = [c for c in list(rows[0]) if c != drop]
    path = tmp_path / "cat.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _with(index: int, **changes: str) -> list[dict[str, str]]:
    rows = [dict(r) for r in BASE_ROWS]
    rows[index].update(changes)
    return rows


def test_small_catalogue_loads(tmp_path: Path) -> None:
    cat = load_catalogue(_catalogue_csv(tmp_path, BASE_ROWS))
    assert isinstance(cat, Catalogue) and len(cat) == 2
    assert cat.frame["amount_usd_bn"].tolist() == [52.4, 20.0]
    assert cat.frame["confounded_earnings"].tolist() == [True, False]
    assert cat.frame.loc[1, "announced_at"] == TS("2021-03-23T21:00Z")
    assert cat.frame.loc[0, "announced_at"] is None
    assert cat.frame["earnings_date"].iloc[0] == TS("2025-02-20")


@pytest.mark.parametrize(
    ("rows", "pattern"),
    [
        (
            _with(1, event_id="20250224_alibaba_test"),
            r"line 3 \(event_id '20250224_alibaba_test'\): duplicate event_id",
        ),
        (_with(1, announced_local="2021-03-23T14:00"), r"line 3 .*announced_local: time .* has no UTC offset"),
        (
            _with(0, announced_local="2025-02-31", event_id="20250231_alibaba_test"),
            "announced_local: .*not a calendar date",
        ),
        (_with(0, announced_local="24 Feb 2025"), "announced_local: .*not an ISO 8601 time"),
        (_with(0, event_id="20250225_alibaba_test"), "event_id date 20250225 differs from announced_local"),
        (_with(0, event_id="Alibaba 2025"), "event_id must look like YYYYMMDD_company_slug"),
        (_with(0, listings="9988.HK;BABA.XX"), r"listing 'BABA.XX' is unknown"),
        (_with(0, primary_symbol="BABA.XX"), "primary_symbol 'BABA.XX' is not among the listings"),
        (_with(0, benchmark_symbol=""), "benchmark_symbol is empty"),
        (_with(0, benchmark_symbol="^NOPE"), r"benchmark_symbol '\^NOPE' is unknown"),
        # SHOP.TO is a known listing, but its default index ^GSPTSE has no registered calendar
        (_with(1, listings="INTC;SHOP.TO"), "listing SHOP.TO has no usable benchmark"),
        (_with(0, timing="HK:late;US:before_open"), "unknown category 'late'"),
        (_with(0, timing="HK:intraday;XX:before_open"), "unknown market 'XX'"),
        (_with(0, timing="HK intraday"), "is not MARKET:category"),
        (_with(0, timing="HK:intraday;HK:after_close"), "names market HK twice"),
        (_with(0, timing="US:before_open"), r"no token for the primary listing's market \(HK\)"),
        (_with(1, timing="US:after_close;JP:before_open"), "timing names market JP, but no listing trades there"),
        (_with(0, timing="HK:intraday;US:before_open@2025-02-30"), "not a calendar date"),
        (
            _with(1, timing="US:before_open"),
            "puts day 0 of INTC on 2021-03-23, but the timestamp puts it on 2021-03-24",
        ),
        (_with(0, type="capex"), "type 'capex' is not one of"),
        (_with(0, region="Europe"), "region 'Europe' is not one of"),
        (_with(0, amount_usd_bn="about 52"), "amount_usd_bn 'about 52' is not a number"),
        (_with(0, confounded_earnings="yes"), "confounded_earnings 'yes' must be true or false"),
        (_with(0, earnings_date=""), "confounded_earnings is true but earnings_date is empty"),
        (_with(0, source_urls=""), "source_urls must hold one or more"),
    ],
)
def test_catalogue_bad_rows(tmp_path: Path, rows: list[dict[str, str]], pattern: str) -> None:
    path = _catalogue_csv(tmp_path, rows)
    with pytest.raises(CatalogueError, match=pattern) as info:
        load_catalogue(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("column", CATALOGUE_REQUIRED)
def test_catalogue_missing_column(tmp_path: Path, column: str) -> None:
    with pytest.raises(CatalogueError, match=f"missing column.*{column}"):
        load_catalogue(_catalogue_csv(tmp_path, BASE_ROWS, drop=column))


def test_catalogue_empty_file_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="the file is empty"):
        load_catalogue(_write(tmp_path / "empty.csv", ""))
    with pytest.raises(CatalogueError, match="no rows"):
        load_catalogue(_write(tmp_path / "head.csv", ",".join(CATALOGUE_REQUIRED) + "\n"))


def test_parse_timing_tokens() -> None:
    tokens = parse_timing("US:after_close; JP:before_open@2025-01-22")
    assert tokens == {
        "US": TimingToken("US", "after_close", None),
        "JP": TimingToken("JP", "before_open", TS("2025-01-22")),
    }
    with pytest.raises(ValueError, match="timing is empty"):
        parse_timing(" ; ")


# =========================================================================== catalogue: day-0 rules
def _one_listing_day0(tmp_path: Path, **changes: str) -> pd.Series:
    """Day 0 (event_date or day_zero of announced_at) of a one-row catalogue built from BASE_ROWS[1]."""
    row = dict(BASE_ROWS[1])
    row.update(changes)
    events = catalogue_to_events(load_catalogue(_catalogue_csv(tmp_path, [row])), listings="all")
    return events.iloc[0]


@pytest.mark.parametrize(
    ("local", "timing", "expected", "rule"),
    [
        ("2025-01-24", "US:before_open", "2025-01-24", "before_open"),  # Friday session
        ("2022-01-21", "US:intraday", "2022-01-21", "intraday"),
        ("2025-01-24", "US:after_close", "2025-01-27", "after_close"),  # Friday -> Monday
        ("2025-01-03", "US:unknown", "2025-01-03", "unknown"),
        ("2025-01-25", "US:unknown", "2025-01-27", "non_trading_day"),  # Saturday -> Monday
        ("2025-07-04", "US:before_open", "2025-07-07", "non_trading_day"),  # Independence Day (Friday)
        ("2025-04-17", "US:after_close", "2025-04-21", "after_close"),  # Thursday; Good Friday closed
    ],
)
def test_date_only_rules_on_nyse(tmp_path: Path, local: str, timing: str, expected: str, rule: str) -> None:
    ev = _one_listing_day0(tmp_path, announced_local=local, event_id=f"{local.replace('-', '')}_x", timing=timing)
    assert ev["event_date"] == TS(expected)
    assert ev["day0_rule"] == rule
    assert pd.isna(ev["announced_at"])
    assert ev["timing_unknown"] == (timing == "US:unknown")


def test_date_only_after_close_before_taiwan_holiday(tmp_path: Path) -> None:
    # 2021-04-01 was Taiwan's last session before the Tomb-Sweeping break (2-5 April): next session 2021-04-06.
    row = {**BASE_ROWS[1], "event_id": "20210401_tsmc_x", "announced_local": "2021-04-01", "timing": "TW:after_close",
           "listings": "2330.TW", "primary_symbol": "2330.TW", "benchmark_symbol": "^TWII", "region": "Asia"}  # fmt: skip
    ev = catalogue_to_events(load_catalogue(_catalogue_csv(tmp_path, [row])))
    assert ev.loc[0, "event_date"] == TS("2021-04-06")


# =========================================================================== the real catalogue
@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def all_events(catalogue: Catalogue) -> pd.DataFrame:
    return catalogue_to_events(catalogue, listings="all")


def _day0(row: pd.Series) -> pd.Timestamp:
    if row["announced_at"] is not None:
        return day_zero(row["announced_at"], row["symbol"]).session
    return row["event_date"]


def test_default_path_and_size(catalogue: Catalogue) -> None:
    assert DEFAULT_CATALOGUE.is_file()
    assert catalogue.path == DEFAULT_CATALOGUE
    assert len(catalogue) == 28  # one row per row of the shared catalogue
    assert catalogue.frame["event_id"].is_unique
    assert set(catalogue.frame["type"]) == {"annual_guidance", "multi_year_pledge", "site_project", "supply_deal"}


def test_facts_and_urls_match_shared_catalogue(catalogue: Catalogue, shared_data: Path) -> None:
    src_path = shared_data / "events" / "capex_announcements.csv"
    if not src_path.is_file():
        pytest.skip(f"{src_path} not found")
    src = pd.read_csv(src_path, dtype=str, keep_default_na=False).set_index("event_id")
    ours = pd.read_csv(DEFAULT_CATALOGUE, dtype=str, keep_default_na=False).set_index("event_id")
    assert list(ours.index) == list(src.index)
    for col_ours, col_src in [("announced_local", "announced_local"), ("listings", "symbols"),
                              ("primary_symbol", "primary_symbol"), ("benchmark_symbol", "benchmark_symbol"),
                              ("amount_usd_bn", "amount_usd_bn"), ("company", "company")]:  # fmt: skip
        assert (ours[col_ours] == src[col_src]).all(), col_ours
    for eid in src.index:
        # every source URL is kept
        assert set(src.loc[eid, "source_urls"].split()) <= set(ours.loc[eid, "source_urls"].split()), eid
        # the timing categories are the source's tokens (the optional @date aside)
        src_tokens = dict(tok.split(":") for tok in _source_tokens(src.loc[eid, "timing_note"]))
        our_tokens = {m: t.category for m, t in parse_timing(ours.loc[eid, "timing"]).items()}
        assert our_tokens == src_tokens, eid
        # our own wording: no source description copied
        assert ours.loc[eid, "summary"] != src.loc[eid, "description"]
    all_src_urls = {u for urls in src["source_urls"] for u in urls.split()}
    all_our_urls = {u for urls in ours["source_urls"] for u in urls.split()}
    assert all_src_urls <= all_our_urls


def _source_tokens(note: str) -> list[str]:
    import re

    return re.findall(r"\b(?:US|HK|TW|JP|KR):(?:before_open|intraday|after_close|unknown)\b", note)


# Primary day 0 of every row, from the day-0 table of shared/data/events/README.md.
# One deliberate difference: Apple 2025-08-06 is mapped from its formal 16:30 ET time (after the
# close) to 2025-08-07; the README's 2025-08-06 is the leak day, kept in leak_date.
PRIMARY_DAY0 = {
    "20210323_intel_idm2_arizona": "2021-03-24", "20210401_tsmc_100bn_3y": "2021-04-01",
    "20210824_samsung_240tn_3y": "2021-08-24", "20220121_intel_ohio": "2022-01-21",
    "20221004_micron_ny_megafab": "2022-10-04", "20221026_meta_2023capex": "2022-10-27",
    "20250103_microsoft_80bn_fy25": "2025-01-03", "20250121_stargate_500bn": "2025-01-22",
    "20250124_meta_2025capex": "2025-01-24", "20250204_alphabet_75bn_2025": "2025-02-05",
    "20250206_amazon_100bn_2025": "2025-02-07", "20250224_alibaba_380bn_3y": "2025-02-24",
    "20250224_apple_500bn_us": "2025-02-24", "20250303_tsmc_100bn_us": "2025-03-04",
    "20250319_tencent_capex_2025": "2025-03-20", "20250612_micron_200bn_us": "2025-06-12",
    "20250714_meta_hundreds_of_billions": "2025-07-14", "20250806_apple_100bn_additional": "2025-08-07",
    "20250909_oracle_fy26capex_rpo": "2025-09-10", "20250922_nvidia_openai_100bn": "2025-09-22",
    "20250924_alibaba_apsara_raise": "2025-09-24", "20251006_amd_openai_6gw": "2025-10-06",
    "20251013_broadcom_openai_10gw": "2025-10-13", "20251029_meta_2025capex_raise": "2025-10-30",
    "20251210_oracle_fy26capex_50bn": "2025-12-11", "20260128_meta_2026capex": "2026-01-29",
    "20260204_alphabet_2026capex": "2026-02-05", "20260205_amazon_200bn_2026": "2026-02-06",
}  # fmt: skip

# Other listings, hand-derived from the same table and the rules in the docstring of catalogue_to_events.
SECONDARY_DAY0 = {
    "20210401_tsmc_100bn_3y:TSM": "2021-04-01",  # US:unknown, Thursday 2021-04-01 is a NYSE session
    "20250121_stargate_500bn:9984.T": "2025-01-22",  # JP:before_open on the Tokyo date 2025-01-22
    "20250121_stargate_500bn:SFTBY": "2025-01-22",  # US:after_close on 2025-01-21
    "20250204_alphabet_75bn_2025:GOOG": "2025-02-05",
    "20250224_alibaba_380bn_3y:BABA": "2025-02-24",  # US:before_open: the NY session starts after HK midday
    "20250303_tsmc_100bn_us:TSM": "2025-03-03",  # 13:30 ET, intraday
    "20250319_tencent_capex_2025:TCEHY": "2025-03-19",  # no US token: first session on/after the date
    "20250924_alibaba_apsara_raise:BABA": "2025-09-24",
    "20260204_alphabet_2026capex:GOOG": "2026-02-05",
}


def test_every_primary_day0(all_events: pd.DataFrame) -> None:
    primary = all_events[all_events["is_primary"]].set_index("catalogue_id")
    got = {eid: f"{_day0(row):%Y-%m-%d}" for eid, row in primary.iterrows()}
    assert got == PRIMARY_DAY0


def test_secondary_listings_day0(all_events: pd.DataFrame) -> None:
    secondary = all_events[~all_events["is_primary"]].set_index("event_id")
    assert {eid: f"{_day0(row):%Y-%m-%d}" for eid, row in secondary.iterrows()} == SECONDARY_DAY0


@pytest.mark.parametrize(
    ("event_id", "rule", "timing", "unknown"),
    [
        ("20210323_intel_idm2_arizona:INTC", "timestamp", "after_close", False),  # 17:00 EDT -> next session
        ("20210824_samsung_240tn_3y:005930.KS", "timestamp", "intraday", False),  # 15:00 KST < 15:30 close
        ("20250303_tsmc_100bn_us:2330.TW", "timestamp", "before_open", False),  # 02:30 Taipei on 03-04
        ("20250124_meta_2025capex:META", "before_open", "before_open", False),
        ("20250224_alibaba_380bn_3y:9988.HK", "intraday", "intraday", False),
        ("20221026_meta_2023capex:META", "after_close", "after_close", False),
        ("20250103_microsoft_80bn_fy25:MSFT", "unknown", "unknown", True),
        ("20250319_tencent_capex_2025:TCEHY", "no_timing_token", "", True),
    ],
)
def test_each_timing_category(all_events: pd.DataFrame, event_id: str, rule: str, timing: str, unknown: bool) -> None:
    row = all_events.set_index("event_id").loc[event_id]
    assert (row["day0_rule"], row["timing"], row["timing_unknown"]) == (rule, timing, unknown)
    assert row["day0_reason"]
    if rule == "timestamp":
        assert pd.isna(row["event_date"]) and row["announced_at"].tzinfo is not None
    else:
        assert row["announced_at"] is None and get_calendar(_cal(row["symbol"])).is_session(row["event_date"])


def _cal(symbol: str) -> str:
    from research_lib.listings.symbols import lookup

    return lookup(symbol).calendar


def test_alibaba_timestamp_would_give_the_same_sessions(all_events: pd.DataFrame) -> None:
    # The catalogue keeps Alibaba date-only; the earliest report time (11:48 HKT) must not contradict it.
    for sym in ("9988.HK", "BABA"):
        row = all_events.set_index("event_id").loc[f"20250224_alibaba_380bn_3y:{sym}"]
        assert day_zero("2025-02-24T11:48+08:00", sym).session == row["event_date"] == TS("2025-02-24")


def test_confounded_earnings_follows_the_window(catalogue: Catalogue, all_events: pd.DataFrame) -> None:
    primary = all_events[all_events["is_primary"]].set_index("catalogue_id")
    for rec in catalogue.frame.to_dict("records"):
        if pd.isna(rec["earnings_date"]):
            assert not rec["confounded_earnings"], rec["event_id"]
            continue
        row = primary.loc[rec["event_id"]]
        cal = get_calendar(_cal(row["symbol"]))
        earn = cal.date_to_session(rec["earnings_date"], direction="next")
        d0 = _day0(row)
        lo, hi = sorted((earn, d0))
        distance = len(cal.sessions_in_range(lo, hi)) - 1
        assert rec["confounded_earnings"] == (distance <= EARNINGS_WINDOW), (rec["event_id"], distance)


def test_catalogue_events_are_valid_events(catalogue: Catalogue, all_events: pd.DataFrame) -> None:
    assert all_events["event_id"].is_unique
    assert len(all_events) == sum(len(s.split(";")) for s in catalogue.frame["listings"])
    primary = catalogue.to_events()
    assert len(primary) == 28 and primary["is_primary"].all()
    assert list(primary["benchmark"]) == list(catalogue.frame["benchmark_symbol"])
    assert all_events.set_index("event_id").loc["20250121_stargate_500bn:9984.T", "benchmark"] == "^N225"
    checked = read_events(all_events)
    pd.testing.assert_series_equal(checked["event_date"], all_events["event_date"])
    leaks = all_events.dropna(subset=["leak_date"])
    assert set(leaks["catalogue_id"]) == {"20250121_stargate_500bn", "20250806_apple_100bn_additional"}
    with pytest.raises(CatalogueError, match="use 'primary' or 'all'"):
        catalogue_to_events(catalogue, listings="secondary")


def test_row_with_an_extra_field_is_refused_not_shifted(tmp_path) -> None:  # noqa: ANN001
    p = tmp_path / "extra.csv"
    p.write_text("event_id,symbol,benchmark,event_date\nbaba,BABA,^GSPC,2025-02-24,extra\n")
    with pytest.raises(CatalogueError, match="line 2: 5 fields, the header has 4"):
        read_events(p)


def test_lower_case_symbols_are_accepted_and_normalised(tmp_path) -> None:  # noqa: ANN001
    p = tmp_path / "lower.csv"
    p.write_text("event_id,symbol,benchmark,event_date\nhk,9988.hk,^hsi,2025-02-24\nny,baba,^gspc,2025-02-24\n")
    ev = read_events(p)
    assert ev["symbol"].tolist() == ["9988.HK", "BABA"] and ev["benchmark"].tolist() == ["^HSI", "^GSPC"]


def test_catalogue_names_stay_importable_from_events() -> None:
    import research_lib
    import research_lib.events as events
    import research_lib.events.reader as reader

    assert events.load_catalogue is reader.load_catalogue is research_lib.load_catalogue is load_catalogue
    assert "load_catalogue" not in reader.__all__  # the catalogue is a case, not the core
