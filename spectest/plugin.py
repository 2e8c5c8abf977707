"""pytest plugin for the conformance harness (registered as the ``spectest``
pytest11 entry point, so it must stay inert unless asked for)."""
