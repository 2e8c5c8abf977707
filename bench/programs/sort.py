"""Sorting 2,000 i32 per round in linear memory: quicksort and bottom-up merge sort, checked against each other.

The twin is sort.c's algorithm in plain Python over lists: the same
median-of-three Hoare quicksort with insertion sort below the cutoff, the
same bottom-up merge sort (not ``list.sort``).
"""

from __future__ import annotations

from ._common import M32, next_random, seed_for

RESULT = "i32"
FULL = (16,)
QUICK = (1,)
REDUCED = (1,)

N = 2000
CUTOFF = 12


def insertion_sort(a: list[int], lo: int, hi: int) -> None:
    for i in range(lo + 1, hi + 1):
        v = a[i]
        j = i - 1
        while j >= lo and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


def quicksort(a: list[int], lo: int, hi: int) -> None:
    while hi - lo >= CUTOFF:
        mid = lo + (hi - lo) // 2
        if a[mid] < a[lo]:
            a[mid], a[lo] = a[lo], a[mid]
        if a[hi] < a[lo]:
            a[hi], a[lo] = a[lo], a[hi]
        if a[hi] < a[mid]:
            a[hi], a[mid] = a[mid], a[hi]
        pivot = a[mid]
        i = lo - 1
        j = hi + 1
        while True:
            i += 1
            while a[i] < pivot:
                i += 1
            j -= 1
            while a[j] > pivot:
                j -= 1
            if i >= j:
                break
            a[i], a[j] = a[j], a[i]
        # a[lo..j] <= pivot <= a[j+1..hi]: recurse into the smaller part
        if j - lo < hi - j:
            quicksort(a, lo, j)
            lo = j + 1
        else:
            quicksort(a, j + 1, hi)
            hi = j
    insertion_sort(a, lo, hi)


def merge_sort(a: list[int]) -> list[int]:
    n = len(a)
    width = 1
    while width < n:
        tmp = []
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j = lo, mid
            while i < mid and j < hi:
                if a[j] < a[i]:
                    tmp.append(a[j])
                    j += 1
                else:
                    tmp.append(a[i])
                    i += 1
            tmp += a[i:mid]
            tmp += a[j:hi]
        a = tmp
        width *= 2
    return a


def run(rounds: int) -> int:
    """sort.c's run: the checksum of ``rounds`` sorted arrays."""
    checksum = 0
    for round_ in range(rounds):
        state = seed_for(round_)
        data = []
        for _ in range(N):
            state = next_random(state)
            data.append(state % 20000 - 10000)
        quick = data[:]
        quicksort(quick, 0, N - 1)
        merged = merge_sort(data)
        if quick != merged or any(quick[i - 1] > quick[i] for i in range(1, N)):
            raise AssertionError("the sorts disagree")
        total = sum(v * (i + 1) for i, v in enumerate(quick)) & M32
        checksum = (((checksum ^ total) * 2654435761) + round_) & M32
    return checksum
