/* Matrix products in double precision over linear memory.
 *
 * Each round fills two M x M matrices from the generator (k / 7 for
 * integers k between -1000 and 1000, so nearly every entry is rounded),
 * multiplies them in i-k-j order and adds every entry of the product, in
 * row order, to the result. Every operation is a correctly rounded IEEE
 * operation in a fixed order, so the sum is the same to the bit wherever
 * IEEE doubles are. */
#include "program.h"

#define M 40

static double a[M * M], b[M * M], c[M * M];

static void fill(double *m, uint32_t *state) {
    for (int i = 0; i < M * M; i++)
        m[i] = (double)((int32_t)(next_random(state) % 2001) - 1000) / 7.0;
}

static void multiply(void) {
    for (int i = 0; i < M * M; i++)
        c[i] = 0.0;
    for (int i = 0; i < M; i++)
        for (int k = 0; k < M; k++) {
            double aik = a[i * M + k];
            for (int j = 0; j < M; j++)
                c[i * M + j] += aik * b[k * M + j];
        }
}

EXPORT_RUN double run(uint32_t rounds) {
    double total = 0.0;
    for (uint32_t round = 0; round < rounds; round++) {
        uint32_t state = seed_for(round);
        fill(a, &state);
        fill(b, &state);
        multiply();
        for (int i = 0; i < M * M; i++)
            total += c[i];
    }
    return total;
}
