"""Per-proposal feature sets: features.yaml and how the runner uses it."""

from __future__ import annotations

import pytest

from spectest.proposals import ProposalMapError, disabled_features, parse_features
from spectest.runner import ScriptRunner


def test_packaged_feature_sets():
    assert disabled_features("threads") == {"multi-memory", "reference-types", "memory64"}
    assert disabled_features("core") == frozenset()


def test_feature_sets_are_checked():
    assert parse_features("threads: [multi-memory]") == {"threads": frozenset({"multi-memory"})}
    with pytest.raises(ProposalMapError):
        parse_features("nonsense: [multi-memory]")
    with pytest.raises(ProposalMapError):
        parse_features("threads: [no-such-feature]")
    with pytest.raises(ProposalMapError):
        parse_features("threads: multi-memory")


class _Recorder:
    def __init__(self):
        self.calls = []

    def session(self, *args):
        self.calls.append(args)
        return object()


def test_the_runner_opens_sessions_with_the_script_feature_set():
    plain, restricted = _Recorder(), _Recorder()
    assert ScriptRunner(plain).session is not None
    assert ScriptRunner(restricted, None, frozenset({"multi-memory"})).session is not None
    assert plain.calls == [(frozenset(),)]
    assert restricted.calls == [(frozenset({"multi-memory"}),)]
