"""``python -m streamfold.web FILE|URL [--port N] [--speed X]``: serve the live chat page."""

from __future__ import annotations

import argparse

from . import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m streamfold.web",
        description="Serve a recording (at its timing) or a live stream as AG-UI SSE and a "
        "live chat page (docs/agui-out.md).",
    )
    parser.add_argument("source", help="a recording file, or an http(s):// URL to proxy")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="replay speed (1 = original timing)"
    )
    args = parser.parse_args(argv)
    print(f"streamfold: serving {args.source} on http://{args.host}:{args.port}/")
    serve(args.source, args.port, args.speed, host=args.host)


if __name__ == "__main__":
    main()
