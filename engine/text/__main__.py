"""``python -m engine.text FILE.wat [-o FILE.wasm]``: assemble a text
module into its binary encoding (to stdout when there is no ``-o``).
Exit status 1 with the parser's message for a malformed module; ``-``
reads the module from stdin."""

from __future__ import annotations

import argparse
import sys
from typing import Optional

from ..errors import MalformedError
from . import parse_module


def main(argv: Optional[list[str]] = None) -> int:
    """Run the command line; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m engine.text", description=__doc__.splitlines()[0])
    parser.add_argument("source", help="the text module (.wat), or - for stdin")
    parser.add_argument("-o", "--output", help="where to write the binary (default: stdout)")
    args = parser.parse_args(argv)
    try:
        if args.source == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.source, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        print(f"cannot read {args.source}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        binary = parse_module(data)
    except MalformedError as exc:
        print(f"{args.source}: malformed: {exc}", file=sys.stderr)
        return 1
    if args.output:
        try:
            with open(args.output, "wb") as fh:
                fh.write(binary)
        except OSError as exc:
            print(f"cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
    else:
        sys.stdout.buffer.write(binary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
