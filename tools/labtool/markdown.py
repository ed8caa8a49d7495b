"""The one reader of Markdown documents with front matter (corpus files, user uploads).

`read_markdown(text)` returns the front matter (a dict), an optional title (a single
level-1 heading that opens the document) and a flat list of blocks: headings with their
level, paragraphs, list items, blockquote paragraphs (those starting "For patients:" are
marked as patient statements), code and HTML blocks. It is built on python-frontmatter
and markdown-it-py (CommonMark), so code fences, setext headings and HTML blocks are read
as Markdown defines them. Each block keeps its source lines in the body, so a caller can
cut out exact text, e.g. a section for a citation check (`section_source`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from frontmatter.default_handlers import YAMLHandler
from markdown_it import MarkdownIt
from markdown_it.token import Token

BlockKind = Literal["heading", "paragraph", "list_item", "blockquote", "code", "html"]
PATIENT_PREFIX = "For patients:"

_PARSER = MarkdownIt("commonmark")
_YAML = YAMLHandler()


class FrontMatterError(ValueError):
    """The front matter is not valid YAML (the message says where)."""


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str  # inline Markdown source, lines joined with "\n" (no list or quote markers)
    start_line: int  # first line in the body (0-based)
    end_line: int  # line after the block
    level: int = 0  # heading level 1-6; nesting depth for list items and blockquotes
    patient: bool = False  # a blockquote paragraph starting "For patients:"


@dataclass(frozen=True)
class MarkdownDocument:
    front_matter: dict[str, Any]
    title: str | None
    blocks: tuple[Block, ...]
    body: str  # the text after the front matter, exactly as written
    has_front_matter: bool = field(default=False)

    @property
    def lines(self) -> list[str]:
        return self.body.splitlines()

    def headings(self, level: int) -> list[Block]:
        return [b for b in self.blocks if b.kind == "heading" and b.level == level]

    def section_source(self, heading: Block) -> str:
        """The body of a section exactly as written: the lines after its heading up to the
        next heading of the same or a higher level."""
        index = self.blocks.index(heading)
        end = len(self.lines)
        for block in self.blocks[index + 1 :]:
            if block.kind == "heading" and block.level <= heading.level:
                end = block.start_line
                break
        return "\n".join(self.lines[heading.end_line : end])


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """(front matter or None, body). A byte-order mark is dropped; a `---` block that is not
    a mapping gives an empty dict; invalid YAML raises FrontMatterError."""
    text = text.removeprefix("\ufeff")
    if not _YAML.detect(text):
        return None, text
    try:
        raw, body = _YAML.split(text)
    except ValueError:
        return None, text  # an opening `---` without a closing one: no front matter
    try:
        meta = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""  # 1-based, in the file
        raise FrontMatterError(f"front matter is not valid YAML{where}") from exc
    return (meta if isinstance(meta, dict) else {}), body.removeprefix("\n")


def _blocks(body: str) -> list[Block]:
    blocks: list[Block] = []
    depth = {"list_item": 0, "blockquote": 0}
    tokens = _PARSER.parse(body)
    for index, token in enumerate(tokens):
        if token.type in ("list_item_open", "blockquote_open"):
            depth[token.type.removesuffix("_open")] += 1
        elif token.type in ("list_item_close", "blockquote_close"):
            depth[token.type.removesuffix("_close")] -= 1
        elif token.type in ("heading_open", "paragraph_open"):
            inline = tokens[index + 1]
            blocks.append(_block(token, inline, depth))
        elif token.type in ("fence", "code_block", "html_block") and token.map:
            kind: BlockKind = "html" if token.type == "html_block" else "code"
            text = token.content.rstrip("\n")
            blocks.append(Block(kind, text, token.map[0], token.map[1]))
    return blocks


def _block(opening: Token, inline: Token, depth: dict[str, int]) -> Block:
    start, end = opening.map or (0, 0)
    text = inline.content.strip()
    if opening.type == "heading_open":
        return Block("heading", text, start, end, level=int(opening.tag[1]))
    if depth["list_item"]:
        return Block("list_item", text, start, end, level=depth["list_item"])
    if depth["blockquote"]:
        patient = text.startswith(PATIENT_PREFIX)
        return Block("blockquote", text, start, end, level=depth["blockquote"], patient=patient)
    return Block("paragraph", text, start, end)


def _title(blocks: list[Block]) -> tuple[str | None, list[Block]]:
    """A single level-1 heading that opens the document is its title, not a section."""
    headings = [b for b in blocks if b.kind == "heading"]
    if not headings or headings[0].level != 1:
        return None, blocks
    if sum(b.level == 1 for b in headings) != 1 or min(b.level for b in headings) != 1:
        return None, blocks
    return headings[0].text, [b for b in blocks if b is not headings[0]]


def read_markdown(text: str) -> MarkdownDocument:
    """Front matter, title and blocks of a Markdown document (see the module notes)."""
    meta, body = split_front_matter(text)
    title, blocks = _title(_blocks(body))
    return MarkdownDocument(
        front_matter=meta or {},
        title=title,
        blocks=tuple(blocks),
        body=body,
        has_front_matter=meta is not None,
    )
