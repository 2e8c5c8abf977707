/* Sorting an array of 32-bit integers in linear memory, two ways.
 *
 * Each round fills N integers (many repeated) from the generator, sorts
 * one copy with quicksort (median-of-three pivot, Hoare partition,
 * recursion on the smaller side, insertion sort below CUTOFF elements) and
 * another with a bottom-up merge sort, and checks the two agree and are in
 * order. The checksum mixes the sum of a[i] * (i + 1) of every round. */
#include "program.h"

#define N 2000
#define CUTOFF 12

static int32_t quick[N], merged[N], scratch[N];

static void insertion_sort(int32_t *a, int32_t lo, int32_t hi) {
    for (int32_t i = lo + 1; i <= hi; i++) {
        int32_t v = a[i], j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(int32_t *a, int32_t i, int32_t j) {
    int32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quicksort(int32_t *a, int32_t lo, int32_t hi) {
    while (hi - lo >= CUTOFF) {
        int32_t mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo])
            swap(a, mid, lo);
        if (a[hi] < a[lo])
            swap(a, hi, lo);
        if (a[hi] < a[mid])
            swap(a, hi, mid);
        int32_t pivot = a[mid], i = lo - 1, j = hi + 1;
        for (;;) {
            do
                i++;
            while (a[i] < pivot);
            do
                j--;
            while (a[j] > pivot);
            if (i >= j)
                break;
            swap(a, i, j);
        }
        /* a[lo..j] <= pivot <= a[j+1..hi]: recurse into the smaller part */
        if (j - lo < hi - j) {
            quicksort(a, lo, j);
            lo = j + 1;
        } else {
            quicksort(a, j + 1, hi);
            hi = j;
        }
    }
    insertion_sort(a, lo, hi);
}

static void merge_sort(int32_t *a, int32_t *tmp, int32_t n) {
    for (int32_t width = 1; width < n; width *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * width) {
            int32_t mid = lo + width < n ? lo + width : n;
            int32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, (size_t)n * sizeof *a);
    }
}

EXPORT_RUN uint32_t run(uint32_t rounds) {
    uint32_t checksum = 0;
    for (uint32_t round = 0; round < rounds; round++) {
        uint32_t state = seed_for(round);
        for (int32_t i = 0; i < N; i++)
            quick[i] = merged[i] = (int32_t)(next_random(&state) % 20000) - 10000;
        quicksort(quick, 0, N - 1);
        merge_sort(merged, scratch, N);
        uint32_t sum = 0;
        for (int32_t i = 0; i < N; i++) {
            CHECK(quick[i] == merged[i]);
            CHECK(i == 0 || quick[i - 1] <= quick[i]);
            sum += (uint32_t)quick[i] * (uint32_t)(i + 1);
        }
        checksum = (checksum ^ sum) * 2654435761u + round;
    }
    return checksum;
}
