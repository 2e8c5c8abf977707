"""proposals.yaml maps every script of the suite to exactly one known proposal."""

import os
from pathlib import Path

import pytest

from spectest.proposals import (OTHER, PROPOSALS, ProposalMapError, load_map, parse_map,
                                proposal_of)


def test_map_uses_known_names_only():
    assert set(load_map().values()) <= set(PROPOSALS)


def test_every_suite_file_has_exactly_one_proposal():
    suite = os.environ.get("WASM_TESTSUITE")
    if not suite or not Path(suite).is_dir():
        pytest.skip("WASM_TESTSUITE is not set: cannot list the suite's files")
    root = Path(suite)
    files = {p.relative_to(root).as_posix() for p in root.rglob("*.wast")}
    assert files, f"no .wast files under {suite}"
    mapping = load_map()
    missing = sorted(files - set(mapping))
    stale = sorted(set(mapping) - files)
    assert not missing, f"files without a proposal: {missing}"
    assert not stale, f"proposals.yaml lists files the suite does not have: {stale}"


def test_duplicates_and_unknown_names_are_rejected():
    with pytest.raises(ProposalMapError, match="listed under both"):
        parse_map("core: [a.wast]\nsimd: [a.wast]\n")
    with pytest.raises(ProposalMapError, match="unknown proposal"):
        parse_map("made-up: [a.wast]\n")


def test_scripts_outside_the_map_or_the_suite_are_other():
    assert proposal_of("simd_lane.wast") == "simd"
    assert proposal_of("legacy/throw.wast") == "exception-handling-legacy"
    assert proposal_of("my/own.wast") == OTHER
    assert proposal_of("simd_lane.wast", in_suite=False) == OTHER
