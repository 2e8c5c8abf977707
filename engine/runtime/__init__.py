"""The runtime: store, instances, memories, tables, globals, functions, tags,
exceptions, GC objects, instantiation and linking."""
