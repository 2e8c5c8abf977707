/* Shared by the benchmark programs: how `run` is exported, the
 * self-check, and the pseudo-random generator every program draws its
 * input from.
 *
 * A program is one C file defining `run(n)`: n rounds of the same amount
 * of work on different inputs, returning a checksum of everything it
 * computed. Built for wasm32-wasi, `run` is the module's only export and
 * the module imports nothing; built natively (scripts/build-bench-programs
 * defines NATIVE_BUILD and adds native.c's main), it prints the checksums
 * the Wasm runs must return. Only fixed-width integer types and IEEE
 * double arithmetic (no libm but the exact sqrt) are used, so the results
 * are the same on both. */
#ifndef PROGRAM_H
#define PROGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef NATIVE_BUILD
#define EXPORT_RUN static
#else
#define EXPORT_RUN __attribute__((export_name("run")))
#endif

/* A failed self-check traps (Wasm `unreachable`), so no runner can return
 * a checksum for a wrong computation. */
#define CHECK(cond)                \
    do {                           \
        if (!(cond))               \
            __builtin_trap();      \
    } while (0)

/* xorshift32: the input generator of every program (the Python twins use
 * the same sequence). The state must not be zero. */
static inline uint32_t next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* A non-zero generator state for round `round` of a program. */
static inline uint32_t seed_for(uint32_t round) {
    return (round + 1u) * 2654435761u ^ 0x5bd1e995u;
}

#endif
