"""The shape of the code: no import cycle, and no lifecycle restated outside ``states/``.

Both are read from the source, not from a running program: every module of the project
is parsed with ``ast``, so an import that only runs inside a function counts as much as
one at the top of a file, and a template is read as text.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import Iterable

import pytest

from states import LIFECYCLES

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("states", "workflow", "db", "notifications", "web", "cli", "config")


# --- the import graph


def project_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of ``packages`` under ``root`` by dotted name; a package's ``__init__`` is the package."""
    found: dict[str, Path] = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterable[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those that only a type checker runs."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    """module → {imported project module → line of the first import of it}."""

    def known(dotted: str) -> str | None:
        parts = dotted.split(".")
        while parts:
            name = ".".join(parts)
            if name in modules:
                return name
            parts.pop()
        return None

    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [known(a.name) for a in node.names]
            else:
                if node.level:
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    here = here[: len(here) - (node.level - 1)]
                    base = ".".join(here + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                for a in node.names:
                    candidate = f"{base}.{a.name}"
                    targets.append(candidate if candidate in modules else known(base))
            for target in targets:
                if target is not None and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def strongly_connected(graph: dict[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iteratively: no recursion limit to meet)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    nodes = set(graph) | {t for targets in graph.values() for t in targets}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def cycles(graph: dict[str, Iterable[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop."""
    return sorted(c for c in strongly_connected(graph) if len(c) > 1 or c[0] in graph.get(c[0], ()))


def _loop_through(graph: dict[str, dict[str, int]], component: list[str]) -> list[str]:
    """One loop of imports through the component, for a readable failure (breadth first)."""
    members, start = set(component), component[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph.get(node, ())):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if target in members and target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    return component


def test_the_cycle_finder_finds_cycles():
    graph = {
        "a": {"b"}, "b": {"c"}, "c": {"a", "d"},  # a loop of three
        "d": {"e"}, "e": set(),                   # a chain out of it
        "f": {"g"}, "g": {"f"},                   # a loop of two
        "h": {"h"},                               # a module importing itself
        "i": {"a"},                               # into a loop, not part of it
    }
    assert cycles(graph) == [["a", "b", "c"], ["f", "g"], ["h"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    with_lines = {n: dict.fromkeys(t, 1) for n, t in graph.items()}
    assert _loop_through(with_lines, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    # Deep chains do not hit a recursion limit.
    chain = {f"m{i}": {f"m{i + 1}"} for i in range(5000)}
    chain["m5000"] = {"m0"}
    assert len(cycles(chain)) == 1 and len(cycles(chain)[0]) == 5001


def test_the_import_graph_sees_every_kind_of_import(tmp_path):
    """A loop closed by a function-level or relative import is found; one behind TYPE_CHECKING is not."""
    files = {
        "app/__init__.py": "",
        "app/engine/__init__.py": "from app.engine.core import run\n",
        "app/engine/core.py": "import app.rules.effects\n\ndef run():\n    pass\n",
        "app/rules/__init__.py": "",
        "app/rules/effects.py": ("from typing import TYPE_CHECKING\n"
                                 "if TYPE_CHECKING:\n    from app.engine import core\n"
                                 "def apply():\n    from ..engine import run  # closes the loop at run time\n"),
        "app/rules/typed.py": "import typing\nif typing.TYPE_CHECKING:\n    import app.rules.effects\nimport os\n",
        "app/web/__init__.py": "",
        "app/web/page.py": "from app.rules import typed, missing_name\nfrom . import sibling\n",
        "app/web/sibling.py": "",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    graph = import_graph(project_modules(tmp_path, ["app"]))
    assert graph["app.rules.effects"] == {"app.engine": 5}
    assert graph["app.rules.typed"] == {}
    assert graph["app.web.page"] == {"app.rules.typed": 1, "app.rules": 1, "app.web.sibling": 2}
    assert cycles(graph) == [["app.engine", "app.engine.core", "app.rules.effects"]]


def test_no_import_cycle_in_the_project():
    graph = import_graph(project_modules(ROOT, PACKAGES))
    assert len(graph) > 50, "the project's modules were not found"
    found = cycles(graph)
    report = []
    for component in found:
        loop = _loop_through(graph, component)
        steps = [f"{a} (line {graph[a][b]}) → {b}" for a, b in zip(loop, loop[1:])]
        report.append(f"{len(component)} modules: {', '.join(component)}\n    e.g. " + "\n         ".join(steps))
    assert not found, "import cycles:\n  " + "\n  ".join(report)


# --- state and trigger names restated outside states/

LIFECYCLE_NAMES: dict[str, list[str]] = defaultdict(list)
for _lc in LIFECYCLES.values():
    for _s in _lc.states:
        LIFECYCLE_NAMES[_s.name].append(f"state of {_lc.name}")
    for _t in (*_lc.transitions, *((_lc.creation,) if _lc.creation else ())):
        if f"trigger of {_lc.name}" not in LIFECYCLE_NAMES[_t.trigger]:
            LIFECYCLE_NAMES[_t.trigger].append(f"trigger of {_lc.name}")

SCANNED_CODE = ("workflow", "web", "notifications", "cli", "db")
SCANNED_TEMPLATES = (("web/templates", "**/*.html"), ("notifications/templates", "**/*"))

# Occurrences of a name that are not about a lifecycle: the same word in another
# vocabulary. Each entry covers that literal in that file and says why it is not a
# reference to a state or a trigger. Keep it short: a real reference is read from the
# definition instead (``lc.initial``, ``lc.creation``, a state's tags, a transition's
# effect, page or confirm).
ALLOWANCE: dict[tuple[str, str], str] = {
    ("workflow/rules/calls.py", "withdrawn"): "key of an application's score line (its withdrawn flag)",
    ("db/migrations/versions/0001_initial_schema.py", "withdrawn"): "column callapplication.withdrawn",
    ("workflow/rules/notice_content.py", "submitted"): "name of a notice content part (states/notices.py)",
    ("notifications/samples.py", "revision_requested"): "a notice KIND (states/notices.py), keying its sample letter",
    ("notifications/render.py", "not_adopted"): "a decision OUTCOME value a letter may state (Decision.outcome)",
    # The demo tells fixed stories through named triggers, as a test does; "*": any name
    # in that file. cli/web.py holds the seeding scripts of ``kyodo serve --demo``.
    ("cli/demo_stories.py", "*"): "the demo's story scripts",
    ("cli/web.py", "*"): "the seeding scripts of serve --demo (PROPOSAL_SCRIPT, CALL_SCRIPT, OPEN_CASES …)",
    # HTML: the words are attribute values of the markup.
    ("web/templates/account.html", "submit"): 'type="submit" of form buttons',
    ("web/templates/base.html", "submit"): 'type="submit" of the sign-out button',
    ("web/templates/login.html", "submit"): 'type="submit" of the sign-in button',
    ("web/templates/notices_failed.html", "submit"): 'type="submit" of the retry button',
    ("web/templates/organisation.html", "submit"): 'type="submit" of form buttons',
    ("web/templates/queue.html", "submit"): 'type="submit" of the filter button',
    ("web/templates/register.html", "submit"): 'type="submit" of the registration button',
    ("web/templates/secretariat.html", "submit"): 'type="submit" of the filter button',
    ("web/templates/editor.html", "submit"): 'type="submit" of the save button',
    ("web/templates/_case.html", "submit"): 'type="submit" of form buttons',
    ("web/templates/_macros.html", "submit"): 'type="submit" of form buttons',
    ("web/templates/editor.html", "select"): "the HTML <select> element's kind of field",
    ("web/templates/_macros.html", "select"): "the HTML <select> element's kind of field",
    ("web/editor.py", "select"): "the HTML <select> element's kind of field",
    ("web/forms.py", "select"): "the HTML <select> element's kind of field",
}

def _excused(path: str, literal: str) -> bool:
    return (path, literal) in ALLOWANCE or (path, "*") in ALLOWANCE


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def literals_in_code(path: Path, names) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _docstrings(tree)
    return sorted((node.lineno, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
                  and id(node) not in skip)


# A quoted word, in either quote, exactly: 'open' or "open" (not "opening", not "re-open").
QUOTED = re.compile(r"""(['"])([A-Za-z_][A-Za-z0-9_]*)\1""")


def literals_in_template(path: Path, names) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        found += [(number, m.group(2)) for m in QUOTED.finditer(line) if m.group(2) in names]
    return found


def lifecycle_literals(root: Path = ROOT, names=None) -> list[tuple[str, int, str]]:
    """(file, line, literal) of every state or trigger name written in production code outside states/."""
    names = set(LIFECYCLE_NAMES) if names is None else names
    found = []
    for pkg in SCANNED_CODE:
        for path in sorted((root / pkg).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            found += [(rel, line, lit) for line, lit in literals_in_code(path, names)]
    for folder, pattern in SCANNED_TEMPLATES:
        for path in sorted((root / folder).glob(pattern)):
            if path.is_file():
                rel = path.relative_to(root).as_posix()
                found += [(rel, line, lit) for line, lit in literals_in_template(path, names)]
    return found


def test_the_literal_scanner_finds_what_it_should(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "page.py").write_text(
        '"""Module docstring naming open."""\n'
        'def f(case):\n    """open"""\n    return case.state == "open" or "opening"\n'
        'X = {"draft": 1}\n')
    (tmp_path / "web" / "templates").mkdir()
    (tmp_path / "web" / "templates" / "a.html").write_text(
        "{% if s == 'draft' %}<button type=\"submit\">\n{{ t('draft_title') }} \"open \" {% endif %}\n")
    found = lifecycle_literals(tmp_path, {"open", "draft", "submit"})
    assert found == [("web/page.py", 4, "open"), ("web/page.py", 5, "draft"),
                     ("web/templates/a.html", 1, "draft"), ("web/templates/a.html", 1, "submit")]


def test_lifecycle_names_are_known():
    # Names the allowance must never excuse: a sanity check that the names were collected.
    for lc in LIFECYCLES.values():
        assert lc.initial in LIFECYCLE_NAMES and lc.creation.trigger in LIFECYCLE_NAMES
    for key, reason in ALLOWANCE.items():
        assert key[1] in LIFECYCLE_NAMES or key[1] == "*", f"allowance entry {key} is not a state or trigger name"
        assert reason.strip(), f"allowance entry {key} gives no reason"


def test_no_state_or_trigger_name_is_restated_outside_states():
    found = lifecycle_literals()
    unexplained = [(f, line, lit) for f, line, lit in found if not _excused(f, lit)]
    lines = [f"{f}:{line}: {lit!r} ({', '.join(LIFECYCLE_NAMES[lit])})" for f, line, lit in unexplained]
    assert not unexplained, (
        f"{len(unexplained)} state or trigger names written outside states/ (read the definition instead, "
        f"or add a justified ALLOWANCE entry if the word means something else there):\n  " + "\n  ".join(lines))


def test_the_allowance_is_small_and_current():
    found = {(f, lit) for f, _line, lit in lifecycle_literals()}
    found |= {(f, "*") for f, _lit in found}
    stale = sorted(set(ALLOWANCE) - found)
    assert not stale, f"allowance entries that no longer occur (remove them): {stale}"
    assert len(ALLOWANCE) <= 40, f"the allowance has grown to {len(ALLOWANCE)} entries"


