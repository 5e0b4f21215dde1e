"""The project's Markdown renders as written: parsed by a CommonMark parser (markdown-it-py), every
code fence closes, the README's headings are the ones its contents list names (a fence left open
swallows every heading after it), and every link to a file or a heading of this repository resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tools.localrun.template import ROOT

README = ROOT / "README.md"
DOCUMENTS = sorted(
    [README, *ROOT.glob("docs/*.md"), ROOT / "events" / "README.md", ROOT / "examples" / "app" / "README.md"]
)
CONTENTS = "Contents"


def tokens(path: Path) -> list[Token]:
    return MarkdownIt("commonmark").parse(path.read_text())


def headings(path: Path) -> list[tuple[int, str]]:
    """(level, text) of each heading as CommonMark renders it, code spans as their text."""
    found: list[tuple[int, str]] = []
    stream = tokens(path)
    for index, token in enumerate(stream):
        if token.type == "heading_open":
            inline = stream[index + 1]
            text = "".join(child.content for child in inline.children or [])
            found.append((int(token.tag[1]), text))
    return found


def anchor(text: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def links(path: Path) -> list[str]:
    return [
        str(child.attrs["href"])
        for token in tokens(path)
        if token.type == "inline"
        for child in token.children or []
        if child.type == "link_open"
    ]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_fence_closes(path: Path) -> None:
    lines = path.read_text().splitlines()
    unclosed = []
    for token in tokens(path):
        if token.type != "fence" or token.map is None:
            continue
        start, end = token.map
        closing = lines[end - 1].strip() if end - 1 > start else ""
        closed = closing.startswith(token.markup) and set(closing) == {token.markup[0]}
        # An opening fence with an info string inside a block means the fences fell out of step: a
        # bare fence opened a block that ran on to the closing fence of a later one.
        swallowed = any(re.match(r"^ {0,3}(`{3,}|~{3,})\S", line) for line in token.content.splitlines())
        if not closed or swallowed:
            unclosed.append(start + 1)
    assert unclosed == [], f"fences opened on these lines do not close where they should: {unclosed}"


def test_the_readme_headings_are_its_contents_list() -> None:
    """The contents list names every second-level heading, in order, and nothing else; a heading
    swallowed by an open fence, or a section added without an entry, fails here."""
    rendered = [text for level, text in headings(README) if level == 2 and text != CONTENTS]
    stream = tokens(README)
    start = next(
        index
        for index, token in enumerate(stream)
        if token.type == "inline" and token.content == CONTENTS and stream[index - 1].tag == "h2"
    )
    listed: list[str] = []
    depth = 0
    for token in stream[start + 2 :]:
        if token.type == "bullet_list_open":
            depth += 1
        elif token.type == "bullet_list_close":
            depth -= 1
            if depth == 0:
                break
        elif token.type == "inline" and depth == 1:
            listed.append(token.content.split("](")[0].lstrip("["))
    assert listed == [text.replace("`", "") for text in rendered]
    assert len(rendered) >= 10


@pytest.mark.parametrize(
    "path", [README, *ROOT.glob("docs/*.md")], ids=lambda path: str(path.relative_to(ROOT))
)
def test_links_to_files_and_headings_resolve(path: Path) -> None:
    broken = []
    for href in links(path):
        if re.match(r"^[a-z]+:", href):
            continue  # http(s), mailto: outside this repository
        target, _, fragment = href.partition("#")
        document = (path.parent / target).resolve() if target else path
        if not document.exists() or (
            fragment
            and document.suffix == ".md"
            and fragment not in {anchor(text) for _, text in headings(document)}
        ):
            broken.append(href)
    assert broken == []
