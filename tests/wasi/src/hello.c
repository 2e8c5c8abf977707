/* Prints to stdout and stderr, then returns 0 from main. */
#include <stdio.h>

int main(void) {
    printf("Hello, WASI!\n");
    for (int i = 1; i <= 3; i++) {
        printf("line %d of %d\n", i, 3);
    }
    /* A line longer than one stdio buffer, written in one go. */
    for (int i = 0; i < 5000; i++) {
        putchar('a' + i % 26);
    }
    putchar('\n');
    fprintf(stderr, "this goes to stderr\n");
    printf("bye\n");
    return 0;
}
