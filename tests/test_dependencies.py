"""The lockfiles match pyproject.toml, and the code imports only what it declares.

pyproject.toml says what Paper Club needs (with bounds); requirements.txt and
requirements-dev.txt (written by ./scripts/lock) say exactly which versions CI,
the Docker image and every checkout install. These tests fail when someone edits
one without the other, or imports a package that only arrives as another
package's dependency (it would vanish the day that package drops it).
"""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(line) for line in PYPROJECT["dependencies"]]
DEV = [Requirement(line) for line in PYPROJECT["optional-dependencies"]["dev"]]

FIRST_PARTY = {"paperclub", "clubs", "papers", "sessions", "api", "tests", "bench", "manage"}
RUNTIME_CODE = ["paperclub", "clubs", "papers", "sessions", "api"]
DEV_CODE = ["tests", "bench", "scripts"]

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _pins(name: str) -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of hashes)} of one lockfile."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            pins[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif not line.startswith(" "):
            current = None
    return pins


@pytest.mark.parametrize(
    ("lockfile", "declared"),
    [("requirements.txt", RUNTIME), ("requirements-dev.txt", RUNTIME + DEV)],
)
def test_lockfile_pins_every_declared_package_within_its_bounds(lockfile, declared):
    pins = _pins(lockfile)

    wrong = {
        str(req): pins.get(canonicalize_name(req.name), ("missing", 0))[0]
        for req in declared
        if canonicalize_name(req.name) not in pins
        or not req.specifier.contains(pins[canonicalize_name(req.name)][0], prereleases=True)
    }

    assert wrong == {}, f"run ./scripts/lock: {lockfile} does not follow pyproject.toml"


@pytest.mark.parametrize("lockfile", ["requirements.txt", "requirements-dev.txt"])
def test_lockfile_has_hashes_for_every_pin(lockfile):
    pins = _pins(lockfile)

    assert len(pins) > 20
    assert [name for name, (_, hashes) in pins.items() if hashes == 0] == []


def test_lockfiles_agree_on_every_shared_version():
    app, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")

    assert {name: (version, dev.get(name, ("missing",))[0]) for name, (version, _) in app.items()
            if dev.get(name, ("missing",))[0] != version} == {}  # fmt: skip


def _imported_top_level_names(folders: list[str]) -> dict[str, str]:
    """{top-level module name: first file importing it} for every absolute import
    in the folders, including imports inside functions."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.partition(".")[0], str(path.relative_to(ROOT)))
    return found


def _undeclared(folders: list[str], declared: list[Requirement]) -> dict[str, str]:
    allowed = {canonicalize_name(req.name) for req in declared}
    owners = packages_distributions()
    undeclared = {}
    for module, where in _imported_top_level_names(folders).items():
        if module in sys.stdlib_module_names or module in FIRST_PARTY:
            continue
        distributions = {canonicalize_name(d) for d in owners.get(module, [module])}
        if not distributions & allowed:
            undeclared[module] = where
    return undeclared


def test_app_code_imports_only_packages_it_declares():
    assert _undeclared(RUNTIME_CODE, RUNTIME) == {}


def test_tests_and_tools_import_only_packages_declared_for_development():
    assert _undeclared(DEV_CODE, RUNTIME + DEV) == {}


def test_import_scan_finds_third_party_imports_inside_functions():
    """The scan must see what it guards: pypdf is imported only inside
    papers/pdf.py's functions, requests at the top of the arXiv client."""
    names = _imported_top_level_names(["papers"])

    assert {"pypdf", "requests", "lxml", "arxiv"} <= names.keys()
