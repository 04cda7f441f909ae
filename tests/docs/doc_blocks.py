"""The fenced code blocks of README.md and docs/*.md that tests/docs/test_docs_run.py executes.

Convention (README, Contributing): every ```sql block and every ```bash / ```sh / ```shell / ```console
block runs in the tests. A block whose fence is preceded, on the line just before, by
`<!-- not-run: <reason> -->` is skipped with that reason (cloud-only commands, interactive prompts,
long-running servers, the test command itself). Other languages (text, yaml, json, none) are not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQL_LANGUAGES = {"sql"}
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(?P<reason>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    path: str  # relative to the repository root
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    skip: str | None  # the not-run reason

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    lines, found, i = path.read_text().splitlines(), [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, start = len(opening["indent"]), opening["fence"], i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i].lstrip())
            i += 1
        i += 1  # the closing fence
        marker = NOT_RUN.match(lines[start - 1]) if start else None
        found.append(Block(str(path.relative_to(ROOT)), start + 1, opening["lang"].lower(), "\n".join(body),
                           marker["reason"] if marker else None))
    return found


def runnable(languages: set[str]) -> list[Block]:
    return [b for path in doc_files() for b in blocks(path) if b.lang in languages]


def sql_statements(text: str) -> list[str]:
    """The statements of a SQL block: `--` comments dropped, split on `;` outside quotes."""
    statements, current, quote, i = [], [], None, 0
    while i < len(text):
        char = text[i]
        if quote:
            current.append(char)
            if char == "\\":
                current.append(text[i + 1:i + 2])
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
            current.append(char)
        elif text.startswith("--", i) or char == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif char == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


def shell_script(block: Block) -> str:
    """The commands of a shell block; in a ```console block only the `$ ` lines (and their `\\`
    continuations), the rest being shown output."""
    if block.lang != "console":
        return block.text
    commands, continued = [], False
    for line in block.text.splitlines():
        if line.startswith("$ ") or continued:
            commands.append(line[2:] if line.startswith("$ ") and not continued else line)
            continued = line.rstrip().endswith("\\")
    return "\n".join(commands)
