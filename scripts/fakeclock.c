/* Shift the wall clock (CLOCK_REALTIME and friends, gettimeofday, time) by
   RADBILL_FAKE_OFFSET seconds; monotonic clocks, sleeps and file times stay real. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long offset;
static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);

__attribute__((constructor)) static void init(void) {
    const char *s = getenv("RADBILL_FAKE_OFFSET");
    offset = s ? atoll(s) : 0;
    real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
    real_clock_nanosleep = dlsym(RTLD_NEXT, "clock_nanosleep");
}

static int wall(clockid_t c) {
    return c == CLOCK_REALTIME || c == CLOCK_REALTIME_COARSE || c == CLOCK_TAI
        || c == CLOCK_REALTIME_ALARM;
}

int clock_gettime(clockid_t c, struct timespec *ts) {
    if (!real_clock_gettime) init();
    int r = real_clock_gettime(c, ts);
    if (r == 0 && wall(c)) ts->tv_sec += offset;
    return r;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    struct timespec ts;
    (void)tz;
    int r = clock_gettime(CLOCK_REALTIME, &ts);
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return r;
}

time_t time(time_t *t) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (t) *t = ts.tv_sec;
    return ts.tv_sec;
}

int clock_nanosleep(clockid_t c, int flags, const struct timespec *req, struct timespec *rem) {
    if (!real_clock_nanosleep) init();
    if ((flags & TIMER_ABSTIME) && wall(c)) {
        struct timespec real = *req;
        real.tv_sec -= offset;
        return real_clock_nanosleep(c, flags, &real, rem);
    }
    return real_clock_nanosleep(c, flags, req, rem);
}
