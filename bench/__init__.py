"""Benchmarks: Wasm kernels run by our engine, their plain-Python twins,
pywasm and wasmtime, timed in one run and checked against each other.

Run ``python -m bench --help`` from the repository root.
"""
