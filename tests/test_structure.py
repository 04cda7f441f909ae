"""The layout shows the architecture: no import circles, no private singer-sdk calls, docs that point
only at files a user gets.

Imports are read with `ast` (those under `if TYPE_CHECKING:` count too: a circle of type hints is
still a circle a reader has to untangle).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tap_zohobooks", "target_bigquery_audit", "zohobooks_bigquery", "local_services")
# SDK hooks whose names start with "_" are private API; where no public hook exists the code must say
# so next to the use (a comment or docstring within a few lines that names the missing public hook).
PRIVATE_SDK = re.compile(r"\b(_write_record_message|_write_schema_message|_write_state_message|_process_\w+_message"
                         r"|_validate_and_parse|_parse_timestamps_in_record|_generate_record_messages)\b")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py") if (ROOT / package).is_dir() else []:
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                out.add(target)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycles(graph) == [], "modules that import each other in a circle"


def test_no_private_singer_sdk_calls_without_a_reason():
    offenders = []
    for path in _modules().values():
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            if PRIVATE_SDK.search(line) and "public" not in " ".join(lines[max(0, number - 9):number + 3]):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_docs_and_code_point_only_at_files_users_get():
    offenders = []
    shipped = [*(_modules().values()), *ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md"), *(ROOT / "benchmarks").glob("*.py"),
               ROOT / "meltano.yml", *(ROOT / "scripts").glob("*")]
    for path in shipped:
        text = path.read_text(errors="replace")
        if "../shared" in text or "shared/reference" in text:
            offenders.append(str(path.relative_to(ROOT)))
        for link in re.findall(r"\]\(((?:docs/|\.\./|\./)?[\w./-]+\.md)\)", text):
            target = (path.parent / link).resolve()
            if not target.exists():
                offenders.append(f"{path.relative_to(ROOT)} -> {link}")
    assert offenders == []
