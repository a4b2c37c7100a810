"""pyproject.toml is the single source of dependencies; the README, environment.yml and CI agree with it."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from conftest import REPO


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)\n```", text, flags=re.S | re.M)


def test_environment_yml_installs_the_project_with_every_extra() -> None:
    env = (REPO / "environment.yml").read_text()
    extras = set(_pyproject()["project"]["optional-dependencies"])
    match = re.search(r"-e \.\[([^\]]+)\]", env)
    assert match, "environment.yml must pip-install the project itself (-e .[extras])"
    assert set(match.group(1).split(",")) == extras
    assert "conda-forge" in env and re.search(r"^\s*- pip\s*$", env, flags=re.M)
    # no dependency is listed twice (the pip line brings them all from pyproject.toml)
    deps = env.split("dependencies:", 1)[1]
    listed = re.findall(r"^\s*-\s+([A-Za-z][\w.-]*)", deps, flags=re.M)
    assert set(listed) <= {"python", "pip"}, listed


def test_environment_python_satisfies_requires_python() -> None:
    env = (REPO / "environment.yml").read_text()
    version = re.search(r"python=(\d+)\.(\d+)", env)
    floor = re.search(r">=(\d+)\.(\d+)", _pyproject()["project"]["requires-python"])
    assert version and floor
    assert tuple(map(int, version.groups())) >= tuple(map(int, floor.groups()))


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (REPO / "README.md").read_text()
    blocks = _bash_blocks(readme)
    assert len(blocks) >= 2
    setup, tests = blocks[0], blocks[1]
    extras = set(_pyproject()["project"]["optional-dependencies"])
    for cmd in (setup, tests):
        used = re.search(r"-e \"\.\[([^\]]+)\]\"", cmd)
        assert used and set(used.group(1).split(",")) <= extras
    assert "research-lib reproduce" in setup
    assert "pytest" in tests
    # .ci/run extracts the second block; check that it gets exactly that text
    out = subprocess.run(
        ["awk", r"/^```bash$/{n++; next} /^```$/{if (n==2) exit} n==2", str(REPO / "README.md")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert out == tests.strip()
    assert "exit 1" in (REPO / ".ci" / "run").read_text() and '"$rc" -eq 5' in (REPO / ".ci" / "run").read_text()


def test_console_script_is_declared() -> None:
    assert _pyproject()["project"]["scripts"]["research-lib"] == "research_lib.cli.app:main"


def test_public_api_names_resolve():
    import research_lib

    assert set(research_lib.__all__) == {"__version__", *research_lib._EXPORTS}
    for name in research_lib._EXPORTS:
        assert getattr(research_lib, name) is not None
    assert callable(research_lib.event_study)


@pytest.mark.install
def test_installed_wheel_works_outside_the_checkout(tmp_path) -> None:  # noqa: ANN001
    """``pip install .`` into a fresh venv, then import, load the catalogue and find the template from
    the installed copy, run from a folder outside the repository (no network: no deps, no isolation).

    The venv sees this interpreter's packages (pandas, setuptools ...) through a ``.pth`` line, so nothing
    is downloaded; the package itself is built from a copy of the sources, so the checkout stays clean.
    """
    import os
    import shutil
    import sys
    import sysconfig

    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "reports", "notebooks", "tests", "benchmarks", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "_parent_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # never import the checkout
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                          str(src)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-2000:]
    code = (
        "import pathlib, research_lib\n"
        "research_lib.event_study\n"
        "from research_lib.cases.capex import load_catalogue\n"
        "from research_lib.runner.template import TEMPLATE\n"
        f"site = pathlib.Path({site!r}).resolve()\n"
        "where = pathlib.Path(research_lib.__file__).resolve()\n"
        "assert site in where.parents, where\n"
        "assert len(load_catalogue()) > 0 and TEMPLATE.is_file() and site in TEMPLATE.resolve().parents\n"
        "assert (where.parent / 'py.typed').is_file()\n"
        "print('ok', where)\n"
    )
    out = subprocess.run([str(py), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("ok"), out.stderr[-2000:]


def test_readme_layout_table_names_every_subpackage() -> None:
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("## Layout"):readme.index("## Data")]
    pkgs = sorted(p.parent.name for p in (REPO / "research_lib").glob("*/__init__.py"))
    assert pkgs and all(f"`research_lib/{p}/`" in table for p in pkgs), pkgs
    modules = sorted(p.stem for p in (REPO / "research_lib").glob("*.py") if p.stem != "__init__")
    missing = [m for m in modules if f"`{m}`" not in table]
    assert not missing, f"top-level modules missing from the README layout table: {missing}"
    assert (REPO / "CONTRIBUTING.md").is_file()


# -- the lock file: exact versions for Python 3.11, consistent with pyproject.toml and environment.yml --

LOCK = REPO / "requirements" / "lock-py311.txt"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"lock line without an exact version: {line!r}"
            pins[_canonical(name.split("[")[0])] = version.split(";")[0].strip()
    return pins


def _requirement_name(req: str) -> str:
    return _canonical(re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0])


def test_lock_pins_every_dependency_of_pyproject() -> None:
    """A dependency added to pyproject.toml without regenerating the lock fails here (bash requirements/compile.sh)."""
    project = _pyproject()["project"]
    wanted = {_requirement_name(r) for r in project["dependencies"]}
    for extra in ("notebooks", "dev", "docs", "scale"):
        wanted |= {_requirement_name(r) for r in project["optional-dependencies"][extra]}
    pins = _lock_pins()
    assert wanted - set(pins) == set(), "regenerate requirements/lock-py311.txt (bash requirements/compile.sh)"
    assert "research-lib" not in pins  # the project is installed from the checkout (--no-deps -e .)


def test_lock_satisfies_pyproject_specifiers() -> None:
    from packaging.requirements import Requirement

    project = _pyproject()["project"]
    reqs = list(project["dependencies"]) + [r for e in ("notebooks", "dev", "docs") for r in project["optional-dependencies"][e]]
    pins = _lock_pins()
    for text in reqs:
        req = Requirement(text)
        assert req.specifier.contains(pins[_canonical(req.name)], prereleases=True), (text, pins[_canonical(req.name)])


def test_readme_ci_and_environment_use_the_same_lock() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    for text in (readme, ci):
        assert re.search(r"pip install (-q )?-r requirements/lock-py311\.txt", text)
        assert re.search(r"pip install (-q )?--no-deps -e \.", text)
    env = (REPO / "environment.yml").read_text()
    # the conda environment's Python is the lock's, and it installs every extra the lock covers
    assert re.search(r"python=3\.11\b", env)
    assert "requirements/lock-py311.txt" in env


def test_installed_versions_are_the_locked_ones() -> None:
    """In CI (RESEARCH_LIB_LOCKED=1, set by .ci/run after the locked install) the suite runs on the lock's
    exact versions; the Alibaba key numbers (tests/test_alibaba_case.py) are checked in that same run."""
    import os
    from importlib import metadata

    if os.environ.get("RESEARCH_LIB_LOCKED") != "1":
        import pytest

        pytest.skip("not a locked install (.ci/run sets RESEARCH_LIB_LOCKED=1 after pip install -r the lock)")
    wrong = {}
    for name, version in _lock_pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"locked vs installed: {wrong}"
