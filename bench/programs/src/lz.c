/* LZ77 compression round trip, in the byte format of the LZ4 family.
 *
 * Each round makes BLOCK bytes of pseudo-text, compresses them with a
 * hash-chain match finder (greedy, at most MAX_CHAIN candidates per
 * position), decompresses the result and checks it equals the input. The
 * checksum mixes the compressed size and an FNV-1a hash of the compressed
 * bytes of every round.
 *
 * Compressed format: a sequence of (token, literal count extension,
 * literals, offset, match length extension). The token's high nibble is
 * the literal count, its low nibble the match length minus MIN_MATCH; a
 * nibble of 15 is continued by bytes of 255 ended by a byte below 255.
 * The offset is two bytes, little-endian. The last sequence has literals
 * only. */
#include "program.h"

#define BLOCK 16384
#define HASH_BITS 12
#define MAX_CHAIN 16
#define MIN_MATCH 4
#define MAX_MATCH 272

static const char *const WORDS[32] = {
    "alpha", "beta", "gamma", "delta", "signal", "vector", "matrix", "stream",
    "packet", "buffer", "window", "symbol", "token", "record", "header", "footer",
    "the", "of", "and", "to", "in", "is", "for", "on",
    "compress", "expand", "literal", "match", "offset", "length", "history", "table"};

static uint8_t input[BLOCK];
static uint8_t packed[BLOCK + BLOCK / 255 + 64];
static uint8_t output[BLOCK];
static int32_t head[1 << HASH_BITS];
static int32_t chain[BLOCK];

/* Words, numbers, commas and line breaks drawn from the generator. */
static void make_text(uint8_t *out, uint32_t size, uint32_t seed) {
    uint32_t state = seed, used = 0;
    char digits[12];
    while (used < size) {
        uint32_t x = next_random(&state);
        const char *word = WORDS[x & 31];
        size_t len = strlen(word);
        if ((x >> 8) % 9 == 0) {
            /* a number: the decimal digits of x >> 20 */
            uint32_t v = x >> 20, count = 0;
            do {
                digits[count++] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            for (uint32_t i = 0; i < count && used < size; i++)
                out[used++] = (uint8_t)digits[count - 1 - i];
        } else {
            for (size_t i = 0; i < len && used < size; i++)
                out[used++] = (uint8_t)word[i];
        }
        if (used < size)
            out[used++] = (x >> 13) % 11 == 0 ? '\n' : (x >> 17) % 7 == 0 ? ',' : ' ';
    }
}

static uint32_t hash4(const uint8_t *p) {
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static uint32_t put_length(uint8_t *dst, uint32_t out, uint32_t rest) {
    while (rest >= 255) {
        dst[out++] = 255;
        rest -= 255;
    }
    dst[out++] = (uint8_t)rest;
    return out;
}

static uint32_t put_sequence(uint8_t *dst, uint32_t out, const uint8_t *literals, uint32_t lit,
                             uint32_t match, uint32_t offset) {
    uint32_t ml = match ? match - MIN_MATCH : 0;
    dst[out++] = (uint8_t)((lit < 15 ? lit : 15) << 4 | (ml < 15 ? ml : 15));
    if (lit >= 15)
        out = put_length(dst, out, lit - 15);
    memcpy(dst + out, literals, lit);
    out += lit;
    if (match) {
        dst[out++] = (uint8_t)(offset & 255);
        dst[out++] = (uint8_t)(offset >> 8);
        if (ml >= 15)
            out = put_length(dst, out, ml - 15);
    }
    return out;
}

static void insert(const uint8_t *src, int32_t pos) {
    uint32_t h = hash4(src + pos);
    chain[pos] = head[h];
    head[h] = pos;
}

static uint32_t compress(const uint8_t *src, uint32_t n, uint8_t *dst) {
    for (uint32_t i = 0; i < (1u << HASH_BITS); i++)
        head[i] = -1;
    uint32_t pos = 0, anchor = 0, out = 0;
    while (pos + MIN_MATCH <= n) {
        uint32_t limit = n - pos < MAX_MATCH ? n - pos : MAX_MATCH;
        uint32_t best_len = 0, best_off = 0;
        int32_t candidate = head[hash4(src + pos)];
        for (int tries = MAX_CHAIN; candidate >= 0 && tries > 0; tries--) {
            const uint8_t *a = src + candidate, *b = src + pos;
            if (a[best_len] == b[best_len]) {
                uint32_t len = 0;
                while (len < limit && a[len] == b[len])
                    len++;
                if (len > best_len) {
                    best_len = len;
                    best_off = pos - (uint32_t)candidate;
                    if (len == limit)
                        break;
                }
            }
            candidate = chain[candidate];
        }
        insert(src, (int32_t)pos);
        if (best_len >= MIN_MATCH) {
            out = put_sequence(dst, out, src + anchor, pos - anchor, best_len, best_off);
            for (uint32_t k = 1; k < best_len && pos + k + MIN_MATCH <= n; k++)
                insert(src, (int32_t)(pos + k));
            pos += best_len;
            anchor = pos;
        } else {
            pos++;
        }
    }
    return put_sequence(dst, out, src + anchor, n - anchor, 0, 0);
}

static uint32_t get_length(const uint8_t *src, uint32_t *ip, uint32_t size) {
    uint32_t total = 0, b;
    do {
        CHECK(*ip < size);
        b = src[(*ip)++];
        total += b;
    } while (b == 255);
    return total;
}

static uint32_t decompress(const uint8_t *src, uint32_t size, uint8_t *dst, uint32_t capacity) {
    uint32_t ip = 0, op = 0;
    while (ip < size) {
        uint32_t token = src[ip++];
        uint32_t lit = token >> 4;
        if (lit == 15)
            lit += get_length(src, &ip, size);
        CHECK(ip + lit <= size && op + lit <= capacity);
        memcpy(dst + op, src + ip, lit);
        ip += lit;
        op += lit;
        if (ip >= size)
            break;
        CHECK(ip + 2 <= size);
        uint32_t offset = (uint32_t)src[ip] | (uint32_t)src[ip + 1] << 8;
        ip += 2;
        uint32_t match = token & 15;
        if (match == 15)
            match += get_length(src, &ip, size);
        match += MIN_MATCH;
        CHECK(offset > 0 && offset <= op && op + match <= capacity);
        /* byte by byte: a match may overlap the bytes it produces */
        for (uint32_t k = 0; k < match; k++)
            dst[op + k] = dst[op + k - offset];
        op += match;
    }
    return op;
}

EXPORT_RUN uint32_t run(uint32_t rounds) {
    uint32_t checksum = 0;
    for (uint32_t round = 0; round < rounds; round++) {
        make_text(input, BLOCK, seed_for(round));
        uint32_t size = compress(input, BLOCK, packed);
        CHECK(size <= sizeof packed);
        CHECK(decompress(packed, size, output, BLOCK) == BLOCK);
        CHECK(memcmp(input, output, BLOCK) == 0);
        uint32_t h = 2166136261u;
        for (uint32_t i = 0; i < size; i++)
            h = (h ^ packed[i]) * 16777619u;
        checksum = (checksum * 31u + size) ^ h;
    }
    return checksum;
}
