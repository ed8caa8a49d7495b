"""`assistant review DOC --by NAME [--status]`: writes only the review block, by path or id."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import yaml
from typer.testing import CliRunner

from assistant.app.cli import app
from assistant.sources.review import body_hash, review_state

runner = CliRunner()

DOCUMENT = (
    "---\n"
    "id: lab-handbook\n"
    'title: "Laboratory handbook"\n'
    "kind: laboratory_handbook\n"
    "review_status: under_review\n"
    "---\n"
    "\n"
    "## Thyroid function\n"
    "\n"
    "The handbook gives a free T4 range of 12 pmol/L to 22 pmol/L.\n"
)


def _pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "handbook.md").write_text(DOCUMENT, encoding="utf-8")
    (pack / "README.md").write_text("Notes, not a document.\n", encoding="utf-8")
    return pack


def _front(path: Path) -> dict[str, object]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1]))


def test_review_by_path_writes_only_the_reviewed_block(tmp_path: Path) -> None:
    path = _pack(tmp_path) / "handbook.md"

    result = runner.invoke(app, ["review", str(path), "--by", "Dr A. Reviewer"])

    assert result.exit_code == 0, result.output
    assert "reviewed by Dr A. Reviewer" in result.stdout
    front = _front(path)
    assert front["reviewed"] == {
        "by": "Dr A. Reviewer",
        "date": date.today(),
        "sha256": body_hash(DOCUMENT),
    }
    assert front["review_status"] == "under_review"
    written = path.read_text(encoding="utf-8")
    without_block = "".join(
        line
        for line in written.splitlines(keepends=True)
        if not line.startswith(("reviewed:", "  "))
    )
    assert without_block == DOCUMENT
    assert review_state(path) == "reviewed"


def test_review_by_document_id_in_the_pack_with_a_status(tmp_path: Path) -> None:
    pack = _pack(tmp_path)

    result = runner.invoke(
        app,
        ["review", "lab-handbook", "--by", "Dr B", "--status", "approved", "--pack", str(pack)],
    )

    assert result.exit_code == 0, result.output
    front = _front(pack / "handbook.md")
    assert front["review_status"] == "approved"
    assert isinstance(front["reviewed"], dict)
    assert front["reviewed"]["by"] == "Dr B"


def test_review_of_an_unknown_id_or_a_bad_status_fails_and_writes_nothing(tmp_path: Path) -> None:
    pack = _pack(tmp_path)

    unknown = runner.invoke(app, ["review", "nothing-here", "--by", "Dr B", "--pack", str(pack)])
    status = runner.invoke(
        app,
        ["review", "lab-handbook", "--by", "Dr B", "--status", "submitted", "--pack", str(pack)],
    )

    assert unknown.exit_code == 2
    assert "'nothing-here'" in unknown.output
    assert status.exit_code == 2
    assert "--status" in status.output
    assert (pack / "handbook.md").read_text(encoding="utf-8") == DOCUMENT


def test_review_of_a_file_without_front_matter_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("# Plain\n\nText.\n", encoding="utf-8")

    result = runner.invoke(app, ["review", str(path), "--by", "Dr B"])

    assert result.exit_code == 2
    assert "no front matter" in result.output
    assert path.read_text(encoding="utf-8") == "# Plain\n\nText.\n"


def test_review_then_edit_shows_changed_since_review(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    copy = tmp_path / "copy.md"
    shutil.copy(pack / "handbook.md", copy)
    runner.invoke(app, ["review", str(copy), "--by", "Dr B"])

    copy.write_text(copy.read_text(encoding="utf-8").replace("22 pmol/L", "23 pmol/L"))

    assert review_state(copy) == "changed since review"
