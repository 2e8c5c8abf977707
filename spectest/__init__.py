"""The conformance harness: runs the WebAssembly spec testsuite's ``.wast``
scripts through an engine and reports, proposal by proposal, what passes.

Pieces, in the order a script meets them:

* :mod:`spectest.suite` finds the testsuite and the scripts to run;
* :mod:`spectest.convert` turns a script into JSON + module files (wabt's
  ``wast2json``, else ``wasm-tools json-from-wast``), through a cache;
* :mod:`spectest.script` reads either JSON dialect into commands;
* :mod:`spectest.runner` replays the commands through an adapter
  (:mod:`spectest.adapters`), comparing values with :mod:`spectest.values`
  and outcomes with :mod:`spectest.outcomes`; the ``spectest`` host module is
  described in :mod:`spectest.host`;
* :mod:`spectest.report` and :mod:`spectest.gate` summarise a run and check
  it against ``conformance.yaml``;
* :mod:`spectest.plugin` (pytest, one item per script) and
  :mod:`spectest.cli` (``python -m spectest``) drive it all.
"""
