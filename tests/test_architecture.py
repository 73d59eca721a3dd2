"""Dependencies run one way: sessions -> papers -> clubs (docs/architecture.md).

clubs knows neither papers nor sessions; papers does not know sessions. A lower
app that must react to a higher one offers a registry or a service for the
higher one to call. These tests read every module's source (imports at the top,
inside functions and under TYPE_CHECKING alike), the model references written as
strings ("meetings.Session") and the migrations' dependencies. And no module
uses another module's underscore names (`from sessions.reading.views import
_session`, `ical._event`): what a module offers others has a public name.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The project's own top-level packages (what counts as "another module of ours").
OURS = ("clubs", "papers", "sessions", "api", "paperclub", "tests", "bench")

# app folder -> the apps it must never reach, by folder and by app label.
FORBIDDEN = {
    "clubs": {"papers": "papers", "sessions": "meetings", "api": "api"},
    "papers": {"sessions": "meetings", "api": "api"},
    # The API sits on top: it reads and writes through the apps, never the reverse.
    "sessions": {"api": "api"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_modules(source: str, module: str, *, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the source, with relative
    imports resolved against `module`."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def _model_references(source: str) -> list[tuple[int, str]]:
    """String constants that name a model or a migration of an app ("label.Model",
    or ("label", "0001_...") in a migration's dependencies)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.fullmatch(r"[a-z_]+\.[A-Z]\w*", node.value):
                found.append((node.lineno, node.value.partition(".")[0]))
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
            label, name = node.elts
            if (
                isinstance(label, ast.Constant)
                and isinstance(name, ast.Constant)
                and isinstance(name.value, str)
                and re.fullmatch(r"\d{4}_\w+|__first__|__latest__", name.value)
            ):
                found.append((node.lineno, label.value))
    return found


def violations(app: str, path: Path, source: str) -> list[str]:
    """What in this source file of `app` reaches an app it must not know."""
    module = _module_name(path)
    forbidden = FORBIDDEN[app]
    problems = []
    for line, name in _imported_modules(source, module, is_package=path.name == "__init__.py"):
        top = name.partition(".")[0]
        if top in forbidden:
            problems.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    for line, label in _model_references(source):
        if label in forbidden.values():
            problems.append(f"{path.relative_to(ROOT)}:{line} names the {label} app")
    return problems


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_lower_app_never_reaches_a_higher_one(app):
    files = sorted((ROOT / app).rglob("*.py"))

    problems = [problem for path in files for problem in violations(app, path, path.read_text())]

    assert len(files) > 10
    assert problems == []


@pytest.mark.parametrize(
    ("app", "relative_path", "source", "expected"),
    [
        ("clubs", "clubs/services.py", "from papers.models import Paper", "imports papers.models"),
        ("clubs", "clubs/services.py", "import sessions.tasks", "imports sessions.tasks"),
        (
            "clubs",
            "clubs/outbox/kinds.py",
            "def f():\n    from sessions.mail import messages",
            "imports sessions.mail",
        ),
        (
            "papers",
            "papers/services.py",
            "if TYPE_CHECKING:\n    from sessions.models import Session",
            "imports sessions.models",
        ),
        (
            "papers",
            "papers/models.py",
            "session = models.ForeignKey('meetings.Session', on_delete=models.CASCADE)",
            "names the meetings app",
        ),
        (
            "clubs",
            "clubs/migrations/0009_x.py",
            "dependencies = [('clubs', '0008_y'), ('papers', '0002_z')]",
            "names the papers app",
        ),
    ],
)
def test_checker_finds_each_kind_of_reach(app, relative_path, source, expected):
    problems = violations(app, ROOT / relative_path, source)

    assert [problem.split(" ", 1)[1] for problem in problems] == [expected]


def test_checker_resolves_relative_imports_inside_the_app():
    source = "from . import models\nfrom ..selectors import membership_of\nfrom .. import limits"

    assert violations("clubs", ROOT / "clubs/outbox/services.py", source) == []
    assert _imported_modules(source, "clubs.outbox.services", is_package=False) == [
        (1, "clubs.outbox"),
        (2, "clubs.selectors"),
        (3, "clubs"),
    ]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def private_uses(path: Path, source: str) -> list[str]:
    """Where this file takes an underscore name from another module of ours:
    `from <ours> import _name`, or `<module of ours>._name`."""
    module = _module_name(path)
    modules: set[str] = set()  # local names bound to modules of ours
    problems = []
    is_package = path.name == "__init__.py"
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            [(_, name)] = _imported_modules(ast.unparse(node), module, is_package=is_package)
            if name.partition(".")[0] not in OURS:
                continue
            for alias in node.names:
                if _private(alias.name):
                    problems.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} imports {name}.{alias.name}"
                    )
                elif _is_module(f"{name}.{alias.name}"):
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.partition(".")[0] in OURS:
                    modules.add(alias.asname or alias.name.partition(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {ast.unparse(node)}")
    return problems


def test_no_module_uses_another_modules_underscore_names():
    files = sorted(
        path
        for top in OURS
        for path in (ROOT / top).rglob("*.py")
        if "migrations" not in path.parts
    )

    problems = [problem for path in files for problem in private_uses(path, path.read_text())]

    assert len(files) > 100
    assert problems == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from sessions.reading.views import _session",
            ["imports sessions.reading.views._session"],
        ),
        ("from .services import _require", ["imports papers.services._require"]),
        ("from sessions.calendars import ical\nical._event(1)", ["uses ical._event"]),
        (
            "import sessions.calendars.ical\nsessions.calendars.ical._span([])",
            ["uses sessions.calendars.ical._span"],
        ),
        ("from arxiv import _feed", []),  # another project's: pinned in pyproject.toml
        ("from sessions.models import Session\nSession._meta", []),  # a class's API
        ("def f(self):\n    return self._cache", []),
    ],
)
def test_underscore_checker_finds_each_kind_of_use(source, expected):
    problems = private_uses(ROOT / "papers/proposing.py", source)

    assert [problem.split(" ", 1)[1] for problem in problems] == expected
