/* The native driver of a benchmark program: `prog N...` prints the result
 * of run(N) for each N, one per line, as the bit pattern the Wasm build's
 * `run` must return (unsigned decimal; an f64 as its 64 IEEE bits).
 * Built with -DPROGRAM='"name.c"' -DNATIVE_BUILD. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include PROGRAM

static uint64_t bits_u32(uint32_t v) { return v; }
static uint64_t bits_u64(uint64_t v) { return v; }
static uint64_t bits_f64(double v) {
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

#define BITS(v) _Generic((v), uint32_t: bits_u32, uint64_t: bits_u64, double: bits_f64)(v)

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        uint32_t n = (uint32_t)strtoul(argv[i], NULL, 10);
        printf("%" PRIu64 "\n", BITS(run(n)));
    }
    return 0;
}
