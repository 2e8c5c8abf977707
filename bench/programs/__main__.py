"""``python -m bench.programs --workloads``: one line per program, its name
and every workload size (read by scripts/build-bench-programs)."""

from __future__ import annotations

import sys

from . import PROGRAM_NAMES, workloads


def main(argv: list[str] | None = None) -> int:
    """Print the workloads; the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["--workloads"]:
        print("usage: python -m bench.programs --workloads", file=sys.stderr)
        return 2
    for name in PROGRAM_NAMES:
        print(name, *workloads(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
