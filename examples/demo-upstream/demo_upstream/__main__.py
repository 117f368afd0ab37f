"""python -m demo_upstream serve --port P | --version"""
import argparse
import sys

from . import __version__
from .server import serve


def main() -> int:
    parser = argparse.ArgumentParser(prog="demo_upstream")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the chat API")
    s.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
