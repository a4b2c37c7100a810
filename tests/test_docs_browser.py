"""The built site in a real browser: headless Chromium (Debian's chromium + chromium-driver) via Selenium.

The site is built once per session (warnings fail the build) from the executed notebooks of the last
``reproduce`` run, or, where there are no reports, from the un-executed source notebooks; CI reuses the
site that ``research-lib docs`` has just built (``RESEARCH_LIB_DOCS_HTML``). It is served
over ``http.server`` on 127.0.0.1; each page checked must load its figures, render its math with MathJax
(served from the site itself: no network), log no console error, and link only to internal pages that exist.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip(
        "no headless browser: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )
pytest.importorskip("sphinx", reason="the docs extra is not installed (pip install -e '.[docs]')")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the docs extra)")

PAGES = {
    "index": "index.html",
    "event_study": "api/generated/research_lib.event_study.html",
    "notebook_01": "notebooks/01_alibaba_new_york.html",
}


@pytest.fixture(scope="session")
def site() -> Iterator[Path]:
    from research_lib.runner.docs import build_docs

    built = os.environ.get("RESEARCH_LIB_DOCS_HTML")  # .ci/run sets it after `research-lib docs`
    if built and (Path(built) / "index.html").is_file():
        yield Path(built)
        return
    out = Path(tempfile.mkdtemp(prefix="research_lib_site_"))
    build = build_docs(out / "html", REPO / "reports", run_reproduce=False, allow_unexecuted=True)
    yield build.html
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def driver() -> Iterator[object]:
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="research_lib_chromium_")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # an explicit driver path: Selenium Manager never downloads anything
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(driver, url: str) -> list[dict]:  # noqa: ANN001
    """Load ``url``, wait for MathJax to finish, return the console entries of this page."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(url)
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    wait.until(lambda d: d.execute_script(
        "return !document.querySelector('.math') || (window.MathJax && MathJax.Hub && "
        "MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0 && "
        "document.querySelectorAll('span.MathJax').length > 0)"))
    return driver.get_log("browser")


def _figure_outputs(notebook: Path) -> int:
    """Image outputs of an executed notebook (0 when it was not executed)."""
    if not notebook.is_file():
        return 0
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return sum(
        1
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if any(k.startswith("image/") for k in out.get("data", {}))
    )


def _check_page(page: str, server: str, driver) -> list[str]:  # noqa: ANN001
    """What is wrong with one page (an empty list when nothing is)."""
    problems: list[str] = []
    url = server + PAGES[page]
    logs = _open(driver, url)
    if "404" in driver.title or not driver.find_elements("css selector", "main, article"):
        return [f"{url} did not load"]

    errors = [e for e in logs if e.get("level") == "SEVERE"]
    if errors:
        problems.append(f"console errors on {page}: {errors}")

    # figures: every image loaded and has a width
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete, i.naturalWidth])")
    broken = [src for src, complete, width in images if not (complete and width > 0)]
    if broken:
        problems.append(f"images that did not load on {page}: {broken}")
    if page == "notebook_01":
        report = REPO / "reports" / "01_alibaba_new_york.ipynb"
        figures = _figure_outputs(report)
        # notebook 01 draws its ARs and CARs: an executed copy without figures ran on a non-inline backend
        if report.is_file() and figures == 0:
            problems.append(f"{report} has no figure outputs (reproduce ran with MPLBACKEND=Agg?)")
        if len(images) < figures:
            problems.append(f"notebook 01 has {figures} figure outputs; the page shows {len(images)} images")

    # math: every formula typeset by MathJax, no MathJax error
    n_math = driver.execute_script("return document.querySelectorAll('span.math.notranslate, div.math.notranslate').length")
    if page in ("index", "event_study") and n_math == 0:
        problems.append(f"{page} has formulas; no math element found")
    rendered = driver.execute_script("return document.querySelectorAll('span.MathJax').length")
    if rendered < n_math:
        problems.append(f"{page}: {rendered} MathJax outputs for {n_math} formulas")
    if driver.find_elements("css selector", ".MathJax_Error, .merror, merror"):
        problems.append(f"MathJax error on {page}")

    # internal links: every href on the site answers
    hrefs = driver.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    internal = sorted({h.split("#", 1)[0] for h in hrefs if h.startswith(server)})
    if not internal:
        problems.append(f"no internal links on {page}")
    for link in internal:
        try:
            with urllib.request.urlopen(urllib.request.Request(link, method="HEAD"), timeout=10) as resp:
                if resp.status != 200:
                    problems.append(f"{page}: {link} answered {resp.status}")
        except urllib.error.HTTPError as exc:
            problems.append(f"{page}: dead internal link {link} ({exc.code})")
    return problems


def test_site_renders_in_chromium(server: str, driver) -> None:  # noqa: ANN001
    # one test for the three pages: under pytest-xdist a single worker builds the site
    problems = [p for page in PAGES for p in _check_page(page, server, driver)]
    assert not problems, "\n".join(problems)
