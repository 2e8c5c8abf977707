"""Exact scalar (and vector) numerics of WebAssembly."""
