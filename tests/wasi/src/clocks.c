/* Clocks, sleeping, poll_oneoff, randomness and sched_yield. Prints one
 * line per check, with no times in it, so the output is fixed. Reads its
 * standard input to the end at the start (the host gives it some bytes).
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static uint64_t now(__wasi_clockid_t id) {
    __wasi_timestamp_t t = 0;
    if (__wasi_clock_time_get(id, 1, &t) != 0) {
        return 0;
    }
    return t;
}

static void check(const char *what, int ok) {
    printf("%-40s %s\n", what, ok ? "ok" : "FAILED");
}

int main(void) {
    /* Standard input is readable: poll for it, then read it. */
    __wasi_subscription_t in_sub[2];
    memset(in_sub, 0, sizeof in_sub);
    in_sub[0].userdata = 7;
    in_sub[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    in_sub[0].u.u.fd_read.file_descriptor = 0;
    in_sub[1].userdata = 8;
    in_sub[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    in_sub[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    in_sub[1].u.u.clock.timeout = 5ull * 1000 * 1000 * 1000;
    __wasi_event_t ev[2];
    __wasi_size_t n = 0;
    __wasi_errno_t err = __wasi_poll_oneoff(in_sub, ev, 2, &n);
    check("poll stdin: no error", err == 0);
    check("poll stdin: one event", n == 1);
    check("poll stdin: it is the fd_read", ev[0].userdata == 7 &&
                                           ev[0].type == __WASI_EVENTTYPE_FD_READ &&
                                           ev[0].error == 0);
    check("poll stdin: some bytes ready", ev[0].fd_readwrite.nbytes >= 1);
    char buf[64];
    ssize_t got = read(0, buf, sizeof buf - 1);
    buf[got > 0 ? got : 0] = 0;
    printf("read from stdin: %s\n", buf);

    /* Two timers: only the short one fires. */
    __wasi_subscription_t subs[2];
    memset(subs, 0, sizeof subs);
    for (int i = 0; i < 2; i++) {
        subs[i].userdata = 100 + i;
        subs[i].u.tag = __WASI_EVENTTYPE_CLOCK;
        subs[i].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    }
    subs[0].u.u.clock.timeout = 20ull * 1000 * 1000;         /* 20 ms */
    subs[1].u.u.clock.timeout = 10ull * 1000 * 1000 * 1000;  /* 10 s */
    uint64_t t0 = now(__WASI_CLOCKID_MONOTONIC);
    err = __wasi_poll_oneoff(subs, ev, 2, &n);
    uint64_t t1 = now(__WASI_CLOCKID_MONOTONIC);
    check("poll timers: no error", err == 0);
    check("poll timers: one event", n == 1);
    check("poll timers: the 20 ms one", ev[0].userdata == 100 &&
                                        ev[0].type == __WASI_EVENTTYPE_CLOCK);
    check("poll timers: waited >= 20 ms", t1 - t0 >= 20ull * 1000 * 1000);
    check("poll timers: waited < 5 s", t1 - t0 < 5ull * 1000 * 1000 * 1000);

    /* An absolute deadline on the realtime clock. */
    subs[0].u.u.clock.id = __WASI_CLOCKID_REALTIME;
    subs[0].u.u.clock.timeout = now(__WASI_CLOCKID_REALTIME) + 10ull * 1000 * 1000;
    subs[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    err = __wasi_poll_oneoff(subs, ev, 1, &n);
    check("poll absolute realtime deadline", err == 0 && n == 1 && ev[0].userdata == 100);
    check("poll with no subscriptions: EINVAL",
          __wasi_poll_oneoff(subs, ev, 0, &n) == __WASI_ERRNO_INVAL);
    subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    subs[0].u.u.fd_read.file_descriptor = 1234;
    err = __wasi_poll_oneoff(subs, ev, 1, &n);
    /* The error may come in the event or (some runtimes) as the result. */
    check("poll a bad fd: EBADF", (err == 0 && n == 1 && ev[0].error == __WASI_ERRNO_BADF) ||
                                  err == __WASI_ERRNO_BADF);

    /* libc's sleeping goes through poll_oneoff too. */
    struct timespec ts = {0, 15 * 1000 * 1000};
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    check("nanosleep 15 ms", nanosleep(&ts, NULL) == 0);
    t1 = now(__WASI_CLOCKID_MONOTONIC);
    check("nanosleep took >= 15 ms", t1 - t0 >= 15ull * 1000 * 1000);

    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    check("realtime is after 2020", rt.tv_sec > 1577836800);
    check("time() agrees", time(NULL) - rt.tv_sec <= 1);
    struct timespec res;
    check("clock_getres(MONOTONIC) > 0", clock_getres(CLOCK_MONOTONIC, &res) == 0 &&
                                         (res.tv_sec > 0 || res.tv_nsec > 0));

    uint8_t a[32], b[32];
    check("random_get", getentropy(a, sizeof a) == 0 && getentropy(b, sizeof b) == 0);
    check("two random draws differ", memcmp(a, b, sizeof a) != 0);
    check("sched_yield", sched_yield() == 0);
    return 0;
}
