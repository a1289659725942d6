"""Command line: python -m etl build | add FILE --meta META.yml [--replace] | check FILE --meta META.yml |
init FILE [--family F] [--edition E] [--out META.yml] [--force] | export --parquet DIR [--force] [--family F]."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from etl import commands, draft
from etl.export import ExportError, export_parquet, summary
from etl.paths import GEO_DIR, RAW_DIR, WAREHOUSE_PATH
from etl.problems import InputError
from etl.publish import LockBusy

EXIT_OK, EXIT_INPUT, EXIT_BUSY = 0, 1, 3


def _progress(message: str) -> None:
    print(message, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description=__doc__)
    parser.add_argument("--raw-dir", type=Path, default=RAW_DIR, help="raw reports with sidecars (data/raw)")
    parser.add_argument("--warehouse", type=Path, default=WAREHOUSE_PATH, help="DuckDB file to publish")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for another run's lock")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="rebuild the warehouse from everything under data/raw")
    build.add_argument("--skip-geo", action="store_true", help="do not (re)build map boundaries")
    for name, text in (("add", "validate a new report, copy it into data/raw and rebuild"),
                       ("check", "dry run: print the validation report, change nothing")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("file", type=Path, help="the report file (CSV, XLSX or PDF)")
        cmd.add_argument("--meta", type=Path, required=True, help="its metadata sidecar (YAML)")
        if name == "add":
            cmd.add_argument("--replace", action="store_true", help="replace an edition that is already loaded")
            cmd.add_argument("--skip-geo", action="store_true", help="do not (re)build map boundaries")
    init = sub.add_parser("init", help="draft a sidecar for a new report (TODO where it cannot know)")
    init.add_argument("file", type=Path, help="the report file (CSV, XLSX or PDF)")
    init.add_argument("--family", help="index family (default: guessed from the title)")
    init.add_argument("--edition", help="edition (default: the year in the report's title)")
    init.add_argument("--out", type=Path, help="where to write the sidecar (default: FILE's name + .meta.yml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing sidecar")
    export = sub.add_parser("export", help="write the published warehouse as Parquet with a manifest (read-only)")
    export.add_argument("--parquet", type=Path, required=True, metavar="DIR", help="a new or empty folder")
    export.add_argument("--force", action="store_true", help="replace DIR even if it is not empty")
    export.add_argument("--family", help="only this index family (default: all)")
    return parser


def _init(args: argparse.Namespace) -> int:
    meta, drafted, todos = draft.init(args.file, args.family, args.edition, args.out, args.force)
    print(f"Drafted {meta} for {args.file}:")
    for decision in drafted.decisions:
        print(f"  - {decision}")
    print(f"Fill in ({len(todos)}), then run: python -m etl check {args.file} --meta {meta}")
    for key, line, text in todos:
        print(f"  {meta.name}, row {line}, key {key!r}: {text}")
    return EXIT_OK


def _ensure_geo() -> None:
    from etl.geo import build_geo, geo_is_current

    if geo_is_current(GEO_DIR):
        return
    start = time.perf_counter()
    sizes = build_geo(GEO_DIR)
    _progress(f"  geo        {GEO_DIR}  {sum(sizes.values()) / 1e6:.2f} MB in {time.perf_counter() - start:.1f} s")


def _print_problems(error: InputError) -> None:
    print(error.report(), file=sys.stderr)
    print("Nothing was published; the warehouse is unchanged.", file=sys.stderr)


def _export(args: argparse.Namespace) -> int:
    try:
        manifest = export_parquet(args.warehouse, args.parquet, args.force, args.family)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT
    print(summary(manifest, args.parquet))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "export":
        return _export(args)
    try:
        if args.command == "init":
            return _init(args)
        if args.command == "check":
            result = commands.check(args.file, args.meta, args.raw_dir, _progress)
            for warning in result.problems.warnings:
                print(f"warning: {warning}")
            if result.problems.errors:
                print(InputError(result.problems).report(), file=sys.stderr)
                return EXIT_INPUT
            print(f"OK: {args.file} is valid ({sum(len(r.observations) for r in result.releases):,} observations);"
                  " nothing was changed (dry run)")
            return EXIT_OK
        if args.command == "build":
            summary = commands.build(args.raw_dir, args.warehouse, _progress, args.wait)
        else:
            summary = commands.add(args.file, args.meta, args.raw_dir, args.warehouse, _progress, args.replace,
                                   args.wait)
        if not args.skip_geo:
            _ensure_geo()
    except InputError as error:
        _print_problems(error)
        return EXIT_INPUT
    except LockBusy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return EXIT_BUSY
    for warning in summary.warnings:
        print(f"warning: {warning}")
    print(summary.table())
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
