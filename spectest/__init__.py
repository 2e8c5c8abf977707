"""The conformance harness: runs the WebAssembly spec testsuite's ``.wast``
scripts through one or several engines and reports, proposal by proposal,
what passes.

Pieces, in the order a script meets them:

* :mod:`spectest.suite` finds the testsuite and the scripts to run
  (:mod:`spectest.proposals` maps them to proposals, folders of extra suites
  included);
* :mod:`spectest.convert` turns a script into JSON + module files (wabt's
  ``wast2json``, else ``wasm-tools json-from-wast``, else the engine's own
  text reader, :mod:`spectest.textconvert`), through a cache;
* :mod:`spectest.script` reads either JSON dialect into commands;
* :mod:`spectest.runner` replays the commands through an adapter
  (:mod:`spectest.adapters`; the engines are listed in
  :mod:`spectest.engines`, and any engine joins through the process
  protocol of ``PROTOCOL.md``, :mod:`spectest.protocol` and
  :mod:`spectest.driver`), comparing values with :mod:`spectest.values` and
  outcomes with :mod:`spectest.outcomes`; the ``spectest`` host module is
  described in :mod:`spectest.host`;
* :mod:`spectest.report`, :mod:`spectest.junit`, :mod:`spectest.html` and
  :mod:`spectest.gate` summarise a run and check it against
  ``conformance.yaml``;
* :mod:`spectest.plugin` (pytest, one item per script and engine) and
  :mod:`spectest.cli` (``python -m spectest``, ``python -m spectest merge``)
  drive it all.
"""
