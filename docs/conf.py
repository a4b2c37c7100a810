"""Sphinx configuration of the research_lib site (built offline by ``research-lib docs``).

The API reference is generated at build time from ``research_lib.__all__`` and the
subpackages' ``__all__``, so it follows whatever the public API is; the notebooks
are the executed ones of the last ``reproduce`` run, staged by
``research_lib.runner.docs.stage_notebooks`` (never executed here).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import research_lib  # noqa: E402
from research_lib.runner import docs as docs_runner  # noqa: E402

project = "research_lib"
author = "research_lib contributors"
copyright = "research_lib contributors"  # noqa: A001
release = version = research_lib.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "sphinxarg.ext",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# -- API reference -------------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # numpydoc shows the types of the Parameters section
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# The documented subpackages and modules, in reading order; each contributes its ``__all__``.
API_SECTIONS = [
    ("research_lib", "The public API (``from research_lib import ...``)"),
    ("research_lib.examples", "Synthetic example data"),
    ("research_lib.listings", "Symbols, exchange calendars and day 0"),
    ("research_lib.data", "The data layer"),
    ("research_lib.events", "Events and the capex catalogue"),
    ("research_lib.engine", "Returns, windows and the event panel"),
    ("research_lib.models", "Normal-return models"),
    ("research_lib.inference", "Tests"),
    ("research_lib.inference.parametric", "Parametric tests (formulas)"),
    ("research_lib.inference.rank", "Rank tests (formulas)"),
    ("research_lib.inference.sign", "Sign and signed-rank tests (formulas)"),
    ("research_lib.inference.correlation", "Cross-correlation of abnormal returns (formulas)"),
    ("research_lib.models.market", "The market model (formulas)"),
    ("research_lib.models.scholes_williams", "Scholes-Williams (formulas)"),
    ("research_lib.models.dimson", "Dimson (formulas)"),
    ("research_lib.analysis", "Groups, calendar time, robustness, ADR parity"),
    ("research_lib.simulation", "Size and power by simulation"),
    ("research_lib.results", "Results"),
    ("research_lib.conventions", "Conventions"),
    ("research_lib.plotting", "Plots"),
    ("research_lib.runner", "Reproduce, template and provenance"),
    ("research_lib.errors", "Errors"),
]


def write_api_pages() -> None:
    """Write ``api/index.rst`` (only when it changes, so Sphinx rebuilds only what changed)."""
    target = DOCS / "api" / "index.rst"
    target.parent.mkdir(exist_ok=True)
    text = docs_runner.api_index_rst(API_SECTIONS)
    if not target.is_file() or target.read_text() != text:
        target.write_text(text)
    # a stub left by an earlier build for a name no longer public would be an orphan page (a warning)
    listed = {line.strip() for line in text.splitlines() if line.startswith("   research_lib.")}
    for stub in (target.parent / "generated").glob("*.rst"):
        if stub.stem not in listed:
            stub.unlink()


def stage() -> None:
    """Stage the executed notebooks of the last ``reproduce`` run into ``notebooks/``."""
    reports = Path(os.environ.get(docs_runner.ENV_REPORTS) or ROOT / "reports")
    docs_runner.stage_notebooks(DOCS / "notebooks", reports, allow_unexecuted=bool(os.environ.get(docs_runner.ENV_ALLOW_UNEXECUTED)))


# -- notebooks (rendered, never executed) -----------------------------------------------------------
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_update_mathjax = False
myst_heading_anchors = 3
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.jupyter.widget-state+json", None),
]
suppress_warnings = ["myst.header"]  # notebooks may skip a heading level

# -- math, offline: MathJax 2.7 from the jupyter-server-mathjax wheel ------------------------------------
# The wheel (on PyPI, pinned in the lock file) is the MathJax that Jupyter serves offline: its combined
# TeX/MathML/HTML-CSS configuration and the STIX-Web fonts. copy_mathjax puts it into _static/mathjax,
# so no page reaches a CDN. (npm's mathjax would need node in CI; imgmath would need LaTeX from apt.)
try:
    import jupyter_server_mathjax

    MATHJAX_SRC: Path | None = Path(jupyter_server_mathjax.__file__).parent / "static"
except ImportError:  # pragma: no cover - the docs extra installs it
    MATHJAX_SRC = None
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processEscapes": True},
    "HTML-CSS": {
        "availableFonts": ["STIX-Web"], "preferredFont": "STIX-Web", "webFont": "STIX-Web", "imageFont": None,
        # MathJax's blank test font points at about:blank, which Chromium refuses with a console error;
        # a local() source loads nothing and raises nothing
        "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}},
    },
    "messageStyle": "none",
}


def copy_mathjax(app, exception) -> None:  # noqa: ANN001
    if exception is not None or app.builder.format != "html":
        return
    if MATHJAX_SRC is None or not (MATHJAX_SRC / "MathJax.js").is_file():
        raise RuntimeError("MathJax not found: install the docs extra (jupyter-server-mathjax)")
    target = Path(app.outdir) / "_static" / "mathjax"
    shutil.copytree(MATHJAX_SRC, target, dirs_exist_ok=True)


# -- HTML -------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"research_lib {release}"
html_static_path: list[str] = []  # MathJax is copied in by copy_mathjax
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "icon_links": [],
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_context = {"default_mode": "light"}  # an unset mode makes the theme log a console error
html_favicon = "favicon.svg"  # without one the browser asks for /favicon.ico (a 404 in the console)
html_show_sourcelink = False
html_copy_source = False


_BARS = re.compile(r"(?<![\\|])\|([^|\s][^|]*?)\|(?![_|])")
_REFS = re.compile(r"(?<![\\\w])([A-Za-z]\w*)_(?=[^\w`]|$)")
_CODE = re.compile(r"(``.*?``|`[^`]*`)")


def escape_plain_math(app, what, name, obj, options, lines) -> None:  # noqa: ANN001
    """Docstrings write plain-text formulas (``|CAR|``, ``b_-1``): keep them text, not reST markup.

    ``|CAR|`` would be a substitution and ``b_`` a hyperlink reference; both are escaped.

    Bars inside literals, roles and ``.. math::`` blocks are left alone (there they are math).
    """
    in_math, indent = False, 0
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        depth = len(line) - len(stripped)
        if in_math and stripped and depth <= indent:
            in_math = False
        if stripped.startswith(".. math::"):
            in_math, indent = True, depth
            continue
        if in_math:
            continue
        parts = _CODE.split(line)
        lines[i] = "".join(p if j % 2 else _REFS.sub(r"\1\\_", _BARS.sub(r"\\|\1\\|", p)) for j, p in enumerate(parts))


_USES: dict[str, list[docs_runner.NotebookUse]] = {}


def link_notebooks(app, what, name, obj, options, lines) -> None:  # noqa: ANN001
    """Append "Used in the notebooks" with a link to each notebook section that calls the object."""
    uses = _USES.get(name.rsplit(".", 1)[-1]) if what in ("function", "class") else None
    if not uses:
        return
    lines += ["", ".. rubric:: Used in the notebooks", ""]
    def plain(text: str) -> str:  # no reST markup inside a role's title or an emphasis
        return re.sub(r"[`*<>|_\\]", "", text)

    lines += [f"- :doc:`{plain(u.title)} </notebooks/{u.notebook}>`, section *{plain(u.section)}*" for u in uses]


# generated sources must exist before Sphinx discovers the documents (before any event runs)
write_api_pages()
stage()
_USES.update(docs_runner.notebook_uses(
    DOCS / "notebooks", sorted({n for m, _ in API_SECTIONS for n in docs_runner.public_objects(m)})))


def _link_by_name() -> None:
    """Tests and models are chosen by name in the notebooks: link their functions and classes too."""
    from research_lib.inference import ALL_TEST_NAMES
    from research_lib.models import REGISTRY as MODELS

    quoted = docs_runner.notebook_uses(DOCS / "notebooks", [], quoted=sorted({*ALL_TEST_NAMES, *MODELS}))
    targets = {t: t for t in ALL_TEST_NAMES} | {name: type(model).__name__ for name, model in MODELS.items()}
    for name, key in targets.items():
        for use in quoted.get(name, []):
            if use not in _USES.setdefault(key, []):
                _USES[key].append(use)


_link_by_name()


def setup(app):  # noqa: ANN001, ANN201
    app.connect("build-finished", copy_mathjax)
    app.connect("autodoc-process-docstring", escape_plain_math)
    app.connect("autodoc-process-docstring", link_notebooks)
    return {"parallel_read_safe": True}
