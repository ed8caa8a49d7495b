"""Command-line interface. Thin: each command parses options and calls one function."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

import assistant.offline  # noqa: F401  (sets offline variables before heavy imports)
from assistant.config import Settings, get_settings

app = typer.Typer(
    name="assistant",
    help="Offline clinical guideline assistant: cited answers from a domain pack of guidelines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RulesOption = Annotated[
    Optional[Path],  # noqa: UP045  (typer needs Optional here)
    typer.Option("--rules", help="Rules file with cited cut-offs (default: the pack's)"),
]
PackOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--pack", help="Domain pack folder (default: ASSISTANT_PACK, else corpus/packs.yaml)"
    ),
]
# metavar="": a flag takes no value, so help shows no "<bool>" after it.
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON", metavar="")]
Audience = Literal["clinician", "patient"]


def _package_version() -> str:
    """The version of the installed distribution that provides this command (found through
    its entry point, so the distribution's name need not be written here)."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="console_scripts", name="assistant"):
        if entry.value.startswith(f"{__name__}:") and entry.dist is not None:
            return str(entry.dist.version)
    return "unknown"  # a source tree that was never installed


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"assistant {_package_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            metavar="",
            help="Show the version and exit",
        ),
    ] = False,
) -> None:
    """Offline clinical guideline assistant: cited answers from a domain pack of guidelines."""


def _settings(
    rules: Path | None = None, chroma_url: str | None = None, pack: Path | None = None
) -> Settings:
    # A pack moves the documents, rules and collection with it (Settings fills them from it).
    settings = Settings(pack=pack) if pack is not None else get_settings()
    updates: dict[str, object] = {}
    if rules is not None:
        updates["rules_path"] = rules
    if chroma_url is not None:
        updates["chroma_url"] = chroma_url
    return settings.model_copy(update=updates) if updates else settings


def _is_terminal() -> bool:
    return sys.stdout.isatty()


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def labs(
    text: Annotated[str, typer.Argument(help="Lab values as written, with their units")],
    rules: RulesOption = None,
    pack: PackOption = None,
    as_json: JsonOption = False,
) -> None:
    """Interpret lab values with the deterministic, cited rules."""
    from labtool.interpret import interpret
    from labtool.render import render_report

    from assistant.errors import AssistantError
    from assistant.resources import Resources

    settings = _settings(rules, pack=pack)
    limit = settings.max_question_chars  # the same documented limit as questions
    if len(text) > limit:
        _fail(f"the lab text is {len(text)} characters long; the limit is {limit}")
        return
    try:
        ruleset = Resources(settings).ruleset()  # a pack without rules has none
    except AssistantError as exc:
        _fail(str(exc))
        return
    # As `ask` does: a sentence that tries to change the cut-offs is taken out, and said so.
    from labtool.report import LabNotice

    from assistant.question.injection import INJECTION_NOTICE, find_injection

    injection = find_injection(text)
    report = interpret(injection.clean_text if injection.detected else text, ruleset)
    report.notices[:0] = [
        LabNotice(input=attempt, code="RULE_CHANGE_IGNORED", message=INJECTION_NOTICE)
        for attempt in injection.attempts
    ]
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        typer.echo(render_report(report))


@app.command()
def ingest(
    paths: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Argument(help="Extra files or folders (Markdown, text, PDF, HTML)"),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the index and start over", metavar="")
    ] = False,
    chroma_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--chroma-url", help="Chroma server URL (default: embedded store)"),
    ] = None,
    pack: PackOption = None,
) -> None:
    """Build or update the search index from the pack's documents (incremental)."""
    from assistant.index.build import IngestError, run_ingest

    settings = _settings(chroma_url=chroma_url, pack=pack)
    try:
        report = run_ingest(settings, extra_paths=list(paths or []), rebuild=rebuild)
    except IngestError as exc:
        _fail(str(exc))
        return
    typer.echo(report.describe())
    if report.failures:
        for failure in report.failures:
            typer.echo(f"skipped: {failure}", err=True)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The clinician's question")],
    history: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--history", help='JSON list of {"role", "content"} messages'),
    ] = None,
    audience: Annotated[
        Audience, typer.Option(help="Who the answer is for", case_sensitive=False)
    ] = "clinician",
    rules: RulesOption = None,
    pack: PackOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a question from the guideline corpus, with numbered citations."""
    from assistant.pipeline import Assistant, AssistantError, load_history

    try:
        messages = load_history(history) if history else None
        result = Assistant(_settings(rules, pack=pack)).ask(
            question,
            history=messages,
            audience=audience,
        )
    except AssistantError as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    elif _is_terminal():  # a terminal: headings, bold and lists rendered
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(result.answer))
    else:  # a pipe or a file: the Markdown itself
        typer.echo(result.answer)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Bind address")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port")] = None,  # noqa: UP045
    pack: PackOption = None,
) -> None:
    """Start the Gradio chat app (127.0.0.1:7860 by default)."""
    from assistant.app.ui import ServeError
    from assistant.app.ui import serve as serve_app

    settings = _settings(pack=pack)
    serve_settings = settings.serve.model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    try:
        serve_app(settings.model_copy(update={"serve": serve_settings}))
    except ServeError as exc:
        _fail(str(exc))


@app.command("eval")
def evaluate(
    cases: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--cases", help="Reference cases: a YAML file or folder (default: the pack's)"
        ),
    ] = None,
    rules: RulesOption = None,
    pack: PackOption = None,
    report: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--report", help="Report folder (default: reports/eval)"),
    ] = None,
    as_json: JsonOption = False,
    split: Annotated[
        str,
        typer.Option("--split", help="gate (scored for the gate) or dev (calibration only)"),
    ] = "gate",
    write_baseline: Annotated[
        bool,
        typer.Option(
            "--write-baseline",
            help="Raise the pack's baseline to this run's values (never lowers a floor)",
            metavar="",
        ),
    ] = False,
) -> None:
    """Score the assistant against reference cases; non-zero exit on a gated regression."""
    from assistant.evaluation.runner import EvalError, run_evaluation

    if split not in ("gate", "dev"):
        _fail("--split must be 'gate' or 'dev'")
        return
    try:
        outcome = run_evaluation(
            _settings(rules, pack=pack),
            cases_path=cases,
            report_dir=report,
            echo=not as_json,
            split="dev" if split == "dev" else "gate",
            update_baseline=write_baseline,
        )
    except EvalError as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps(outcome.summary_json(), indent=2, ensure_ascii=False))
    if not outcome.passed:
        raise typer.Exit(1)


@app.command()
def review(
    doc: Annotated[str, typer.Argument(help="A document file, or a document id in the pack")],
    by: Annotated[str, typer.Option("--by", help="The reviewer's name")],
    status: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--status", help="Also set review_status: approved or under_review"),
    ] = None,
    pack: PackOption = None,
) -> None:
    """Record a review: reviewer, today's date and the hash of the text as reviewed."""
    from datetime import date

    from labtool.markdown import FrontMatterError, split_front_matter

    from assistant.sources.documents import MARKDOWN_SUFFIXES, pack_files
    from assistant.sources.review import ReviewError, record_review

    if status is not None and status not in ("approved", "under_review"):
        _fail("--status must be 'approved' or 'under_review'")
        return
    path = Path(doc)
    if not path.is_file():
        folder = _settings(pack=pack).pack
        found = []
        for candidate in pack_files(folder):
            if candidate.suffix.lower() not in MARKDOWN_SUFFIXES:
                continue
            try:
                front, _ = split_front_matter(candidate.read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError, FrontMatterError):
                front = None
            if (front or {}).get("id") == doc or (front is None and candidate.stem == doc):
                found.append(candidate)
        if len(found) != 1:
            what = "no file and no document with that id" if not found else "several documents"
            _fail(f"{doc!r}: {what} in {folder}")
            return
        path = found[0]
    try:
        record = record_review(path, by, date.today(), status=status)
    except ReviewError as exc:
        _fail(str(exc))
        return
    typer.echo(
        f"{path}: reviewed by {record.by} on {record.date} (sha256 {record.sha256[:12]}…)"
        + (f"; review_status: {status}" if status else "")
    )


pack_app = typer.Typer(help="Create, check and list domain packs.", no_args_is_help=True)
app.add_typer(pack_app, name="pack")


@pack_app.command("new")
def pack_new(folder: Annotated[Path, typer.Argument(help="Folder to create")]) -> None:
    """Scaffold a pack: an example document, rules, domain file and cases."""
    from assistant.app.packs import new_pack
    from assistant.domain.pack import PackError

    try:
        created = new_pack(folder)
    except PackError as exc:
        _fail(str(exc))
        return
    for path in created:
        typer.echo(f"created {path}")
    typer.echo(f"next: edit them, then run `assistant pack check {folder}`")


@pack_app.command("check")
def pack_check(folder: Annotated[Path, typer.Argument(help="The pack folder")]) -> None:
    """Validate a pack's documents, rules, domain file and cases (file and line per error)."""
    from assistant.app.packs import check_pack

    problems = check_pack(folder)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        _fail(f"{len(problems)} problem(s) in {folder}", code=1)
    typer.echo(f"{folder}: OK")


@pack_app.command("list")
def pack_list() -> None:
    """The packs under corpus/, with their title, documents, tests and cases."""
    from assistant.app.packs import list_packs

    active = get_settings().pack.resolve()
    for pack in list_packs():
        mark = "*" if pack.path.resolve() == active else " "
        typer.echo(
            f"{mark} {pack.path.name:<12} {pack.title} · {pack.documents} documents, "
            f"{pack.analytes} tests with rules, {pack.cases} evaluation cases"
        )


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except ValidationError as exc:  # a setting from the environment: its name and the problem
        for error in exc.errors():
            where = "__".join(str(part).upper() for part in error["loc"])
            typer.echo(f"error: ASSISTANT_{where}: {error['msg']}", err=True)
        sys.exit(2)
