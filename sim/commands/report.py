"""``caseflow report RUN_DIR [--compare RUN_DIR...]``: the forecast as one self-contained HTML page."""

from __future__ import annotations


def add(sub) -> None:
    p = sub.add_parser("report", help="write the forecast report (HTML, Danish by default)")
    p.add_argument("run_dir", help="a directory written by `caseflow run` (the baseline)")
    p.add_argument("--compare", nargs="+", default=[], metavar="RUN_DIR",
                   help="scenario runs to compare with the baseline (same seed: paired differences)")
    p.add_argument("--lang", choices=("da", "en"), default="da", help="language (default da)")
    p.add_argument("-o", "--out", default="report.html", help="the HTML file (default report.html)")
    p.add_argument("--observed", default=None,
                   help="TOML file of observed figures to mark on the charts "
                        "(default: calibration/observed/<municipality>.toml when it exists)")
    p.add_argument("--charts-dir", default=None,
                   help="where to write the charts as PNG and SVG (default: <out>_charts next to the page)")
    p.add_argument("--quiet", action="store_true", help="no progress messages (for scripts)")
    p.set_defaults(func=execute)


def execute(args) -> int:
    from sim.report import build
    build(args.run_dir, tuple(args.compare), lang=args.lang, out=args.out, observed=args.observed,
          charts_dir=args.charts_dir, quiet=args.quiet)
    return 0
