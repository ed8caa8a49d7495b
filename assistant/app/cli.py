"""Command-line interface. Thin: each command parses options and calls one function."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

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
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON")]


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
    report = interpret(text, ruleset)
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
        bool, typer.Option("--rebuild", help="Drop the index and start over")
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
    audience: Annotated[str, typer.Option(help="clinician or patient")] = "clinician",
    rules: RulesOption = None,
    pack: PackOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a question from the guideline corpus, with numbered citations."""
    from assistant.pipeline import Assistant, AssistantError, load_history

    if audience not in ("clinician", "patient"):
        _fail("--audience must be 'clinician' or 'patient'")
    try:
        messages = load_history(history) if history else None
        result = Assistant(_settings(rules, pack=pack)).ask(
            question,
            history=messages,
            audience=audience,  # type: ignore[arg-type]
        )
    except AssistantError as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
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
) -> None:
    """Score the assistant against reference cases; non-zero exit on a gated regression."""
    from assistant.evaluation.runner import EvalError, run_evaluation

    try:
        outcome = run_evaluation(
            _settings(rules, pack=pack), cases_path=cases, report_dir=report, echo=not as_json
        )
    except EvalError as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps(outcome.summary_json(), indent=2, ensure_ascii=False))
    if not outcome.passed:
        raise typer.Exit(1)


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
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
