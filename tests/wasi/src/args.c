/* Prints its arguments and environment, then exits with a chosen code:
 * argv[1] when it is a number, else $EXIT_CODE, else 0. The exit happens
 * from a nested call, so it must unwind the whole Wasm stack. */
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

static void finish(int code, int depth) {
    if (depth > 0) {
        finish(code, depth - 1);
        printf("not reached\n");
        return;
    }
    printf("exiting with %d\n", code);
    exit(code);
}

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]=%s\n", i, argv[i]);
    }
    int n = 0;
    for (char **e = environ; *e; e++) {
        printf("env: %s\n", *e);
        n++;
    }
    printf("envc=%d\n", n);
    const char *greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");

    int code = 0;
    char *end;
    if (argc > 1) {
        long v = strtol(argv[1], &end, 10);
        if (*argv[1] && !*end) {
            code = (int)v;
        }
    } else if (getenv("EXIT_CODE")) {
        code = atoi(getenv("EXIT_CODE"));
    }
    if (code == 0) {
        printf("returning 0 from main\n");
        return 0;
    }
    finish(code, 5);
    return 99;
}
