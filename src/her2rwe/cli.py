"""The `her2rwe` command: `her2rwe freeze --to DIR` and `her2rwe verify --expected DIR`.

A research group adopts the drift check in two commands: freeze a run it trusts, then verify every
later run against it (README, "Check that results still reproduce").
"""

from __future__ import annotations

import argparse
import sys

from her2rwe.outputs import verify as drift


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="her2rwe", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser(
        "verify",
        help="compare a results folder with frozen expected results; exit 1 on any drift",
        description=drift.__doc__.split("\n\n")[0],
    )
    check.add_argument("--expected", required=True, help="folder written by `her2rwe freeze`")
    check.add_argument("--results", default="results", help="results folder (default: results)")
    check.add_argument(
        "--rtol",
        type=float,
        default=drift.DEFAULT_RTOL,
        help=f"relative tolerance for numbers that are not counts (default {drift.DEFAULT_RTOL:g})",
    )
    check.add_argument(
        "--atol",
        type=float,
        default=drift.DEFAULT_ATOL,
        help=f"absolute tolerance for numbers near 0 (default {drift.DEFAULT_ATOL:g})",
    )
    check.add_argument(
        "--max-lines",
        type=int,
        default=drift.DEFAULT_MAX_LINES,
        help=f"differences listed before the count (default {drift.DEFAULT_MAX_LINES})",
    )

    frz = sub.add_parser(
        "freeze", help="copy the shareable results into a folder of expected results"
    )
    frz.add_argument("--to", required=True, help="folder to write (its frozen files are replaced)")
    frz.add_argument("--results", default="results", help="results folder (default: results)")
    frz.add_argument(
        "--with-curves",
        action="store_true",
        help="also freeze the exact curve tables behind the figures (results/<study>/survival/): "
        "checks figures across platforms, but they are unsuppressed, so the copy is not shareable "
        "when min_cell_count masks small cells",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "freeze":
            files = drift.freeze(args.results, args.to, curves=args.with_curves)
            print(f"froze {len(files)} file(s) from {args.results} into {args.to}")
            return 0
        report = drift.verify(args.expected, args.results, rtol=args.rtol, atol=args.atol)
    except (FileNotFoundError, ValueError) as exc:
        print(f"her2rwe {args.command}: {exc}", file=sys.stderr)
        return 2
    print(report.render(args.max_lines))
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
