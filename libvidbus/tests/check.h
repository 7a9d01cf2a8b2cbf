/* A minimal test harness: CHECK(cond) records a failure with its line and
 * goes on; TEST(name) runs a test function; main prints "N passed, N failed". */
#ifndef VIDBUS_CHECK_H
#define VIDBUS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks_failed, tests_passed, tests_failed;
static int current_failed;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "  FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
                    vidbus_last_error());                                                  \
            checks_failed++;                                                               \
            current_failed = 1;                                                            \
        }                                                                                  \
    } while (0)

#define CHECK_STATUS(call, expected)                                                       \
    do {                                                                                   \
        int got_ = (call);                                                                 \
        if (got_ != (expected)) {                                                          \
            fprintf(stderr, "  FAIL %s:%d: %s returned %s, expected %s (%s)\n", __FILE__, __LINE__, #call, \
                    vidbus_error_code(got_), vidbus_error_code(expected), vidbus_last_error()); \
            checks_failed++;                                                               \
            current_failed = 1;                                                            \
        }                                                                                  \
    } while (0)

#define TEST(fn)                                                     \
    do {                                                             \
        current_failed = 0;                                          \
        fn();                                                        \
        if (current_failed) {                                        \
            tests_failed++;                                          \
            fprintf(stderr, "not ok %s\n", #fn);                     \
        } else {                                                     \
            tests_passed++;                                          \
            fprintf(stderr, "ok %s\n", #fn);                         \
        }                                                            \
    } while (0)

#define TEST_SUMMARY()                                                            \
    (fprintf(stderr, "%d passed, %d failed\n", tests_passed, tests_failed), tests_failed ? 1 : 0)

/* A stream name no other test process uses. */
static inline const char *test_name(const char *tag)
{
    static char names[16][64];
    static int next;
    char *out = names[next++ % 16];
    snprintf(out, 64, "t-c-%s-%d-%d", tag, (int)getpid(), next);
    return out;
}

#endif
