/* ChaCha20 (RFC 8439) encryption round trip.
 *
 * `run` first checks the block function against the test vector of RFC 8439
 * section 2.3.2. Each round then draws a key, a nonce and BLOCK bytes of
 * plaintext from the generator, encrypts them, decrypts the ciphertext and
 * checks it equals the plaintext. The checksum is an FNV-1a hash of every
 * round's ciphertext, taken a 32-bit little-endian word at a time. */
#include "program.h"

#define BLOCK 8192

static uint32_t rotl(uint32_t x, int n) { return x << n | x >> (32 - n); }

#define QUARTER(a, b, c, d)                \
    do {                                   \
        a += b; d ^= a; d = rotl(d, 16);   \
        c += d; b ^= c; b = rotl(b, 12);   \
        a += b; d ^= a; d = rotl(d, 8);    \
        c += d; b ^= c; b = rotl(b, 7);    \
    } while (0)

static uint32_t load32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One 64-byte block of key stream, as 16 little-endian words. */
static void chacha_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                         uint32_t out[16]) {
    uint32_t s[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
                      key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
                      counter, nonce[0], nonce[1], nonce[2]};
    uint32_t x[16];
    memcpy(x, s, sizeof x);
    for (int i = 0; i < 10; i++) {
        QUARTER(x[0], x[4], x[8], x[12]);
        QUARTER(x[1], x[5], x[9], x[13]);
        QUARTER(x[2], x[6], x[10], x[14]);
        QUARTER(x[3], x[7], x[11], x[15]);
        QUARTER(x[0], x[5], x[10], x[15]);
        QUARTER(x[1], x[6], x[11], x[12]);
        QUARTER(x[2], x[7], x[8], x[13]);
        QUARTER(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        out[i] = x[i] + s[i];
}

/* dst = src XOR the key stream from block `counter` on. */
static void chacha_xor(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                       const uint8_t *src, uint8_t *dst, uint32_t len) {
    uint32_t stream[16];
    for (uint32_t at = 0; at < len; at += 64, counter++) {
        chacha_block(key, counter, nonce, stream);
        uint32_t n = len - at < 64 ? len - at : 64;
        for (uint32_t i = 0; i < n; i++)
            dst[at + i] = src[at + i] ^ (uint8_t)(stream[i / 4] >> (8 * (i % 4)));
    }
}

static void self_test(void) {
    /* RFC 8439, 2.3.2: key 00 01 .. 1f, nonce 00 00 00 09 00 00 00 4a 00 00 00 00,
     * block count 1; the first and last words of the serialised block. */
    uint32_t key[8], nonce[3] = {0x09000000, 0x4a000000, 0}, out[16];
    uint8_t bytes[32];
    for (int i = 0; i < 32; i++)
        bytes[i] = (uint8_t)i;
    for (int i = 0; i < 8; i++)
        key[i] = load32(bytes + 4 * i);
    chacha_block(key, 1, nonce, out);
    CHECK(out[0] == 0xe4e7f110 && out[1] == 0x15593bd1 && out[15] == 0x4e3c50a2);
}

static uint8_t plain[BLOCK], cipher[BLOCK], back[BLOCK];

EXPORT_RUN uint32_t run(uint32_t rounds) {
    self_test();
    uint32_t h = 2166136261u;
    for (uint32_t round = 0; round < rounds; round++) {
        uint32_t state = seed_for(round), key[8], nonce[3];
        for (int i = 0; i < 8; i++)
            key[i] = next_random(&state);
        for (int i = 0; i < 3; i++)
            nonce[i] = next_random(&state);
        for (uint32_t i = 0; i < BLOCK; i++)
            plain[i] = (uint8_t)(next_random(&state) >> 24);
        chacha_xor(key, 1, nonce, plain, cipher, BLOCK);
        chacha_xor(key, 1, nonce, cipher, back, BLOCK);
        CHECK(memcmp(plain, back, BLOCK) == 0);
        for (uint32_t i = 0; i < BLOCK; i += 4)
            h = (h ^ load32(cipher + i)) * 16777619u;
    }
    return h;
}
