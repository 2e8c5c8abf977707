"""The proposal of each script (``proposals.yaml``, shipped in the package)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Optional

import yaml

__all__ = ["PROPOSALS", "OTHER", "ProposalMapError", "disabled_features", "load_map",
           "proposal_of"]

#: Known proposal names, in report order.
PROPOSALS = (
    "core", "mutable-global", "sign-extension-ops", "nontrapping-float-to-int-conversions",
    "multi-value", "bulk-memory-operations", "reference-types", "simd", "relaxed-simd",
    "tail-call", "extended-const", "multi-memory", "memory64", "function-references", "gc",
    "exception-handling", "exception-handling-legacy", "threads", "wide-arithmetic",
    "custom-page-sizes", "custom-descriptors", "annotations", "branch-hinting",
    # proposals whose tests live in their own repositories only: scripts in
    # a folder of that name (outside the testsuite) belong to them
    "stack-switching", "compact-import-section", "shared-everything-threads",
    "rounding-mode-control",
)

#: Where scripts outside the map go.
OTHER = "other"


class ProposalMapError(Exception):
    """proposals.yaml is malformed (unknown name, file listed twice, ...)."""


def parse_map(text: str) -> dict[str, str]:
    """relpath -> proposal from the YAML text (proposal -> list of files)."""
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ProposalMapError("proposals.yaml must map proposal names to file lists")
    out: dict[str, str] = {}
    for proposal, files in data.items():
        if proposal not in PROPOSALS:
            raise ProposalMapError(f"unknown proposal {proposal!r} in proposals.yaml")
        if not isinstance(files, list):
            raise ProposalMapError(f"{proposal}: expected a list of files")
        for f in files:
            if not isinstance(f, str):
                raise ProposalMapError(f"{proposal}: {f!r} is not a file name")
            if f in out:
                raise ProposalMapError(f"{f} is listed under both {out[f]} and {proposal}")
            out[f] = proposal
    return out


@lru_cache(maxsize=1)
def load_map() -> dict[str, str]:
    """The packaged map, read once per process."""
    text = resources.files("spectest").joinpath("proposals.yaml").read_text(encoding="utf-8")
    return parse_map(text)


def proposal_of(relpath: str, in_suite: bool = True, mapping: Optional[dict[str, str]] = None,
                root: Optional[Path] = None) -> str:
    """The proposal of a script. In the suite: by the map (``other`` when
    it is not listed). Outside: by the first folder on its way, from
    ``root`` (the folder it was found under) down, that is named after a
    proposal (``tests/threads/LB.wast`` is a threads script); else ``other``."""
    if in_suite:
        return (mapping if mapping is not None else load_map()).get(relpath, OTHER)
    folders = list(PurePosixPath(relpath).parts[:-1])
    if root is not None:
        folders.insert(0, root.name)
    return next((f for f in folders if f in PROPOSALS), OTHER)


def report_order(names: set[str]) -> list[str]:
    """Proposal names in table order: the known ones first, then the rest."""
    known = [p for p in PROPOSALS if p in names]
    return known + sorted(n for n in names if n not in PROPOSALS)


def parse_features(text: str) -> dict[str, frozenset[str]]:
    """proposal -> the features its scripts run without (features.yaml)."""
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ProposalMapError("features.yaml must map proposal names to feature lists")
    out: dict[str, frozenset[str]] = {}
    for proposal, names in data.items():
        if proposal not in PROPOSALS:
            raise ProposalMapError(f"unknown proposal {proposal!r} in features.yaml")
        if not isinstance(names, list) or not all(n in PROPOSALS for n in names):
            raise ProposalMapError(f"{proposal}: expected a list of proposal names")
        out[proposal] = frozenset(names)
    return out


@lru_cache(maxsize=1)
def _load_features() -> dict[str, frozenset[str]]:
    text = resources.files("spectest").joinpath("features.yaml").read_text(encoding="utf-8")
    return parse_features(text)


def disabled_features(proposal: str) -> frozenset[str]:
    """The features switched off while the scripts of ``proposal`` run."""
    return _load_features().get(proposal, frozenset())
