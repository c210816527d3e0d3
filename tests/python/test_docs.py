"""Every ```python block of README.md and docs/*.md runs as written.

Convention (the one the documents state to their readers): a document reads like a
notebook. Its python blocks run in document order, in one namespace, so a block may use
the names an earlier block of the same document defined; documents do not share names.
They run in a temporary working directory that holds a copy of ``examples/`` and the
files a document names: a ```toml block whose first line is ``# NAME.toml`` is written
there as NAME.toml before the document's first block runs.

Blocks that start with ``# PASEOS`` show the other library's calls for comparison; they
are compiled (valid Python) but not run. A block that imports an optional package
(pandas, dask, ...) is skipped, from that import on, when the package is missing. A block
that launches ``orbitedge serve`` gets the binary that ``cargo test`` builds (or
``$ORBITEDGE_BIN``) and is skipped without one, as in test_rehearsal.py.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import pathlib
import re
import shutil
from typing import Any

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
OPTIONAL = {"pandas", "dask", "distributed", "matplotlib", "onnxruntime"}
FENCE = re.compile(r"^```(\w*)")


@dataclasses.dataclass(frozen=True)
class Block:
    document: str  # path from the repository root
    line: int  # 1-based line of the opening fence
    language: str
    code: str

    @property
    def first_line(self) -> str:
        return next((s for s in self.code.splitlines() if s.strip()), "")

    @property
    def paseos(self) -> bool:
        """A block of the other library's calls, shown for comparison."""
        return self.first_line.startswith("# PASEOS")

    @property
    def label(self) -> str:
        """Its first line of code (comments such as ``# orbitedge`` left out)."""
        code = next((s for s in self.code.splitlines() if s.strip() and not s.startswith("#")), "")
        return ("PASEOS " if self.paseos else "") + code.strip()[:40].rstrip()


def _name(doc: pathlib.Path) -> str:
    return doc.relative_to(REPO).as_posix()


def blocks(path: pathlib.Path) -> list[Block]:
    """The fenced code blocks of a Markdown file (fences at the start of a line)."""
    found, language, start, lines = [], None, 0, []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        fence = FENCE.match(text)
        if language is None and fence:
            language, start, lines = fence.group(1), number, []
        elif language is not None and text.startswith("```"):
            found.append(Block(_name(path), start, language, "\n".join(lines) + "\n"))
            language = None
        elif language is not None:
            lines.append(text)
    assert language is None, f"{path.name}:{start}: unclosed code fence"
    return found


def python_blocks(path: pathlib.Path) -> list[Block]:
    return [b for b in blocks(path) if b.language == "python"]


def named_files(path: pathlib.Path) -> dict[str, str]:
    """Files a document defines: toml blocks whose first line is ``# NAME.toml``."""
    named = {}
    for b in blocks(path):
        match = re.fullmatch(r"#\s*([\w.-]+\.toml)\s*", b.first_line)
        if b.language == "toml" and match:
            named[match.group(1)] = b.code
    return named


def _case_id(b: Block) -> str:
    return f"{b.document}:{b.line}:{b.label}"


CASES = [b for doc in DOCUMENTS for b in python_blocks(doc)]


@dataclasses.dataclass
class Notebook:
    """One document's namespace and how far it has run."""

    workdir: pathlib.Path
    namespace: dict[str, Any]
    done: int = 0  # blocks run so far
    broken: str | None = None  # the block that failed, if one did


@pytest.fixture(scope="session")
def orbitedge_bin() -> str | None:
    explicit = os.environ.get("ORBITEDGE_BIN")
    if explicit:
        assert pathlib.Path(explicit).is_file(), f"ORBITEDGE_BIN={explicit} does not exist"
        return explicit
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("debug", "release"):
        candidate = target / profile / "orbitedge"
        if candidate.is_file():
            return str(candidate)
    return None


@pytest.fixture(scope="session")
def notebooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Notebook]:
    books = {}
    for doc in DOCUMENTS:
        workdir = tmp_path_factory.mktemp(doc.stem)
        shutil.copytree(REPO / "examples", workdir / "examples")
        for name, text in named_files(doc).items():
            (workdir / name).write_text(text)
        books[_name(doc)] = Notebook(workdir, {"__name__": f"docs_{doc.stem.replace('-', '_')}"})
    return books


def _run(book: Notebook, b: Block, orbitedge_bin: str | None) -> None:
    if b.paseos:
        compile(b.code, _case_id(b), "exec")
        return
    if "launch(" in b.code and orbitedge_bin is None:
        pytest.skip("no orbitedge binary: run `cargo build` (scripts/check.sh sets ORBITEDGE_BIN)")
    # Numbered as in the document, so a traceback points at the document's own line.
    tree = ast.parse(b.code, str(REPO / b.document))
    ast.increment_lineno(tree, b.line)
    code = compile(tree, str(REPO / b.document), "exec")
    try:
        exec(code, book.namespace)
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] in OPTIONAL:
            pytest.skip(f"optional package {e.name} is not installed")
        raise


@pytest.mark.parametrize("block", CASES, ids=_case_id)
def test_snippet_runs(block: Block, notebooks, orbitedge_bin, monkeypatch) -> None:
    book = notebooks[block.document]
    if book.broken:
        pytest.skip(f"needs {book.broken}, which failed")
    monkeypatch.chdir(book.workdir)
    if orbitedge_bin:
        monkeypatch.setenv("ORBITEDGE_BIN", orbitedge_bin)
    mine = python_blocks(REPO / block.document)
    index = mine.index(block)
    for i in range(book.done, index + 1):  # the blocks before it too, when it runs alone (-k)
        book.done = i + 1
        try:
            _run(book, mine[i], orbitedge_bin)
        except pytest.skip.Exception:
            if i == index:
                raise
        except BaseException:
            book.broken = _case_id(mine[i])
            raise


def test_every_document_has_snippets() -> None:
    """The parser finds the blocks (a broken fence would silently test nothing)."""
    counts = {_name(doc): len(python_blocks(doc)) for doc in DOCUMENTS}
    assert counts["README.md"] >= 5 and counts["docs/coming-from-paseos.md"] >= 20, counts


def test_rust_blocks_are_doc_tests() -> None:
    """A document with a rust block is included in src/lib.rs, where `cargo test --doc` runs it."""
    lib = (REPO / "src" / "lib.rs").read_text()
    for doc in DOCUMENTS:
        if any(b.language in ("rust", "") for b in blocks(doc)):
            assert f'include_str!("../{_name(doc)}")' in lib, f"{_name(doc)}: rust blocks not doc-tested"
