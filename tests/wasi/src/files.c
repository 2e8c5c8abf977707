/* Reads and writes files in the preopened directory /sandbox, and checks
 * that nothing outside it can be reached.
 *
 * The host prepares /sandbox/input.txt, the symlinks /sandbox/escape_rel
 * (-> ../outside.txt) and /sandbox/escape_abs (-> an absolute host path),
 * and outside.txt next to the sandbox. The program leaves /sandbox/kept.txt
 * behind and removes everything else it made. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errname(int e) {
    switch (e) {
    case 0: return "OK";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ELOOP: return "ELOOP";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    default: return "OTHER";
    }
}

static void report(const char *what, int ok) {
    printf("%-34s %s\n", what, ok ? "OK" : errname(errno));
}

static void try_open(const char *what, const char *path, int flags) {
    errno = 0;
    int fd = open(path, flags, 0644);
    report(what, fd >= 0);
    if (fd >= 0) {
        close(fd);
    }
}

static void cat(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("cannot open %s: %s\n", path, errname(errno));
        return;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        printf("  | %s", line);
    }
    fclose(f);
}

static int compare(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s: %s\n", path, errname(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        const char *kind = e->d_type == DT_DIR ? "/" : e->d_type == DT_LNK ? "@" : "";
        char *name = malloc(strlen(e->d_name) + 2);
        sprintf(name, "%s%s", e->d_name, kind);
        names[n++] = name;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], compare);
    printf("listing of %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(void) {
    struct stat st;
    char buf[64];

    printf("-- reading a file the host made\n");
    cat("/sandbox/input.txt");

    printf("-- writing\n");
    report("mkdir temp", mkdir("/sandbox/temp", 0755) == 0);
    report("mkdir temp again", mkdir("/sandbox/temp", 0755) == 0);
    FILE *f = fopen("/sandbox/temp/hello.txt", "w");
    report("create temp/hello.txt", f != NULL);
    for (int i = 0; i < 3; i++) {
        fprintf(f, "Hello, file %d!\n", i);
    }
    fclose(f);
    report("stat temp/hello.txt", stat("/sandbox/temp/hello.txt", &st) == 0);
    printf("size %lld, regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    cat("/sandbox/temp/hello.txt");

    printf("-- seeking\n");
    f = fopen("/sandbox/temp/hello.txt", "r");
    fseek(f, 7, SEEK_SET);
    size_t got = fread(buf, 1, 6, f);
    buf[got] = 0;
    printf("at 7: '%s', now at %ld\n", buf, ftell(f));
    fseek(f, -3, SEEK_END);
    got = fread(buf, 1, 10, f);
    buf[got] = 0;
    printf("last 3: '%.2s' + newline %d\n", buf, buf[2] == '\n');
    fclose(f);

    int fd = open("/sandbox/temp/hello.txt", O_RDWR);
    report("open O_RDWR", fd >= 0);
    printf("lseek end -> %lld\n", (long long)lseek(fd, 0, SEEK_END));
    printf("pread at 0: %zd bytes\n", pread(fd, buf, 5, 0));
    printf("pread text: %.5s\n", buf);
    report("ftruncate to 15", ftruncate(fd, 15) == 0);
    fstat(fd, &st);
    printf("size now %lld\n", (long long)st.st_size);
    close(fd);

    f = fopen("/sandbox/temp/hello.txt", "a");
    fputs("appended\n", f);
    fclose(f);
    cat("/sandbox/temp/hello.txt");

    printf("-- names\n");
    report("rename to renamed.txt",
           rename("/sandbox/temp/hello.txt", "/sandbox/temp/renamed.txt") == 0);
    errno = 0;
    report("stat old name", stat("/sandbox/temp/hello.txt", &st) == 0);
    report("mkdir temp/sub", mkdir("/sandbox/temp/sub", 0755) == 0);
    try_open("create temp/sub/x.txt", "/sandbox/temp/sub/x.txt", O_CREAT | O_WRONLY);
    try_open("O_EXCL on existing", "/sandbox/temp/sub/x.txt", O_CREAT | O_EXCL | O_WRONLY);
    try_open("open missing", "/sandbox/temp/nothing.txt", O_RDONLY);
    try_open("dir with O_WRONLY", "/sandbox/temp/sub", O_WRONLY);
    try_open("file/ as a directory", "/sandbox/temp/renamed.txt/", O_RDONLY);
    report("symlink link -> renamed.txt", symlink("renamed.txt", "/sandbox/temp/link") == 0);
    ssize_t n = readlink("/sandbox/temp/link", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("readlink: %s\n", buf);
    report("lstat link", lstat("/sandbox/temp/link", &st) == 0 && S_ISLNK(st.st_mode));
    report("stat through link", stat("/sandbox/temp/link", &st) == 0 && S_ISREG(st.st_mode));
    try_open("O_NOFOLLOW on link", "/sandbox/temp/link", O_RDONLY | O_NOFOLLOW);
    printf("through the link:\n");
    cat("/sandbox/temp/link");
    report("hard link", link("/sandbox/temp/renamed.txt", "/sandbox/temp/hard.txt") == 0);
    stat("/sandbox/temp/renamed.txt", &st);
    printf("nlink %d\n", (int)st.st_nlink);
    list("/sandbox/temp");
    report("rmdir non-empty temp", rmdir("/sandbox/temp") == 0);
    report("unlink a directory", unlink("/sandbox/temp/sub") == 0);
    report("inside via ..", stat("/sandbox/temp/sub/../renamed.txt", &st) == 0);

    printf("-- escapes\n");
    try_open("../outside.txt", "/sandbox/../outside.txt", O_RDONLY);
    try_open("temp/../../outside.txt", "/sandbox/temp/../../outside.txt", O_RDONLY);
    try_open("absolute /etc/passwd", "/etc/passwd", O_RDONLY);
    try_open("host symlink escape_rel", "/sandbox/escape_rel", O_RDONLY);
    try_open("host symlink escape_abs", "/sandbox/escape_abs", O_RDONLY);
    try_open("create through escape_rel", "/sandbox/escape_rel", O_WRONLY | O_CREAT | O_TRUNC);
    report("stat through escape_rel", stat("/sandbox/escape_rel", &st) == 0);
    report("lstat escape_rel itself", lstat("/sandbox/escape_rel", &st) == 0);
    report("symlink temp/out -> ../../outside.txt",
           symlink("../../outside.txt", "/sandbox/temp/out") == 0);
    try_open("open temp/out", "/sandbox/temp/out", O_RDONLY);
    report("symlink temp/up -> ..", symlink("..", "/sandbox/temp/up") == 0);
    report("stat temp/up/input.txt", stat("/sandbox/temp/up/input.txt", &st) == 0);
    try_open("open temp/up/../outside.txt", "/sandbox/temp/up/../outside.txt", O_RDONLY);
    report("mkdir ../made", mkdir("/sandbox/../made", 0755) == 0);
    report("rename out of the sandbox",
           rename("/sandbox/temp/renamed.txt", "/sandbox/../stolen.txt") == 0);
    report("symlink to an absolute path", symlink("/etc/passwd", "/sandbox/temp/abs") == 0);
    report("loop a -> b -> a", symlink("loop_b", "/sandbox/temp/loop_a") == 0 &&
                                    symlink("loop_a", "/sandbox/temp/loop_b") == 0);
    try_open("open the loop", "/sandbox/temp/loop_a", O_RDONLY);

    printf("-- cleaning up\n");
    const char *files[] = {"sub/x.txt", "renamed.txt", "hard.txt", "link", "out", "up",
                           "loop_a", "loop_b"};
    int all = 1;
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/sandbox/temp/%s", files[i]);
        if (unlink(path) != 0) {
            printf("unlink %s: %s\n", files[i], errname(errno));
            all = 0;
        }
    }
    report("unlink all", all);
    report("rmdir temp/sub", rmdir("/sandbox/temp/sub") == 0);
    report("rmdir temp", rmdir("/sandbox/temp") == 0);
    f = fopen("/sandbox/kept.txt", "w");
    fputs("written by the guest\n", f);
    fclose(f);
    list("/sandbox");
    return 0;
}
