/* A bytecode interpreter: a stack machine with calls, locals, a heap of
 * words and 22 instructions, dispatched by a switch.
 *
 * The program is assembled in memory at each call of `run`: three guest
 * functions (a sieve of Eratosthenes over the heap, naive recursive
 * Fibonacci, and the total length of the Collatz sequences of 1..m). Each
 * round calls the three with arguments that vary by round and mixes their
 * results into the checksum. Arithmetic is 32-bit two's complement; the
 * guest programs never overflow and divide only non-negative numbers. */
#include "program.h"

enum {
    HALT, PUSH, LOAD, STORE, ADD, SUB, MUL, DIV, MOD, LT, EQ, JMP, JZ, JNZ,
    CALL, RET, GET, PUT, DUP, POP, ADDI, NEG
};

#define CODE_CAP 512
#define STACK_CAP 4096
#define FRAMES_CAP 256
#define HEAP_CAP 8192

typedef struct { uint32_t entry, args, locals; } function_t;
enum { F_SIEVE, F_FIB, F_COLLATZ, F_COUNT };

static int32_t code[CODE_CAP];
static uint32_t code_len;
static function_t functions[F_COUNT];
static int32_t heap[HEAP_CAP];

/* --- the assembler ------------------------------------------------------ */

/* Emits one instruction; returns the position of its operand (for patching). */
static uint32_t op(int32_t opcode, int32_t operand) {
    CHECK(code_len + 2 <= CODE_CAP);
    code[code_len++] = opcode;
    code[code_len++] = operand;
    return code_len - 1;
}

static uint32_t here(void) { return code_len; }
static void patch(uint32_t operand, uint32_t target) { code[operand] = (int32_t)target; }

static void define(uint32_t f, uint32_t args, uint32_t locals) {
    functions[f].entry = here();
    functions[f].args = args;
    functions[f].locals = locals;
}

static void assemble(void) {
    code_len = 0;
    op(HALT, 0); /* address 0: where the outermost call returns */

    /* sieve(limit): the number of primes below limit.
     * locals: 0 limit, 1 i, 2 j, 3 count */
    define(F_SIEVE, 1, 4);
    op(PUSH, 0); op(STORE, 1);
    uint32_t clear = here();
    op(LOAD, 1); op(LOAD, 0); op(LT, 0);
    uint32_t cleared = op(JZ, 0);
    op(LOAD, 1); op(PUSH, 0); op(PUT, 0);
    op(LOAD, 1); op(ADDI, 1); op(STORE, 1); op(JMP, (int32_t)clear);
    patch(cleared, here());
    op(PUSH, 0); op(STORE, 3); op(PUSH, 2); op(STORE, 1);
    uint32_t outer = here();
    op(LOAD, 1); op(LOAD, 0); op(LT, 0);
    uint32_t done = op(JZ, 0);
    op(LOAD, 1); op(GET, 0);
    uint32_t composite = op(JNZ, 0);
    op(LOAD, 3); op(ADDI, 1); op(STORE, 3);
    op(LOAD, 1); op(DUP, 0); op(MUL, 0); op(STORE, 2);
    uint32_t inner = here();
    op(LOAD, 2); op(LOAD, 0); op(LT, 0);
    uint32_t inner_done = op(JZ, 0);
    op(LOAD, 2); op(PUSH, 1); op(PUT, 0);
    op(LOAD, 2); op(LOAD, 1); op(ADD, 0); op(STORE, 2); op(JMP, (int32_t)inner);
    patch(composite, here());
    patch(inner_done, here());
    op(LOAD, 1); op(ADDI, 1); op(STORE, 1); op(JMP, (int32_t)outer);
    patch(done, here());
    op(LOAD, 3); op(RET, 0);

    /* fib(k): naive recursion. locals: 0 k */
    define(F_FIB, 1, 1);
    op(LOAD, 0); op(PUSH, 2); op(LT, 0);
    uint32_t big = op(JZ, 0);
    op(LOAD, 0); op(RET, 0);
    patch(big, here());
    op(LOAD, 0); op(ADDI, -1); op(CALL, F_FIB);
    op(LOAD, 0); op(PUSH, 2); op(SUB, 0); op(CALL, F_FIB);
    op(ADD, 0); op(RET, 0);

    /* collatz(m): the total number of steps from 1..m down to 1.
     * locals: 0 m, 1 s, 2 x, 3 total */
    define(F_COLLATZ, 1, 4);
    op(PUSH, 0); op(STORE, 3); op(PUSH, 1); op(STORE, 1);
    uint32_t start = here();
    op(LOAD, 0); op(LOAD, 1); op(LT, 0);
    uint32_t finished = op(JNZ, 0);
    op(LOAD, 1); op(STORE, 2);
    uint32_t step = here();
    op(LOAD, 2); op(PUSH, 1); op(EQ, 0);
    uint32_t reached = op(JNZ, 0);
    op(LOAD, 2); op(PUSH, 2); op(MOD, 0);
    uint32_t odd = op(JNZ, 0);
    op(LOAD, 2); op(PUSH, 2); op(DIV, 0); op(STORE, 2);
    uint32_t counted = op(JMP, 0);
    patch(odd, here());
    op(LOAD, 2); op(PUSH, 3); op(MUL, 0); op(ADDI, 1); op(STORE, 2);
    patch(counted, here());
    op(LOAD, 3); op(ADDI, 1); op(STORE, 3); op(JMP, (int32_t)step);
    patch(reached, here());
    op(LOAD, 1); op(ADDI, 1); op(STORE, 1); op(JMP, (int32_t)start);
    patch(finished, here());
    op(LOAD, 3); op(RET, 0);
}

/* --- the interpreter ---------------------------------------------------- */

static int32_t stack[STACK_CAP];
static uint32_t frames[FRAMES_CAP][2]; /* return address, base of the caller's locals */

static int32_t wrap(uint32_t v) { return (int32_t)v; }

static int32_t execute(uint32_t function, int32_t argument) {
    uint32_t sp = 0, depth = 0, pc, bp;
    stack[sp++] = argument;
    frames[depth][0] = 0;
    frames[depth][1] = 0;
    depth++;
    bp = sp - functions[function].args;
    for (uint32_t i = functions[function].args; i < functions[function].locals; i++)
        stack[sp++] = 0;
    pc = functions[function].entry;
    for (;;) {
        int32_t opcode = code[pc], operand = code[pc + 1];
        pc += 2;
        switch (opcode) {
        case HALT:
            CHECK(sp == 1);
            return stack[0];
        case PUSH:
            stack[sp++] = operand;
            break;
        case LOAD:
            stack[sp++] = stack[bp + (uint32_t)operand];
            break;
        case STORE:
            stack[bp + (uint32_t)operand] = stack[--sp];
            break;
        case ADD:
            sp--;
            stack[sp - 1] = wrap((uint32_t)stack[sp - 1] + (uint32_t)stack[sp]);
            break;
        case SUB:
            sp--;
            stack[sp - 1] = wrap((uint32_t)stack[sp - 1] - (uint32_t)stack[sp]);
            break;
        case MUL:
            sp--;
            stack[sp - 1] = wrap((uint32_t)stack[sp - 1] * (uint32_t)stack[sp]);
            break;
        case DIV:
        case MOD: {
            int32_t b = stack[--sp], a = stack[sp - 1];
            CHECK(b != 0 && !(a == INT32_MIN && b == -1));
            stack[sp - 1] = opcode == DIV ? a / b : a % b;
            break;
        }
        case LT:
            sp--;
            stack[sp - 1] = stack[sp - 1] < stack[sp];
            break;
        case EQ:
            sp--;
            stack[sp - 1] = stack[sp - 1] == stack[sp];
            break;
        case JMP:
            pc = (uint32_t)operand;
            break;
        case JZ:
            if (stack[--sp] == 0)
                pc = (uint32_t)operand;
            break;
        case JNZ:
            if (stack[--sp] != 0)
                pc = (uint32_t)operand;
            break;
        case CALL: {
            const function_t *f = &functions[operand];
            CHECK(depth < FRAMES_CAP && sp + f->locals + 8 < STACK_CAP);
            frames[depth][0] = pc;
            frames[depth][1] = bp;
            depth++;
            bp = sp - f->args;
            for (uint32_t i = f->args; i < f->locals; i++)
                stack[sp++] = 0;
            pc = f->entry;
            break;
        }
        case RET: {
            int32_t result = stack[sp - 1];
            sp = bp;
            depth--;
            pc = frames[depth][0];
            bp = frames[depth][1];
            stack[sp++] = result;
            break;
        }
        case GET: {
            uint32_t address = (uint32_t)stack[sp - 1];
            CHECK(address < HEAP_CAP);
            stack[sp - 1] = heap[address];
            break;
        }
        case PUT: {
            int32_t value = stack[--sp];
            uint32_t address = (uint32_t)stack[--sp];
            CHECK(address < HEAP_CAP);
            heap[address] = value;
            break;
        }
        case DUP:
            stack[sp] = stack[sp - 1];
            sp++;
            break;
        case POP:
            sp--;
            break;
        case ADDI:
            stack[sp - 1] = wrap((uint32_t)stack[sp - 1] + (uint32_t)operand);
            break;
        case NEG:
            stack[sp - 1] = wrap(0u - (uint32_t)stack[sp - 1]);
            break;
        default:
            CHECK(0);
        }
    }
}

EXPORT_RUN uint32_t run(uint32_t rounds) {
    assemble();
    uint32_t checksum = 0;
    for (uint32_t round = 0; round < rounds; round++) {
        uint32_t primes = (uint32_t)execute(F_SIEVE, (int32_t)(500 + round % 64));
        uint32_t fib = (uint32_t)execute(F_FIB, (int32_t)(12 + round % 3));
        uint32_t steps = (uint32_t)execute(F_COLLATZ, (int32_t)(40 + round % 32));
        checksum = (checksum * 31u + primes) * 31u + fib;
        checksum = (checksum ^ steps) * 2654435761u;
    }
    return checksum;
}
