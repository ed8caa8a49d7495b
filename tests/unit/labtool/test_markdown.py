"""labtool.markdown: the one reader of Markdown with front matter (corpus and uploads)."""

from __future__ import annotations

from pathlib import Path

import pytest
from labtool.corpus_index import read_corpus, read_document
from labtool.markdown import FrontMatterError, read_markdown, split_front_matter

DOC = """---
id: sample
title: "A sample"
year: 2024
---

# A sample guideline

Introduction paragraph
on two lines.

## Cut-offs

The cut-off is 12 pmol/L.

> For patients: a result below 12 pmol/L means you are short of it.

> A quoted note from the source.

- first item
  continued
- second item

```text
## not a heading inside a fence
```

### A subsection

Still in the cut-offs section.

Setext section
--------------

<div>html block</div>

## Last section
Closing text.
"""


def test_front_matter_title_and_blocks() -> None:
    document = read_markdown(DOC)

    assert document.front_matter == {"id": "sample", "title": "A sample", "year": 2024}
    assert document.title == "A sample guideline"
    kinds = [(block.kind, block.level, block.text) for block in document.blocks]
    assert kinds == [
        ("paragraph", 0, "Introduction paragraph\non two lines."),
        ("heading", 2, "Cut-offs"),
        ("paragraph", 0, "The cut-off is 12 pmol/L."),
        ("blockquote", 1, "For patients: a result below 12 pmol/L means you are short of it."),
        ("blockquote", 1, "A quoted note from the source."),
        ("list_item", 1, "first item\ncontinued"),
        ("list_item", 1, "second item"),
        ("code", 0, "## not a heading inside a fence"),
        ("heading", 3, "A subsection"),
        ("paragraph", 0, "Still in the cut-offs section."),
        ("heading", 2, "Setext section"),
        ("html", 0, "<div>html block</div>"),
        ("heading", 2, "Last section"),
        ("paragraph", 0, "Closing text."),
    ]
    assert [block.patient for block in document.blocks if block.kind == "blockquote"] == [
        True,
        False,
    ]


def test_a_section_is_cut_out_exactly_as_written() -> None:
    document = read_markdown(DOC)
    (cut_offs, setext, last) = document.headings(2)

    section = document.section_source(cut_offs)
    assert section.startswith("\nThe cut-off is 12 pmol/L.\n\n> For patients:")
    assert "### A subsection\n\nStill in the cut-offs section.\n" in section
    assert "Setext" not in section
    assert document.section_source(last) == "Closing text."
    assert document.section_source(setext).strip() == "<div>html block</div>"


def test_a_byte_order_mark_and_missing_front_matter_are_tolerated() -> None:
    with_bom = read_markdown("\ufeff" + DOC)
    without = read_markdown("# Only a title\n\nText.\n")

    assert with_bom.front_matter["id"] == "sample"
    assert (without.has_front_matter, without.front_matter, without.title) == (
        False,
        {},
        "Only a title",
    )


def test_two_top_level_headings_are_sections_not_a_title() -> None:
    document = read_markdown("# One\n\ntext\n\n# Two\n\ntext\n")

    assert document.title is None
    assert [b.text for b in document.headings(1)] == ["One", "Two"]


@pytest.mark.parametrize(
    ("text", "front"),
    [("---\n- a list\n---\nbody\n", {}), ("---\nid: x\nnot closed\n", None)],
)
def test_odd_front_matter(text: str, front: dict[str, object] | None) -> None:
    assert split_front_matter(text)[0] == front


def test_invalid_front_matter_yaml_names_the_line() -> None:
    with pytest.raises(FrontMatterError, match=r"\(line 3\)"):  # where the parser noticed
        read_markdown("---\nid: [unclosed\n---\nbody\n")


def test_the_corpus_index_reads_through_it(tmp_path: Path) -> None:
    (tmp_path / "sample.md").write_text("\ufeff" + DOC, encoding="utf-8")
    (tmp_path / "broken.md").write_text("---\nid: [x\n---\n## A\n", encoding="utf-8")

    document = read_document(tmp_path / "sample.md")
    assert document is not None
    assert document.sections == ("Cut-offs", "Setext section", "Last section")
    assert document.section_text("Last section") == "Closing text."
    assert document.section_text("A subsection") is None  # only `## ` headings are sections
    assert list(read_corpus(tmp_path)) == ["sample"]  # broken front matter: not citable
