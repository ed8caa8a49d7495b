"""What a document says about itself: sidecar file, embedded tags. Never guessed.

Every reader gives its findings as front-matter keys (`id`, `title`, `authors`, `publisher`,
`year`, `url`, `doi`, `subject`). The first source that has a value wins, in this order:

    sidecar NAME.meta.yaml > citation_* > Dublin Core (HTML DC./dcterms., PDF XMP dc:)
      > Open Graph / PDF document information > <title> / first heading

A value no source gives stays absent: no file date, no placeholder publisher. pdf:Producer
names the software that wrote the file, not a publisher, and is never read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any

SIDECAR_SUFFIX = ".meta.yaml"

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_COMPACT_DATE = re.compile(r"^\s*(?:D:)?((?:1[89]|20)\d\d)(?:\d\d){0,5}(?!\d)")  # PDF D:YYYYMMDD...
_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)")
_DOI_IDENTIFIER = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/|10\.)", re.IGNORECASE)
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_DUBLIN_CORE = re.compile(r"^(?:dc|dcterms)[.:]([a-z]+)(?:\.([a-z]+))?$")
_DC_DATES = ("issued", "date", "created", "available")  # most to least like publication
_JUNK_TITLE = re.compile(
    r"^(?:untitled\b.*|microsoft (?:word|powerpoint|excel) - .*|.*\.(?:docx?|pdf|pptx?|rtf|odt|"
    r"indd|tex|dvi|qxd))$",
    re.IGNORECASE,
)


class MetadataError(Exception):
    """A sidecar that cannot be read; the message says why."""


def merged(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """The first non-empty value of each key, layers in order of precedence."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if key not in out and value not in (None, "", [], ()):
                out[key] = value
    return out


def sidecar_path(path: PurePath) -> PurePath:
    """`potassium.txt` -> `potassium.meta.yaml`, next to it."""
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict[str, Any] | None:
    """The sidecar's keys, or None when there is none. Raises MetadataError."""
    import yaml

    sidecar = Path(sidecar_path(path))
    if not sidecar.is_file():
        return None
    try:
        data = yaml.safe_load(sidecar.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise MetadataError(f"unreadable ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise MetadataError(f"not UTF-8 text (byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise MetadataError(f"invalid YAML{where}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MetadataError("must be a mapping of fields")
    return {str(key): value for key, value in data.items()}


def html_metadata(tags: Mapping[str, Sequence[str]], title_tag: str | None) -> dict[str, Any]:
    """citation_* > Dublin Core > Open Graph > <title>."""
    return merged(_citation(tags), _html_dublin_core(tags), _open_graph(tags), {"title": title_tag})


def pdf_metadata(info: Mapping[str, str], xmp: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """XMP Dublin Core > document information."""
    dublin_core = {
        "title": _title(_first(xmp.get("title"))),
        "authors": list(xmp.get("creator", ())),
        "publisher": _first(xmp.get("publisher")),
        "year": _first_year(xmp.get("date", ())),
        "subject": _first(xmp.get("description")),
        **_identifier(_first(xmp.get("identifier"))),
    }
    information = {
        "title": _title(info.get("Title")),
        "authors": _split_authors(info.get("Author")),
        "subject": info.get("Subject"),
        "year": year_of(info.get("CreationDate")),
    }
    return merged(dublin_core, information)


def year_of(value: object) -> int | None:
    """The year of a date as files write it: 2019/11/01, 2019-11-01, D:20210824..., 2019."""
    if isinstance(value, datetime | date):
        return value.year
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1800 <= value <= 2099 else None
    if not isinstance(value, str):
        return None
    match = _COMPACT_DATE.match(value) or _YEAR.search(value)
    return int(match.group(1)) if match else None


def doc_id_from(value: str) -> str | None:
    """A document id from an embedded identifier: lower case letters, digits and dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    return slug[:80].strip("-") or None


def _citation(tags: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    authors = list(tags.get("citation_author", ()))
    for joined in tags.get("citation_authors", ()):
        authors.extend(_split_authors(joined))
    doi = _doi(_first(tags.get("citation_doi")))
    return {
        "title": _first(tags.get("citation_title")),
        "authors": authors,
        "publisher": _first(tags.get("citation_publisher")),
        "year": _first_year(
            [*tags.get("citation_publication_date", ()), *tags.get("citation_date", ())]
        ),
        "doi": doi,
        "id": doc_id_from(f"doi-{doi}") if doi else None,
        "url": _first(tags.get("citation_pdf_url")),
    }


def _html_dublin_core(tags: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    elements: dict[str, list[str]] = {}
    for name, values in tags.items():
        match = _DUBLIN_CORE.match(name)
        if match:
            element = match.group(2) if match.group(1) == "date" and match.group(2) else None
            elements.setdefault(element or match.group(1), []).extend(values)
    dates = [value for element in _DC_DATES for value in elements.get(element, ())]
    return {
        "title": _first(elements.get("title")),
        "authors": elements.get("creator", []),
        "publisher": _first(elements.get("publisher")),
        "year": _first_year(dates),
        "subject": _first(elements.get("description") or elements.get("abstract")),
        **_identifier(_first(elements.get("identifier"))),
    }


def _open_graph(tags: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    return {
        "title": _first(tags.get("og:title")),
        "publisher": _first(tags.get("og:site_name")),
        "url": _first(tags.get("og:url")),
        "year": _first_year(tags.get("article:published_time", ())),
    }


def _identifier(value: str | None) -> dict[str, Any]:
    """dc:identifier: a DOI, a web address, or the document's own id."""
    if not value:
        return {}
    doi = _doi(value) if _DOI_IDENTIFIER.match(value) else None
    if doi:
        return {"doi": doi, "id": doc_id_from(f"doi-{doi}")}
    if _URL.match(value):
        return {"url": value}
    return {"id": doc_id_from(value)}


def _doi(value: str | None) -> str | None:
    match = _DOI.search(value or "")
    return match.group(1).rstrip(".,;") if match else None


def _first(values: Sequence[str] | None) -> str | None:
    return next((v for v in values or () if v and v.strip()), None)


def _first_year(values: Sequence[str]) -> int | None:
    return next((year for year in map(year_of, values) if year is not None), None)


def _title(value: str | None) -> str | None:
    """A title, unless it is the name of the file the PDF was made from ("Microsoft Word - x")."""
    return None if value is None or _JUNK_TITLE.match(value.strip()) else value


def _split_authors(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(";") if name.strip()]
