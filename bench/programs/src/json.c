/* A JSON reader and writer.
 *
 * Each round generates a JSON document of about DOC_TARGET bytes (an array
 * of records: nested objects and arrays, strings with escapes, integers,
 * decimals and exponents, literals, irregular whitespace), parses it into a
 * tree, hashes the tree, writes the tree back as compact JSON, parses that
 * and checks the second tree hashes the same. Numbers are kept exactly, as a
 * decimal mantissa and exponent. The checksum mixes the tree hash and the
 * length of the compact text of every round. */
#include "program.h"

#define DOC_TARGET 12000
#define DOC_CAP (DOC_TARGET + 65536)
#define MAX_NODES 16384
#define POOL_CAP 65536
#define MAX_DEPTH 4

enum { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

typedef struct {
    uint32_t type;
    uint32_t count;           /* children of an array or object */
    uint32_t first, last;     /* first and last child, 0 for none */
    uint32_t next;            /* next sibling, 0 for none */
    uint32_t key_off, key_len;  /* the member's key, in the pool */
    uint32_t str_off, str_len;  /* a string's bytes, in the pool */
    int64_t mantissa;
    int32_t exponent;
} node_t;

static const char *const WORDS[16] = {
    "id", "name", "value", "items", "price", "tags", "owner", "active",
    "north", "south", "delta", "omega", "kilo", "mega", "text", "note"};
static const char *const ESCAPES[8] = {
    "\\\"", "\\\\", "\\n", "\\t", "\\/", "\\u00e9", "\\u4e2d", "\\u0041"};

/* --- generating ------------------------------------------------------- */

static uint8_t doc[DOC_CAP];
static uint32_t doc_len;
static uint32_t gen_state;

static void emit(char c) {
    CHECK(doc_len < DOC_CAP);
    doc[doc_len++] = (uint8_t)c;
}

static void emit_text(const char *s) {
    while (*s)
        emit(*s++);
}

static void emit_uint(uint32_t v, uint32_t width) {
    char digits[12];
    uint32_t count = 0;
    do {
        digits[count++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || count < width);
    while (count)
        emit(digits[--count]);
}

static void emit_space(uint32_t x) {
    uint32_t k = x % 6;
    if (k == 0)
        emit(' ');
    else if (k == 1)
        emit_text("\n  ");
}

static void gen_string(void) {
    uint32_t x = next_random(&gen_state);
    emit('"');
    for (uint32_t piece = 0; piece <= x % 4; piece++) {
        uint32_t y = next_random(&gen_state);
        if (y % 5 == 0)
            emit_text(ESCAPES[(y >> 8) % 8]);
        else
            emit_text(WORDS[(y >> 8) % 16]);
        if ((y >> 16) % 3 == 0)
            emit(' ');
    }
    emit('"');
}

static void gen_number(void) {
    uint32_t x = next_random(&gen_state);
    if ((x >> 17) & 1)
        emit('-');
    emit_uint(x % 100000, 1);
    if ((x >> 20) % 3 == 0) {
        emit('.');
        emit_uint(next_random(&gen_state) % 10000, (x >> 24) % 4 + 1);
    }
    if ((x >> 27) % 5 == 0) {
        emit((x >> 26) & 1 ? 'e' : 'E');
        uint32_t s = (x >> 22) % 3;
        if (s)
            emit(s == 1 ? '-' : '+');
        emit_uint((x >> 8) % 21, 1);
    }
}

static void gen_value(uint32_t depth);

static void gen_object(uint32_t depth) {
    uint32_t members = next_random(&gen_state) % 5;
    emit('{');
    for (uint32_t i = 0; i < members; i++) {
        uint32_t y = next_random(&gen_state);
        if (i)
            emit(',');
        emit_space(y);
        emit('"');
        emit_text(WORDS[y % 16]);
        emit_uint((y >> 4) % 10, 1);
        emit('"');
        emit(':');
        emit_space(y >> 12);
        gen_value(depth + 1);
    }
    emit('}');
}

static void gen_array(uint32_t depth) {
    uint32_t items = next_random(&gen_state) % 6;
    emit('[');
    for (uint32_t i = 0; i < items; i++) {
        if (i) {
            emit(',');
            emit_space(next_random(&gen_state));
        }
        gen_value(depth + 1);
    }
    emit(']');
}

static void gen_value(uint32_t depth) {
    uint32_t x = next_random(&gen_state);
    uint32_t kind = depth >= MAX_DEPTH ? x % 4 : x % 8;
    if (kind <= 1)
        gen_number();
    else if (kind == 2)
        gen_string();
    else if (kind == 3)
        emit_text((x >> 8) % 3 == 0 ? "true" : (x >> 8) % 3 == 1 ? "false" : "null");
    else if (kind <= 5)
        gen_array(depth);
    else
        gen_object(depth);
}

static void generate(uint32_t seed) {
    gen_state = seed;
    doc_len = 0;
    emit('[');
    while (doc_len < DOC_TARGET) {
        if (doc_len > 1)
            emit_text(",\n");
        gen_object(1);
    }
    emit(']');
}

/* --- parsing ---------------------------------------------------------- */

static node_t nodes[MAX_NODES];
static uint32_t node_count;
static uint8_t pool[POOL_CAP];
static uint32_t pool_len;
static const uint8_t *text;
static uint32_t text_len, at;

static uint32_t new_node(uint32_t type) {
    CHECK(node_count < MAX_NODES);
    node_t *n = &nodes[node_count];
    memset(n, 0, sizeof *n);
    n->type = type;
    return node_count++;
}

static uint32_t peek(void) { return at < text_len ? text[at] : 0; }

static void skip_space(void) {
    while (at < text_len && (text[at] == ' ' || text[at] == '\n' || text[at] == '\t' || text[at] == '\r'))
        at++;
}

static void expect(uint8_t c) {
    CHECK(peek() == c);
    at++;
}

static void put_pool(uint32_t b) {
    CHECK(pool_len < POOL_CAP);
    pool[pool_len++] = (uint8_t)b;
}

static uint32_t hex_digit(uint32_t c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    CHECK(c >= 'A' && c <= 'F');
    return c - 'A' + 10;
}

/* Decodes a string into the pool; returns its offset (length: pool_len - offset). */
static uint32_t parse_string(void) {
    expect('"');
    uint32_t start = pool_len;
    for (;;) {
        CHECK(at < text_len);
        uint32_t c = text[at++];
        if (c == '"')
            return start;
        if (c != '\\') {
            CHECK(c >= 0x20);
            put_pool(c);
            continue;
        }
        CHECK(at < text_len);
        c = text[at++];
        switch (c) {
        case '"': case '\\': case '/': put_pool(c); break;
        case 'b': put_pool('\b'); break;
        case 'f': put_pool('\f'); break;
        case 'n': put_pool('\n'); break;
        case 'r': put_pool('\r'); break;
        case 't': put_pool('\t'); break;
        case 'u': {
            CHECK(at + 4 <= text_len);
            uint32_t cp = 0;
            for (int i = 0; i < 4; i++)
                cp = cp << 4 | hex_digit(text[at++]);
            CHECK(cp < 0xd800 || cp > 0xdfff);
            if (cp < 0x80) {
                put_pool(cp);
            } else if (cp < 0x800) {
                put_pool(0xc0 | cp >> 6);
                put_pool(0x80 | (cp & 63));
            } else {
                put_pool(0xe0 | cp >> 12);
                put_pool(0x80 | (cp >> 6 & 63));
                put_pool(0x80 | (cp & 63));
            }
            break;
        }
        default:
            CHECK(0);
        }
    }
}

static uint32_t is_digit(uint32_t c) { return c >= '0' && c <= '9'; }

static void parse_number(node_t *n) {
    int64_t mantissa = 0;
    int32_t exponent = 0, digits = 0;
    int negative = 0;
    if (peek() == '-') {
        negative = 1;
        at++;
    }
    CHECK(is_digit(peek()));
    if (peek() == '0') {
        at++;
    } else {
        while (is_digit(peek())) {
            CHECK(++digits <= 18);
            mantissa = mantissa * 10 + (text[at++] - '0');
        }
    }
    if (peek() == '.') {
        at++;
        CHECK(is_digit(peek()));
        while (is_digit(peek())) {
            CHECK(++digits <= 18);
            mantissa = mantissa * 10 + (text[at++] - '0');
            exponent--;
        }
    }
    if (peek() == 'e' || peek() == 'E') {
        at++;
        int exp_negative = 0;
        if (peek() == '-' || peek() == '+')
            exp_negative = text[at++] == '-';
        CHECK(is_digit(peek()));
        int32_t e = 0;
        while (is_digit(peek())) {
            e = e * 10 + (text[at++] - '0');
            CHECK(e < 100000);
        }
        exponent += exp_negative ? -e : e;
    }
    n->mantissa = negative ? -mantissa : mantissa;
    n->exponent = exponent;
}

static void literal(const char *word) {
    while (*word)
        expect((uint8_t)*word++);
}

static uint32_t parse_value(uint32_t depth);

static void add_child(uint32_t parent, uint32_t child) {
    node_t *p = &nodes[parent];
    if (p->count++ == 0)
        p->first = child;
    else
        nodes[p->last].next = child;
    p->last = child;
}

static uint32_t parse_value(uint32_t depth) {
    CHECK(depth < 64);
    skip_space();
    uint32_t c = peek(), index;
    if (c == '{') {
        at++;
        index = new_node(J_OBJECT);
        skip_space();
        if (peek() == '}') {
            at++;
            return index;
        }
        for (;;) {
            skip_space();
            uint32_t key = parse_string();
            uint32_t key_len = pool_len - key;
            skip_space();
            expect(':');
            uint32_t child = parse_value(depth + 1);
            nodes[child].key_off = key;
            nodes[child].key_len = key_len;
            add_child(index, child);
            skip_space();
            if (peek() == ',') {
                at++;
                continue;
            }
            expect('}');
            return index;
        }
    }
    if (c == '[') {
        at++;
        index = new_node(J_ARRAY);
        skip_space();
        if (peek() == ']') {
            at++;
            return index;
        }
        for (;;) {
            add_child(index, parse_value(depth + 1));
            skip_space();
            if (peek() == ',') {
                at++;
                continue;
            }
            expect(']');
            return index;
        }
    }
    if (c == '"') {
        index = new_node(J_STRING);
        uint32_t start = parse_string();
        nodes[index].str_off = start;
        nodes[index].str_len = pool_len - start;
        return index;
    }
    if (c == 't') {
        literal("true");
        return new_node(J_TRUE);
    }
    if (c == 'f') {
        literal("false");
        return new_node(J_FALSE);
    }
    if (c == 'n') {
        literal("null");
        return new_node(J_NULL);
    }
    index = new_node(J_NUMBER);
    parse_number(&nodes[index]);
    return index;
}

static uint32_t parse(const uint8_t *src, uint32_t len) {
    text = src;
    text_len = len;
    at = 0;
    node_count = 1; /* node 0 stands for "none" */
    pool_len = 0;
    uint32_t root = parse_value(0);
    skip_space();
    CHECK(at == text_len);
    return root;
}

/* --- hashing and writing ---------------------------------------------- */

static uint32_t mix(uint32_t h, uint32_t v) {
    h = (h ^ v) * 0x9e3779b1u;
    return h ^ h >> 16;
}

static uint32_t hash_bytes(uint32_t off, uint32_t len) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ pool[off + i]) * 16777619u;
    return h;
}

static uint32_t hash_tree(uint32_t index) {
    const node_t *n = &nodes[index];
    uint32_t h = mix(0x811c9dc5u, n->type);
    switch (n->type) {
    case J_NUMBER:
        h = mix(h, (uint32_t)(uint64_t)n->mantissa);
        h = mix(h, (uint32_t)((uint64_t)n->mantissa >> 32));
        h = mix(h, (uint32_t)n->exponent);
        break;
    case J_STRING:
        h = mix(h, hash_bytes(n->str_off, n->str_len));
        break;
    case J_ARRAY:
    case J_OBJECT:
        h = mix(h, n->count);
        for (uint32_t child = n->first; child; child = nodes[child].next) {
            if (n->type == J_OBJECT)
                h = mix(h, hash_bytes(nodes[child].key_off, nodes[child].key_len));
            h = mix(h, hash_tree(child));
        }
        break;
    }
    return h;
}

static uint8_t compact[DOC_CAP];
static uint32_t compact_len;

static void out(uint32_t c) {
    CHECK(compact_len < DOC_CAP);
    compact[compact_len++] = (uint8_t)c;
}

static void write_int(int64_t v) {
    char digits[24];
    uint32_t count = 0;
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        out('-');
        u = 0 - u;
    }
    do {
        digits[count++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (count)
        out((uint8_t)digits[--count]);
}

static void write_string(uint32_t off, uint32_t len) {
    static const char HEX[] = "0123456789abcdef";
    out('"');
    for (uint32_t i = 0; i < len; i++) {
        uint32_t b = pool[off + i];
        if (b == '"' || b == '\\') {
            out('\\');
            out(b);
        } else if (b < 0x20) {
            out('\\');
            out('u');
            out('0');
            out('0');
            out((uint8_t)HEX[b >> 4]);
            out((uint8_t)HEX[b & 15]);
        } else {
            out(b);
        }
    }
    out('"');
}

static void write_tree(uint32_t index) {
    const node_t *n = &nodes[index];
    switch (n->type) {
    case J_NULL: out('n'); out('u'); out('l'); out('l'); break;
    case J_TRUE: out('t'); out('r'); out('u'); out('e'); break;
    case J_FALSE: out('f'); out('a'); out('l'); out('s'); out('e'); break;
    case J_NUMBER:
        write_int(n->mantissa);
        if (n->exponent) {
            out('e');
            write_int(n->exponent);
        }
        break;
    case J_STRING:
        write_string(n->str_off, n->str_len);
        break;
    default:
        out(n->type == J_ARRAY ? '[' : '{');
        for (uint32_t child = n->first; child; child = nodes[child].next) {
            if (child != n->first)
                out(',');
            if (n->type == J_OBJECT) {
                write_string(nodes[child].key_off, nodes[child].key_len);
                out(':');
            }
            write_tree(child);
        }
        out(n->type == J_ARRAY ? ']' : '}');
    }
}

EXPORT_RUN uint32_t run(uint32_t rounds) {
    uint32_t checksum = 0;
    for (uint32_t round = 0; round < rounds; round++) {
        generate(seed_for(round));
        uint32_t first = hash_tree(parse(doc, doc_len));
        compact_len = 0;
        write_tree(1);
        uint32_t second = hash_tree(parse(compact, compact_len));
        CHECK(first == second);
        checksum = mix(checksum, first) ^ compact_len;
    }
    return checksum;
}
