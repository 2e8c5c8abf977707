"""GC: build and walk complete binary trees (struct allocation and traversal)."""

from __future__ import annotations

RESULT = "i32"
FULL = (14, 4)
QUICK = (4, 2)
#: pywasm has no GC support
PYWASM = False


class Node:
    """A tree node, as a Python programmer would write it."""

    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left = left
        self.right = right


def make(depth: int) -> Node:
    if depth == 0:
        return Node(None, None)
    return Node(make(depth - 1), make(depth - 1))


def count(t: Node) -> int:
    if t.left is None:
        return 1
    return 1 + count(t.left) + count(t.right)


def run(depth: int, iters: int) -> int:
    """iters times: the node count of a tree of the given depth."""
    total = 0
    for _ in range(iters):
        total += count(make(depth))
    return total & 0xFFFFFFFF
