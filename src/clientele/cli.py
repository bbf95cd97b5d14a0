"""The ``clientele`` command line: thin commands that parse, call one library function, print.

Each command prints a rich table by default and JSON with ``--json``. Errors caused by the
user's input (:class:`clientele.errors.ClienteleError`) print as one line on stderr and exit 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from clientele.errors import ClienteleError

DEFAULT_STORE = "clientele.duckdb"

app = typer.Typer(
    name="clientele",
    help="clientele: the customer department's store, models, CLV and customer equity.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _global_options(
    ctx: typer.Context,
    store: Path = typer.Option(
        None,
        "--store",
        envvar="CLIENTELE_STORE",
        help=f"The customer store (a DuckDB file). Default: ./{DEFAULT_STORE}.",
    ),
) -> None:
    ctx.obj = {"store": Path(store) if store else Path(DEFAULT_STORE)}


def store_path(ctx: typer.Context) -> Path:
    """The store path chosen by ``--store``, ``CLIENTELE_STORE`` or the default."""
    return (ctx.obj or {}).get("store", Path(DEFAULT_STORE))


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON on stdout (dates and numpy scalars as strings/numbers)."""
    sys.stdout.write(json.dumps(payload, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """Print rows as a rich table with right-aligned numbers."""
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(columns):
        numeric = bool(rows) and all(isinstance(r[i], (int, float)) for r in rows if r[i] is not None)
        table.add_column(name, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*[_cell(v) for v in row])
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@app.command("rfm")
def rfm_command(
    ctx: typer.Context,
    observation_end: str = typer.Option(
        ..., "--observation-end", help="Last day observed, YYYY-MM-DD; later purchases are ignored."
    ),
    out: Path = typer.Option(..., "--out", help="Output file, .csv or .parquet (one row per customer)."),
    time_unit: str = typer.Option(
        "D", "--time-unit", help="Unit of recency and T: D days, W weeks (days/7), M months (days/30.4375)."
    ),
    calibration_end: str = typer.Option(
        None, "--calibration-end", help="End of the calibration period; adds holdout columns after it."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Per-customer frequency, recency, T and monetary value of the store's purchases."""
    from clientele.rfm import export_rfm
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store:
        stats = export_rfm(
            store, out, observation_end=observation_end, time_unit=time_unit, calibration_end=calibration_end
        )
    if as_json:
        print_json(stats)
        return
    unit = stats["time_unit"]
    rows: list[list[Any]] = [
        ["customers", stats["customers"]],
        ["transactions up to observation end", stats["transactions"]],
        ["share of repeat customers", stats["repeaters"]],
        ["mean frequency", stats["mean_frequency"]],
        [f"mean recency ({unit})", stats["mean_recency"]],
        [f"mean T ({unit})", stats["mean_T"]],
        ["mean monetary value of repeaters", stats["mean_monetary_value"]],
    ]
    if stats["calibration_end"] is not None:
        rows.append(["mean holdout frequency", stats["mean_frequency_holdout"]])
        rows.append([f"holdout duration ({unit})", stats["duration_holdout"]])
    print_table("RFM summary", ["measure", "value"], rows)
    period = f"observation end {stats['observation_end']}"
    if stats["calibration_end"] is not None:
        period = f"calibration end {stats['calibration_end']}, {period}"
    console.print(f"{period}; written: {stats['path']}", highlight=False)


@app.command("load")
def load_command(
    ctx: typer.Context,
    kind: str = typer.Argument(
        ..., help="customers, products, transactions, interactions, surveys, referrals or campaigns."
    ),
    files: list[Path] = typer.Argument(
        ...,
        help="CSV (.csv, .csv.gz; header line first) or Parquet files, e.g. exports/2024-*.parquet; "
        "each is its own load.",
    ),
    source: str = typer.Option(..., "--source", help="The source system the files come from, e.g. shop."),
    mapping: list[str] = typer.Option(
        None, "--map", help="Rename a column: --map \"order_date=timestamp\" (repeatable)."
    ),
    decimal: str = typer.Option(None, "--decimal", help="Decimal separator of amounts: . or ,"),
    delimiter: str = typer.Option(None, "--delimiter", help="CSV field delimiter (default: guessed)."),
    encoding: str = typer.Option(None, "--encoding", help="CSV encoding: utf-8 (default), utf-16, latin-1."),
    date_format: str = typer.Option(
        None, "--date-format", help="strptime layout of non-ISO dates, e.g. %d/%m/%Y."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print JSON instead of a table (a list, one entry per file, for several files)."
    ),
) -> None:
    """Load files into the store: every row lands, is already there, or is quarantined.

    Each file is loaded in its own transaction, in the order given. If one fails, the files
    before it stay loaded and the error names the file; loading the same files again adds
    nothing, so the command can simply be run again once the file is fixed.
    """
    from clientele.store import Store
    from clientele.store.cli_support import load_progress, parse_map

    columns = parse_map(mapping or [])
    results = []
    with Store.open(store_path(ctx)) as store:
        for file in files:
            with load_progress(store, err_console) as progress:
                step = progress if len(files) == 1 else (lambda stage, name=file.name: progress(f"{name}: {stage}"))
                try:
                    results.append(
                        store.load(
                            kind,
                            file,
                            source=source,
                            columns=columns,
                            decimal=decimal,
                            delimiter=delimiter,
                            encoding=encoding,
                            date_format=date_format,
                            progress=step,
                        )
                    )
                except ClienteleError:
                    if results and not as_json:
                        _print_loads(results, partial=True)
                    raise
    if as_json:
        print_json(results[0].to_dict() if len(files) == 1 else [r.to_dict() for r in results])
        return
    _print_loads(results)


def _print_loads(results: list[Any], partial: bool = False) -> None:
    """One row per load (and their total), and where to see the quarantined rows."""
    first = results[0]
    counts = ["rows_read", "loaded", "already_present", "quarantined", "returns"]
    header = ["rows read", "loaded", "already present", "quarantined", "returns"]
    if len(results) == 1 and not partial:
        print_table(f"Loaded {first.file} as {first.kind} from {first.source}", header, [[getattr(first, c) for c in counts]])
    else:
        rows = [[r.file, *(getattr(r, c) for c in counts)] for r in results]
        rows.append(["total", *(sum(getattr(r, c) for r in results) for c in counts)])
        done = "Loaded before the error" if partial else "Loaded"
        files = f"{len(results)} file{'' if len(results) == 1 else 's'}"
        print_table(f"{done}: {files} as {first.kind} from {first.source}", ["file", *header], rows)
    with_bad = [r for r in results if r.quarantined]
    if with_bad:
        which = f"--load {with_bad[0].load_id}" if len(with_bad) == 1 else f"--source {first.source}"
        quarantined = sum(r.quarantined for r in with_bad)
        console.print(f"{quarantined:,} rows quarantined: see `clientele quarantine {which}`, or Store.quarantine().")


@app.command("status")
def status_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """What the store holds: rows per table and source, date ranges, quarantined rows."""
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store:
        status = store.status()
    if as_json:
        print_json(status.to_dict())
        return
    print_table(
        f"Store {status.path} (schema version {status.schema_version}, {status.loads:,} loads)",
        ["table", "source", "rows", "from", "to"],
        [[t.table, t.source, t.rows, t.first, t.last] for t in status.tables],
    )
    if status.quarantine:
        print_table(
            "Quarantined rows",
            ["kind", "source", "rows"],
            [[q.kind, q.source, q.rows] for q in status.quarantine],
        )


@app.command("quarantine")
def quarantine_command(
    ctx: typer.Context,
    kind: str = typer.Option(None, "--kind", help="Only rows of this kind, e.g. transactions."),
    source: str = typer.Option(None, "--source", help="Only rows from this source system."),
    load_id: int = typer.Option(None, "--load", help="Only rows of this load (its number in `clientele load`)."),
    limit: int = typer.Option(50, "--limit", min=0, help="Rows to print (0: all); --out and --json ignore it."),
    out: Path = typer.Option(None, "--out", help="Write every matching row to FILE.csv or FILE.parquet."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """The quarantined rows: file, line, the reason and the raw values, to fix at the source."""
    from clientele.store import Store

    filters = {"source": source, "load_id": load_id}
    with Store.open(store_path(ctx), read_only=True) as store:
        total = store.quarantined_count(kind, **filters)
        if out is not None:
            written = store.export_quarantine(out, kind, **filters)
            console.print(f"{written:,} quarantined rows written to {out}", highlight=False)
            return
        rows = store.quarantine(kind, **filters, limit=None if as_json or limit == 0 else limit)
    if as_json:
        print_json(rows.assign(raw=rows["raw"].map(lambda raw: raw and json.loads(raw))).to_dict(orient="records"))
        return
    if not total:
        console.print("No quarantined rows" + (" match these filters." if kind or source or load_id else "."))
        return
    # a filter on kind or source goes into the title instead of a column
    varying = [c for c, chosen in (("kind", kind), ("source", source)) if chosen is None]
    chosen = (f" of {kind}" if kind else "") + (f" from {source}" if source else "") + (f" in load {load_id}" if load_id else "")
    print_table(
        f"Quarantined rows{chosen} ({total:,})",
        ["load", *varying, "file:line", "reason", "raw values"],
        [
            [int(r["load_id"]), *(r[c] for c in varying), _where(r["file"], r["line"]), r["reason"], _short(r["raw"], 60)]
            for r in rows.to_dict(orient="records")
        ],
    )
    if len(rows) < total:
        console.print(f"showing {len(rows):,} of {total:,}: --limit 0 for all, --out FILE.csv to export")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _where(file: Any, line: Any) -> str:
    """``name:line`` of a quarantined row's file (the name only: ``--json`` and ``--out`` give
    the path as loaded; either may be unknown)."""
    has_line = line is not None and line == line  # NaN: no line
    return (Path(file).name if file else "(input)") + (f":{int(line)}" if has_line else "")


@app.command("fit")
def fit_command(
    ctx: typer.Context,
    model: str = typer.Option("bgnbd", "--model", help="Purchase model: bgnbd, mbgnbd or paretonbd."),
    time_unit: str = typer.Option("W", "--time-unit", help="Unit of recency and T: D, W or M."),
    observation_end: str = typer.Option(
        None, "--observation-end", help="Last day observed, YYYY-MM-DD. Default: the last purchase's day."
    ),
    calibration_end: str = typer.Option(None, "--calibration-end", help="Fit only on purchases up to this day."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Fit the purchase model and Gamma-Gamma on the store's purchases and save them in the store."""
    from clientele.pipeline import fit_store_models
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store, err_console.status(f"Fitting {model} + Gamma-Gamma"):
        result = fit_store_models(
            store, model=model, time_unit=time_unit, observation_end=observation_end, calibration_end=calibration_end
        )
    if as_json:
        print_json(result.to_dict())
        return
    _print_fit(result)


def _print_fit(result: Any) -> None:
    rows = []
    for fitted in (result.purchase_model, result.spend_model):
        summary = fitted.summary()
        for name, row in summary.iterrows():
            rows.append([type(fitted).__name__, name, row.iloc[0], row.iloc[1]])
    print_table(
        f"Fit {result.fit_id}: {result.n_customers:,} customers ({result.n_repeaters:,} repeat), "
        f"time unit {result.time_unit}, observation end {result.observation_end}",
        ["model", "parameter", "estimate", "standard error"],
        rows,
    )


@app.command("score")
def score_command(
    ctx: typer.Context,
    horizon_months: int = typer.Option(12, "--horizon-months", help="Months of future purchases in the CLV."),
    discount_rate: float = typer.Option(0.10, "--discount-rate", help="Annual discount rate."),
    margin: float = typer.Option(0.30, "--margin", help="Share of revenue that is profit."),
    top: int = typer.Option(10, "--top", help="Number of highest-CLV customers printed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Score every customer (p_alive, expected purchases and spend, CLV) into ``customer_scores``."""
    from clientele.pipeline import score_store
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store, err_console.status("Scoring every customer"):
        result = score_store(store, horizon_months=horizon_months, discount_rate=discount_rate, margin=margin)
    best = result.scores.sort_values("clv", ascending=False).head(top)
    if as_json:
        top_rows = best.reset_index().rename(columns={best.index.name or "index": "customer_key"})
        print_json({"totals": result.totals(), "top": top_rows.to_dict(orient="records")})
        return
    _print_scores(result, best)


def _print_scores(result: Any, best: Any) -> None:
    print_table(
        f"Top {len(best)} customers by CLV",
        ["customer", "p_alive", "expected purchases", "expected spend", "CLV"],
        [[key, *row] for key, row in zip(best.index, best.to_numpy().tolist())],
    )
    totals = result.totals()
    print_table(
        f"Customer base ({totals['horizon_months']} months, discount {totals['discount_rate']:g}, "
        f"margin {totals['margin']:g})",
        ["measure", "value"],
        [[k.replace("_", " "), v] for k, v in totals.items() if k not in ("horizon_months", "discount_rate", "margin")],
    )


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    customers: int = typer.Option(50_000, "--customers", help="Number of people of the demo company."),
    seed: int = typer.Option(7, "--seed", help="Random seed; the same seed gives the same company."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Generate the demo company (web shop and store loyalty cards, two years), load it, resolve
    identities (quality against the known truth), fit, score and write the report."""
    from rich.progress import Progress

    from clientele.demo import generate, load
    from clientele.store import Store

    with err_console.status(f"Generating the demo company: {customers:,} people, seed {seed}"):
        company = generate(n_customers=customers, seed=seed)
    with Store.open(store_path(ctx)) as store, Progress(console=err_console, transient=True) as bar:
        task = bar.add_task("loading", total=sum(1 for _ in company.frames()))

        started: list[str] = []

        def step(kind: str, source: str) -> None:
            bar.update(task, description=f"loading {kind} from {source}", completed=len(started))
            started.append(kind)

        results = load(store, company, progress=step)
    resolved, quality = _demo_resolve(ctx, company)
    if as_json:
        with Store.open(store_path(ctx), read_only=True) as store:
            status = store.status()
        loads = [r.to_dict() for r in results]
        fit, scored = _demo_fit_and_score(ctx, company)
        department = _demo_department(ctx, company)
        print_json(
            {
                "people": customers, "seed": seed, "loads": loads, "status": status.to_dict(),
                "resolution": {"run": resolved.to_dict(), "quality": quality.to_dict()},
                "fit": fit.to_dict(), "scores": scored.totals(),
                "segments": department["segments"]["summary"].to_dict(orient="records"),
                "briefs": department["segments"]["briefs"],
                "budget": {k: v for k, v in department["budget"].items() if k != "truth"},
            }
        )
        _demo_report(ctx, quiet=True)
        return
    print_table(
        f"Demo company loaded ({customers:,} people, seed {seed})",
        ["kind", "source", "rows read", "loaded", "already present", "quarantined"],
        [[r.kind, r.source, r.rows_read, r.loaded, r.already_present, r.quarantined] for r in results],
    )
    quarantined = sum(r.quarantined for r in results)
    if quarantined:
        console.print(
            f"{quarantined:,} rows conflict with what the store held (a demo made with another --seed or "
            "--customers?) and were quarantined; use a fresh --store for a clean demo.",
            highlight=False,
        )
    status_command(ctx, as_json=False)
    print_table(
        "Identity resolution (pairwise quality against the demo's known identities)",
        ["records", "customer keys", "precision", "recall", "seconds"],
        [[resolved.records, resolved.customer_keys, f"{quality.precision:.4f}", f"{quality.recall:.4f}",
          resolved.seconds]],
    )
    fit, scored = _demo_fit_and_score(ctx, company)
    _print_fit(fit)
    _print_scores(scored, scored.scores.sort_values("clv", ascending=False).head(10))
    _print_department(_demo_department(ctx, company))
    _demo_report(ctx)


def _demo_department(ctx: typer.Context, company: Any) -> dict[str, Any]:
    """The customer department's work on the demo: value x risk segments owned by customer
    managers, each segment's needs, draft briefs to brand managers, and the budget moved from
    product lines to segments (both plans stored)."""
    from clientele.budget.demo import demo_budget
    from clientele.needs import demo_needs
    from clientele.segments import segment_summary
    from clientele.segments.demo import demo_segments_and_briefs
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store:
        with err_console.status("Segments, their needs and briefs to brand managers"):
            segments = demo_segments_and_briefs(store, demo_needs)
            segments["summary"] = segment_summary(store)
        with err_console.status("Response curves and budget plans"):
            budget = demo_budget(store, company)
    return {"segments": segments, "budget": budget}


def _print_department(department: dict[str, Any]) -> None:
    summary = department["segments"]["summary"]
    columns = ["segment", "owner", "customers", "equity", "share_of_equity", "avg_clv", "retention_rate", "nps"]
    print_table("Segments (value x risk grid), their owners and indicators",
                ["segment", "owner", "customers", "equity", "share", "mean CLV", "retention", "NPS"],
                summary[columns].values.tolist())
    briefs = department["segments"]["briefs"]
    console.print(f"{len(briefs)} brief(s) drafted for brand managers: see `clientele brief list`.", highlight=False)
    budget = department["budget"]
    rows = [[name, plan["spend"], plan["gain"], plan["lower"], plan["upper"], plan["roi"]]
            for name, plan in (("product-centric (current)", budget["product"]), ("customer-centric", budget["customer"]))]
    diff = budget["difference"]
    rows.append(["difference", 0.0, diff["gain"], diff["lower"], diff["upper"], None])
    print_table("The same budget, by product managers vs customer managers (equity gain, 90% interval)",
                ["plan", "spend", "equity gain", "lower", "upper", "ROI"], rows)


def _demo_resolve(ctx: typer.Context, company: Any) -> tuple[Any, Any]:
    """Store the demo's known identities as labels, resolve the customers into customer keys
    (so that fitting works on people, not accounts) and measure the pairwise quality."""
    from clientele.identity import evaluate_store, resolve_store, store_labels
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store, err_console.status("Resolving identities") as status:
        store_labels(store, company.truth.identities)
        result = resolve_store(store, progress=lambda s: status.update(f"Resolving identities: {s}"))
        quality = evaluate_store(store)
    return result, quality


def _demo_fit_and_score(ctx: typer.Context, company: Any) -> tuple[Any, Any]:
    """Fit BG/NBD + Gamma-Gamma (weekly, observed to the demo's end) and score every customer."""
    from clientele.pipeline import fit_store_models, score_store
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store, err_console.status("Fitting BG/NBD + Gamma-Gamma and scoring"):
        fit = fit_store_models(store, model="bgnbd", time_unit="W", observation_end=company.truth.end)
        scored = score_store(store)
    return fit, scored


@app.command("resolve")
def resolve_command(
    ctx: typer.Context,
    settings: Path = typer.Option(None, "--settings", help="A settings file (JSON) to resolve with."),
    write_settings: Path = typer.Option(
        None, "--write-settings", help="Write the default settings (JSON) to this file, to read and edit; then stop."
    ),
    threshold: float = typer.Option(None, "--threshold", help="Match probability to link at (overrides the settings)."),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (default) or spark (for very large stores)."),
    memory_limit: str = typer.Option(
        None, "--memory-limit", help="DuckDB memory limit for the matching, e.g. 1GB (less memory, a little slower)."
    ),
    link: tuple[str, str] | None = typer.Option(
        None, "--link", help="Force two records into one customer: --link SRC:ID SRC:ID."
    ),
    split: str = typer.Option(None, "--split", help="Force a record out of its customer: --split SRC:ID."),
    note: str = typer.Option(None, "--note", help="Why (stored with --link / --split)."),
    evaluate: bool = typer.Option(
        False, "--evaluate", help="Measure pairwise precision and recall against known identities."
    ),
    truth: Path = typer.Option(
        None, "--truth", help="Known identities for --evaluate: CSV/Parquet with source, customer_id, person_id."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Link customer records within and across sources into customer keys (Splink)."""
    from clientele.identity import (
        check_settings,
        default_settings,
        evaluate_store,
        link_records,
        load_settings,
        read_labels,
        resolve_store,
        save_settings,
        split_record,
    )
    from clientele.store import Store

    if write_settings is not None:
        path = save_settings(default_settings(), write_settings)
        console.print(f"default settings written to {path}; edit and pass --settings {path}", highlight=False)
        return
    doc = load_settings(settings) if settings is not None else default_settings()
    if threshold is not None:
        doc = check_settings({**doc, "threshold": threshold})
    labels = read_labels(truth) if truth is not None else None
    with Store.open(store_path(ctx)) as store:
        if link:
            result = link_records(store, link[0], link[1], note=note)
        elif split is not None:
            result = split_record(store, split, note=note)
        else:
            with err_console.status("resolving") as status:
                result = resolve_store(
                    store, doc, engine=engine, memory_limit=memory_limit,
                    progress=lambda s: status.update(f"resolving: {s}"),
                )
        quality = evaluate_store(store, labels) if evaluate or truth is not None else None
    if as_json:
        print_json({"run": result.to_dict(), "quality": quality.to_dict() if quality else None})
        return
    print_table(
        f"Resolution run {result.run_id} ({result.kind}, {result.engine}, threshold {result.threshold:g})",
        ["measure", "value"],
        [
            ["records", result.records],
            ["links at the threshold", result.links],
            ["customer keys", result.customer_keys],
            ["keys with 2+ records", result.multi_record_keys],
            ["records whose key changed", result.changes],
            ["keys merged into older ones", result.merges],
            ["new keys", result.new_keys],
            ["seconds", result.seconds],
        ],
    )
    if result.change_reasons:
        print_table("Key changes by reason", ["reason", "records"], [[k, v] for k, v in result.change_reasons.items()])
    if quality is not None:
        print_table(
            "Pairwise quality against known identities",
            ["measure", "value"],
            [
                ["precision", round(quality.precision, 4)],
                ["recall", round(quality.recall, 4)],
                ["F1", round(quality.f1, 4)],
                ["predicted pairs", quality.predicted_pairs],
                ["true pairs", quality.true_pairs],
                ["correct pairs", quality.correct_pairs],
                ["people", quality.people],
                ["customer keys", quality.customer_keys],
            ],
        )


#: Columns of the customer 360 left out of the terminal view (``--json`` has them all).
_C360_HIDDEN = {
    "identities": ["acquisition_channel"],
    "transactions": ["transaction_id", "product_id", "brand"],
}


@app.command("customer")
def customer_command(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="A customer key, or any of its records as SOURCE:ID."),
    limit: int = typer.Option(20, "--limit", help="Rows shown per section (JSON shows all)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of panels and tables."),
) -> None:
    """Everything known about one customer across all sources (the customer 360)."""
    from rich.panel import Panel

    from clientele.identity import customer_360
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store:
        c360 = customer_360(store, key)
    if as_json:
        print_json(c360.to_dict())
        return
    s = c360.summary
    console.print(
        Panel(
            f"{s['records']} record(s) in {', '.join(s['sources'])}\n"
            f"{s['purchases']} purchases, spend {s['spend']:,.2f}; {s['returns']} returns ({s['returned_amount']:,.2f})\n"
            f"first purchase {s['first_purchase'] or '-'}, last {s['last_purchase'] or '-'}\n"
            f"{s['interactions']} interactions; {s['surveys']} surveys"
            + (f" (mean NPS {s['mean_nps']:.1f})" if s["mean_nps"] is not None else "")
            + f"\nreferrals given {s['referrals_given']}, received {s['referrals_received']}",
            title=f"Customer {c360.customer_key}",
            title_align="left",
        ),
        highlight=False,
    )
    for name, frame in c360.frames().items():
        title = name.replace("_", " ").capitalize()
        if frame is None or frame.empty:
            message = c360.scores_note if name == "scores" else "none"
            console.print(f"[bold]{title}[/]: {message}", highlight=False)
            continue
        shown = frame.head(limit).drop(columns=_C360_HIDDEN.get(name, []), errors="ignore")
        more = f" (first {limit} of {len(frame):,}; --json for all)" if len(frame) > limit else ""
        rows = [
            ["yes" if v is True else "no" if v is False else v for v in row]
            for row in shown.astype(object).where(shown.notna(), None).to_numpy().tolist()
        ]
        print_table(f"{title}{more}", [str(c) for c in shown.columns], rows)


@app.command("equity")
def equity_command(
    ctx: typer.Context,
    as_of: str = typer.Option(None, "--as-of", help="Use data up to this day, YYYY-MM-DD (default: last purchase)."),
    horizon: int = typer.Option(36, "--horizon", help="Months of future value counted."),
    margin: float = typer.Option(0.30, "--margin", help="Share of revenue that is profit."),
    discount_rate: float = typer.Option(0.10, "--discount-rate", help="Annual discount rate."),
    acquisition_cost: float = typer.Option(0.0, "--acquisition-cost", help="Cost per new customer (default 0)."),
    model: str = typer.Option("bgnbd", "--model", help="Purchase model: bgnbd, mbgnbd or paretonbd."),
    draws: int = typer.Option(200, "--draws", help="Bootstrap draws for the 90% intervals (0: none)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap draws."),
    by: str = typer.Option(None, "--by", help="Also show a breakdown: cohort, channel or segment."),
    over_time: int = typer.Option(0, "--over-time", help="Also show equity at each of the last N month ends."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Customer equity: current customers' CLV plus the customers not yet acquired, with intervals."""
    from clientele.equity import equity_from_store, equity_over_time, purchases_frame
    from clientele.errors import InputError
    from clientele.indicators import value_risk_segments
    from clientele.store import Store

    if by is not None and by not in ("cohort", "channel", "segment"):
        raise InputError("expected cohort, channel or segment", column="--by", value=by)
    with Store.open(store_path(ctx), read_only=True) as store, err_console.status("valuing the customers"):
        options = dict(horizon_months=horizon, margin=margin, discount_rate=discount_rate,
                       acquisition_cost=acquisition_cost)
        first = equity_from_store(store, as_of=as_of, purchase_model=model, n_draws=0, **options)
        segments = value_risk_segments(first.customers)
        result = equity_from_store(store, as_of=as_of, models=first.models, segments=segments, n_draws=draws,
                                   seed=seed, **options)
        history = (equity_over_time(purchases_frame(store, until=as_of), months=over_time, purchase_model=model,
                                    **options) if over_time else None)
    if as_json:
        payload = result.to_dict()
        if history is not None:
            clean = history.reset_index().astype(object)
            payload["over_time"] = clean.where(clean.notna(), None).to_dict(orient="records")
        print_json(payload)
        return
    s = result.summary
    print_table(
        f"Customer equity as of {result.settings['as_of']} ({horizon} months, margin {margin:g}, "
        f"discount {discount_rate:g}/year, {draws} draws, 90% intervals)",
        ["component", "estimate", "lower", "upper"],
        [[name, *(None if v != v else float(v) for v in row)] for name, row in s.iterrows()],
    )
    if by:
        frame = result.by(by)
        print_table(f"Customer equity by {by}", [by, "customers", "value", "lower", "upper", "share"],
                    [[str(k), float(r["customers"]), float(r["value"]), float(r["lower"]), float(r["upper"]),
                      float(r["share"])] for k, r in frame.iterrows()])
    if history is not None:
        print_table("Customer equity over time", ["as of", "customers", "expected alive", "current", "future", "equity"],
                    [[str(k.date()), int(r["customers"]), float(r["expected_alive"]), float(r["current_customers"]),
                      float(r["future_customers"]), float(r["customer_equity"])] for k, r in history.iterrows()])


@app.command("indicators")
def indicators_command(
    ctx: typer.Context,
    as_of: str = typer.Option(None, "--as-of", help="Use data up to this day, YYYY-MM-DD (default: last purchase)."),
    window: int = typer.Option(12, "--window", help="Months of the activity and retention window."),
    margin: float = typer.Option(0.30, "--margin", help="Share of revenue that is profit."),
    incremental_share: float = typer.Option(
        0.5, "--incremental-share", help="Share of referred customers who would not have joined otherwise."
    ),
    acquisition_cost: float = typer.Option(0.0, "--acquisition-cost", help="Acquisition cost a referral saves."),
    months: int = typer.Option(6, "--months", help="Months shown in the monthly table."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Active customers, retention, value at risk, NPS and referral value."""
    from clientele.indicators import indicators_from_store
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store, err_console.status("computing indicators"):
        ind = indicators_from_store(store, as_of=as_of, window_months=window, margin=margin,
                                    incremental_share=incremental_share, acquisition_cost=acquisition_cost)
    monthly = ind.monthly.xs("all", level="segment").tail(months)
    if as_json:
        clean = monthly.reset_index().astype(object)
        print_json({"headline": ind.headline, "settings": ind.settings,
                    "monthly": clean.where(clean.notna(), None).to_dict(orient="records")})
        return
    print_table(f"Indicators as of {ind.headline['as_of']}", ["indicator", "value"],
                [[k, v] for k, v in ind.headline.items() if k != "as_of"])
    print_table(f"By month (window {window} months)", ["month", "active", "retention rate", "new", "referrals"],
                [[str(k), int(r["active"]), None if r["retention_rate"] != r["retention_rate"] else float(r["retention_rate"]),
                  int(r["new_customers"]), int(r["referrals"])] for k, r in monthly.iterrows()])


@app.command("validate")
def validate_command(
    ctx: typer.Context,
    calibration_end: str = typer.Option(..., "--calibration-end", help="Last day of the calibration period, YYYY-MM-DD."),
    observation_end: str = typer.Option(
        None, "--observation-end", help="Last day of the holdout period (default: the last purchase day)."
    ),
    model: str = typer.Option("bgnbd", "--model", help="Purchase model: bgnbd, mbgnbd or paretonbd."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Fit the purchase model on the calibration period and compare it with the holdout period."""
    from clientele.store import Store
    from clientele.validation import validate

    with Store.open(store_path(ctx), read_only=True) as store, err_console.status("fitting and validating"):
        result = validate(store, calibration_end=calibration_end, observation_end=observation_end, model=model)
    if as_json:
        print_json(result.to_dict())
        return
    e = result.errors
    print_table(
        f"Holdout check of {result.model_name}: calibration to {result.calibration_end}, holdout to {result.observation_end}",
        ["measure", "value"],
        [
            ["customers (acquired in calibration)", e["customers"]],
            ["actual holdout repeat transactions", e["actual_holdout_transactions"]],
            ["model holdout repeat transactions", e["model_holdout_transactions"]],
            ["error of the total (%)", round(e["total_error_pct"], 2)],
            ["mean absolute error per customer", round(e["mae"], 4)],
            ["root mean squared error per customer", round(e["rmse"], 4)],
        ],
    )
    print_table(
        "Customers by repeat transactions in calibration",
        ["repeat transactions", "actual", "model"],
        [[k, int(r.actual), round(float(r.model), 1)] for k, r in result.histogram.iterrows()],
    )
    print_table(
        "Mean holdout transactions by calibration frequency",
        ["calibration frequency", "customers", "actual", "model"],
        [[k, int(r.customers), float(r.actual), float(r.model)] for k, r in result.conditional.iterrows()],
    )
    weekly = result.weekly
    shown = weekly[(weekly["week"] % 4 == 0) | (weekly["week"] == len(weekly))]
    print_table(
        "Cumulative repeat transactions (every 4th week; --json for all weeks)",
        ["week", "ending", "period", "actual", "model"],
        [[int(r.week), r.end.isoformat(), r.period, int(r.actual_cumulative), float(r.model_cumulative)] for r in shown.itertuples()],
    )


@app.command("report")
def report_command(
    ctx: typer.Context,
    out: Path = typer.Option(Path("report.html"), "--out", help="The HTML file to write (self-contained, works offline)."),
    as_of: str = typer.Option(None, "--as-of", help="Use data up to this day, YYYY-MM-DD (default: the last purchase)."),
    calibration_end: str = typer.Option(
        None, "--calibration-end", help="Calibration end of the model check (default: halfway through the data)."
    ),
    model: str = typer.Option("bgnbd", "--model", help="Purchase model: bgnbd, mbgnbd or paretonbd."),
    draws: int = typer.Option(200, "--draws", help="Bootstrap draws of the equity interval (0: none)."),
    months: int = typer.Option(12, "--months", help="Month ends shown in equity over time."),
    top: int = typer.Option(20, "--top", help="Customers listed in the at-risk table."),
) -> None:
    """Write the HTML report: equity, CLV, value x risk, indicators, model check, customers at risk."""
    from clientele.report import write_report
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store, err_console.status("building the report") as status:
        path = write_report(
            store, out, top=top, as_of=as_of, calibration_end=calibration_end, purchase_model=model,
            n_draws=draws, months=months, progress=lambda part: status.update(f"building the report: {part}"),
        )
    console.print(f"report written: {path.resolve()}", highlight=False)


def _demo_report(ctx: typer.Context, quiet: bool = False) -> Path:
    """Write the demo's report next to its store (``<store>.report.html``) and say where it is."""
    from clientele.report import write_report
    from clientele.store import Store

    out = store_path(ctx).with_suffix(".report.html")
    with Store.open(store_path(ctx), read_only=True) as store, err_console.status("writing the report") as status:
        path = write_report(store, out, progress=lambda part: status.update(f"writing the report: {part}"))
    (err_console if quiet else console).print(f"report written: {path.resolve()}", highlight=False)
    return path


def _register_needs() -> None:
    from clientele.needs.cli import needs_command

    app.command("needs")(needs_command)


_register_needs()


def _register_segments_and_briefs() -> None:
    from clientele.briefs.cli import brief_app
    from clientele.segments.cli import segments_app

    app.add_typer(segments_app, name="segments")
    app.add_typer(brief_app, name="brief")


_register_segments_and_briefs()


def _register_budget() -> None:
    from clientele.budget.cli import allocate_command, plans_app

    app.command("allocate")(allocate_command)
    app.add_typer(plans_app, name="plans")


_register_budget()


def main() -> None:
    """Entry point of the ``clientele`` script."""
    try:
        app()
    except ClienteleError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("Interrupted; the store is unchanged by the interrupted step.")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
