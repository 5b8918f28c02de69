"""Registry commands: ``mscreg db``, ``mscreg import``, ``mscreg export``, ``mscreg visits``, ``mscreg consort``.

The database comes from ``--db URL`` (or a bare SQLite path), else ``$MSCREG_DB``, else
``mscreg.sqlite`` in the current directory. Every change goes through the audited write
path with ``--user`` (default ``$MSCREG_USER`` or the login name) and ``--reason``.
:func:`register` adds the commands to the main Typer app.
"""

from __future__ import annotations

import datetime as dt
import enum
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from mscreg.errors import DataValidationError, InputError, MscregError

__all__ = ["register"]

Db = Annotated[str | None, typer.Option("--db", help="Database URL or SQLite file (default: $MSCREG_DB, else ./mscreg.sqlite).")]
User = Annotated[str | None, typer.Option("--user", help="Who makes the change, for the audit trail (default: $MSCREG_USER or the login name).")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why, for the audit trail (default: 'import of <file>').")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Check the file against the registry and report what would change; write nothing.")]
FileArg = Annotated[Path, typer.Argument(help="File to import.", show_default=False)]
Out = Annotated[Path, typer.Option("--out", help="Output folder (created if missing).")]


class ReportFormat(str, enum.Enum):
    text = "text"
    csv = "csv"
    json = "json"


class RecordKind(str, enum.Enum):
    """KIND of ``mscreg import records`` (the kinds of :data:`mscreg.io.records.RECORD_KINDS`; a test keeps them equal)."""

    sites = "sites"
    patients = "patients"
    eligibility = "eligibility"
    lots = "lots"
    infusions = "infusions"
    visits = "visits"
    adverse_events = "adverse-events"


Fmt = Annotated[ReportFormat, typer.Option("--report-format", help="Row-level report: text, csv (file,row,field,value,message) or json.")]
OutFmt = Annotated[ReportFormat, typer.Option("--format", help="text, csv or json.")]


def _fail(error: MscregError) -> None:
    from mscreg.cli.render import fail

    fail(error)


def _user(user: str | None) -> str:
    if user:
        return user
    try:
        return os.environ.get("MSCREG_USER") or getpass.getuser()
    except (KeyError, OSError):
        raise InputError("no user name for the audit trail; give --user NAME") from None


@contextmanager
def _registry(db: str | None) -> Iterator[Any]:
    from mscreg.store import Registry

    registry = Registry.open(db)
    try:
        yield registry
    finally:
        registry.close()


def _progress(path: Path) -> tuple[Any, Callable[[str, int, int], None] | None]:
    """A Rich progress bar on standard error for files over 1 MB (else nothing)."""
    try:
        large = path.stat().st_size > 1_000_000
    except OSError:
        large = False
    if not large:
        return None, None
    return _bar(path.name)


def _bar(subject: str, *, min_total: int = 0) -> tuple[Any, Callable[[str, int, int], None]]:
    """A transient Rich progress bar on standard error (a context manager) and its
    ``update(phase, done, total)``. The bar appears with the first phase whose total reaches
    ``min_total``; short work shows (and writes) nothing."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)
    tasks: dict[str, Any] = {}

    def update(phase: str, done: int, total: int) -> None:
        if total < min_total:
            return
        if not tasks:
            bar.start()
        if phase not in tasks:
            tasks[phase] = bar.add_task(f"{phase} {subject}".strip(), total=total)
        bar.update(tasks[phase], completed=done, total=total)

    @contextmanager
    def shown() -> Iterator[None]:
        try:
            yield
        finally:
            if tasks:
                bar.stop()

    return shown(), update


def _print_problems(error: DataValidationError, fmt: ReportFormat) -> None:
    from mscreg.io.report import render_problems

    if fmt is ReportFormat.text:
        _fail(error)
        return
    sys.stdout.write(render_problems(error.problems, fmt.value) + ("\n" if fmt is ReportFormat.json else ""))
    count = len(error.problems)
    _fail(InputError(f"{count} problem{'s' if count != 1 else ''} in the input; nothing was written (report above)"))


def _run_import(command: str, file: Path, db: str | None, user: str | None, reason: str | None, dry_run: bool,
                fmt: ReportFormat, **options: Any) -> None:
    """Run the importer of ``mscreg import <command>`` on ``file`` (``options`` go to the importer) and report."""
    from mscreg.io import import_analysis_table, import_fhir, import_labs, import_records
    from mscreg.io.report import render_problems

    importer: Callable[..., Any] = {"analysis-table": import_analysis_table, "labs": import_labs, "fhir": import_fhir,
                                    "records": import_records}[command]
    bar, progress = _progress(file)
    try:
        who = _user(user)
        target: Any = file
        if command == "analysis-table":
            from mscreg.cohort.table import load_analysis_table

            target = load_analysis_table(file, **options)
            options = {}
        with _registry(db) as registry:
            if bar is not None:
                with bar:
                    report = importer(registry, target, user=who, reason=reason, dry_run=dry_run, progress=progress, **options)
            else:
                report = importer(registry, target, user=who, reason=reason, dry_run=dry_run, **options)
    except DataValidationError as error:
        _print_problems(error, fmt)
        return
    except MscregError as error:
        _fail(error)
        return
    if fmt is ReportFormat.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    elif fmt is ReportFormat.csv:
        sys.stdout.write(render_problems(report.warnings, "csv"))
        typer.echo(report.summary(), err=True)
    else:
        typer.echo(report.summary())
        if report.warnings:
            typer.echo(render_problems(report.warnings, "text"))


# ---------------------------------------------------------------------- db
db_app = typer.Typer(help="Create, migrate and verify the registry database.", no_args_is_help=True)


@db_app.command("init")
def db_init(db: Db = None) -> None:
    """Create the registry schema (or bring an existing one to the newest revision)."""
    from mscreg.store import Registry
    from mscreg.store.schema import head_revision

    try:
        registry = Registry.create(db)
        url = registry.url
        registry.close()
    except MscregError as error:
        _fail(error)
        return
    typer.echo(f"registry {url} at schema revision {head_revision()}")


@db_app.command("upgrade")
def db_upgrade(db: Db = None) -> None:
    """Migrate an existing registry to the newest schema revision."""
    from mscreg.store.engine import open_engine, resolve_url
    from mscreg.store.schema import current_revision, head_revision, upgrade

    url = resolve_url(db)
    try:
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
            raise InputError(f"database {url} does not exist; create it with `mscreg db init`")
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                before = current_revision(conn)
            upgrade(engine)
        finally:
            engine.dispose()
    except MscregError as error:
        _fail(error)
        return
    typer.echo(f"registry {url}: schema revision {before} -> {head_revision()}")


Anchor = Annotated[str | None, typer.Option(
    "--anchor", help="The 'head' an earlier verify printed (<audit row id>:<hash>), kept outside the database: "
                     "that row must still be there with that hash (detects rows cut from the end of the trail).")]


@db_app.command("verify")
def db_verify(db: Db = None, output: OutFmt = ReportFormat.text, anchor: Anchor = None) -> None:
    """Check the audit trail's hash chain and that the data match it; exit 1 naming each problem."""
    try:
        with _registry(db) as registry:
            url = registry.url
            bar, update = _bar("", min_total=100_000)
            with bar:
                report = registry.verify(progress=update, anchor=anchor)
    except MscregError as error:
        _fail(error)
        return
    if output is ReportFormat.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    elif output is ReportFormat.csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["kind", "table", "record_id", "message"])
        for p in report.problems:
            writer.writerow([p.kind, p.table, p.record_id, p.message])
    else:
        for p in report.problems:
            typer.echo(str(p))
        if report.ok:
            typer.echo(f"registry {url}: audit trail intact ({report.audit_rows} audit rows); "
                       f"{report.records} records match it")
        if report.head is not None:
            typer.echo(f"head: {report.head}  (keep it outside the database; `mscreg db verify --anchor {report.head}` "
                       "later shows the trail up to here was neither cut nor rewritten)")
    if not report.ok:
        _fail(MscregError(f"registry {url}: verification failed with {len(report.problems)} problem(s); "
                          "the data or the audit trail were changed outside mscreg"))


# ---------------------------------------------------------------------- import
import_app = typer.Typer(help="Import files into the registry (all-or-nothing, idempotent, audited).", no_args_is_help=True)


@import_app.command("analysis-table")
def import_analysis_cmd(file: FileArg, db: Db = None, dry_run: DryRun = False, report_format: Fmt = ReportFormat.text,
                        user: User = None, reason: Reason = None,
                        hba1c_unit: Annotated[str, typer.Option("--hba1c-unit", help="Unit of HbA1c in the file: ngsp, ifcc or jds.")] = "ngsp",
                        sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX sheet (default: the first).")] = None) -> None:
    """Import a Table-1-shaped analysis file (docs/analysis-table.md; times stored relative to a synthetic infusion date)."""
    _run_import("analysis-table", file, db, user, reason, dry_run, report_format, hba1c_unit=hba1c_unit, sheet=sheet)


@import_app.command("labs")
def import_labs_cmd(file: FileArg, db: Db = None, dry_run: DryRun = False, report_format: Fmt = ReportFormat.text,
                    user: User = None, reason: Reason = None) -> None:
    """Import a long lab file: patient_id, analyte (LOINC), value, unit, date."""
    _run_import("labs", file, db, user, reason, dry_run, report_format)


AllowUnreleased = Annotated[bool, typer.Option("--allow-unreleased", help="Accept infusions from lots that failed release.")]


@import_app.command("records")
def import_records_cmd(kind: Annotated[RecordKind, typer.Argument(help="Kind of record in the file.", show_default=False)],
                       file: FileArg, db: Db = None, dry_run: DryRun = False, report_format: Fmt = ReportFormat.text,
                       user: User = None, reason: Reason = None, allow_unreleased: AllowUnreleased = False) -> None:
    """Import sites, patients, eligibility screenings, lots, infusions, visit attendance or adverse events (docs/registry.md)."""
    _run_import("records", file, db, user, reason, dry_run, report_format, kind=kind.value, allow_unreleased=allow_unreleased)


@import_app.command("fhir")
def import_fhir_cmd(file: FileArg, db: Db = None, dry_run: DryRun = False, report_format: Fmt = ReportFormat.text,
                    user: User = None, reason: Reason = None) -> None:
    """Import a FHIR R4 Bundle of Patient and Observation resources (LOINC-coded)."""
    _run_import("fhir", file, db, user, reason, dry_run, report_format)


# ---------------------------------------------------------------------- export
export_app = typer.Typer(help="Export the registry: analysis table, SDTM-shaped domains, de-identified set.", no_args_is_help=True)

BaselineWindow = Annotated[int, typer.Option("--baseline-window-days", min=0, help="Baseline = last HbA1c at most this many days before the infusion.")]
FollowUp = Annotated[str, typer.Option("--follow-up", help="'last' or a visit label (M3, M6, M12, Y2 … Y5).")]


@export_app.command("analysis-table")
def export_analysis_cmd(out: Out, db: Db = None, baseline_window_days: BaselineWindow = 90, follow_up: FollowUp = "last") -> None:
    """Write analysis_table.csv (the cohort built from the registry)."""
    from mscreg.cohort.registry import table_from_registry
    from mscreg.io import export_analysis_table

    try:
        with _registry(db) as registry:
            table = table_from_registry(registry.engine, baseline_window_days=baseline_window_days, follow_up=follow_up)
            path = export_analysis_table(table, out)
    except MscregError as error:
        _fail(error)
        return
    typer.echo(str(path))


@export_app.command("sdtm")
def export_sdtm_cmd(out: Out, db: Db = None,
                    studyid: Annotated[str, typer.Option("--studyid", help="SDTM STUDYID.")] = "MSCREG") -> None:
    """Write SDTM-shaped DM.csv, EX.csv, LB.csv and AE.csv."""
    from mscreg.io import export_sdtm

    try:
        with _registry(db) as registry:
            paths = export_sdtm(registry, out, studyid=studyid)
    except MscregError as error:
        _fail(error)
        return
    typer.echo("\n".join(str(p) for p in paths))


@export_app.command("deidentified")
def export_deid_cmd(out: Out, db: Db = None,
                    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the random subject codes (default: fresh randomness).")] = None) -> None:
    """Write a HIPAA Safe Harbor de-identified set (years only, ages over 89 grouped, random codes)."""
    from mscreg.io import export_deidentified

    try:
        with _registry(db) as registry:
            paths = export_deidentified(registry, out, seed=seed)
    except MscregError as error:
        _fail(error)
        return
    typer.echo("\n".join(str(p) for p in paths))


# ---------------------------------------------------------------------- visits, consort
visits_app = typer.Typer(help="Follow-up visits planned by the protocol (3, 6, 12 months, then yearly to 5 years).", no_args_is_help=True)


def _parse_day(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text!r}: expected a date YYYY-MM-DD") from None


@visits_app.command("due")
def visits_due_cmd(db: Db = None,
                   as_of: Annotated[str | None, typer.Option("--as-of", help="Date to judge by, YYYY-MM-DD (default: today).")] = None,
                   output: OutFmt = ReportFormat.text) -> None:
    """List visits due (window open) and overdue (window closed, not attended)."""
    from mscreg.store.services import visits_due

    try:
        day = _parse_day(as_of)
        with _registry(db) as registry, registry.engine.connect() as conn:
            rows = visits_due(conn, as_of=day)
    except MscregError as error:
        _fail(error)
        return
    plain = [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()} for r in rows]
    if output is ReportFormat.json:
        sys.stdout.write(json.dumps({"as_of": day.isoformat(), "visits": plain}, indent=2) + "\n")
        return
    if output is ReportFormat.csv:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=["study_id", "visit", "planned_on", "window_start", "window_end",
                                                        "state", "days_overdue"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(plain)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Visits due or overdue on {day.isoformat()}", title_justify="left")
    for header in ("patient", "visit", "planned", "window", "state", "days overdue"):
        table.add_column(header)
    for r in plain:
        table.add_row(r["study_id"], r["visit"], r["planned_on"], f"{r['window_start']} – {r['window_end']}", r["state"],
                      str(r["days_overdue"]))
    Console(highlight=False, width=160).print(table if plain else f"no visits due or overdue on {day.isoformat()}")


def consort_cmd(db: Db = None, output: OutFmt = ReportFormat.text,
                baseline_window_days: BaselineWindow = 90, follow_up: FollowUp = "last") -> None:
    """CONSORT-style counts: screened, eligible, infused, with follow-up, analysed."""
    from mscreg.cohort.registry import table_from_registry
    from mscreg.errors import InsufficientDataError
    from mscreg.store.services import consort

    try:
        with _registry(db) as registry:
            try:
                table = table_from_registry(registry.engine, baseline_window_days=baseline_window_days, follow_up=follow_up)
                analysed = int(table.frame["hba1c_after"].notna().sum())
            except InsufficientDataError:
                analysed = 0
            with registry.engine.connect() as conn:
                counts = consort(conn, analysed=analysed)
    except MscregError as error:
        _fail(error)
        return
    data = counts.to_dict()
    if output is ReportFormat.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif output is ReportFormat.csv:
        sys.stdout.write("step,n\n" + "".join(f"{k},{v}\n" for k, v in data.items()))
    else:
        width = max(len(k) for k in data)
        typer.echo("\n".join(f"{k.replace('_', ' '):<{width}}  {v}" for k, v in data.items()))


def register(app: typer.Typer) -> None:
    """Add the registry commands to ``app``: ``db``, ``import``, ``export``, ``visits``, ``consort``."""
    app.add_typer(db_app, name="db")
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
    app.add_typer(visits_app, name="visits")
    app.command("consort")(consort_cmd)
