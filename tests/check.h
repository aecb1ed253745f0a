/* A minimal test harness for carm's C tests: CHECK-style macros that count
 * failures and keep going, and a summary line "N passed, N failed".
 * Each test file is a program; exit 0 when every check passed, 77 = skip. */
#ifndef CARM_TEST_CHECK_H
#define CARM_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_passed;
static int check_failed;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (cond) {                                                                                    \
      check_passed++;                                                                              \
    } else {                                                                                       \
      check_failed++;                                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                     \
    }                                                                                              \
  } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
  do {                                                                                             \
    if (cond) {                                                                                    \
      check_passed++;                                                                              \
    } else {                                                                                       \
      check_failed++;                                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);                     \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
    }                                                                                              \
  } while (0)

/* |a - b| <= tol, NaN fails. */
#define CHECK_NEAR(a, b, tol)                                                                      \
  do {                                                                                             \
    double check_a_ = (double)(a);                                                                 \
    double check_b_ = (double)(b);                                                                 \
    if (fabs(check_a_ - check_b_) <= (double)(tol)) {                                              \
      check_passed++;                                                                              \
    } else {                                                                                       \
      check_failed++;                                                                              \
      fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.17g, %s = %.17g, tol %g\n", __FILE__,      \
              __LINE__, #a, check_a_, #b, check_b_, (double)(tol));                                \
    }                                                                                              \
  } while (0)

/* Print the summary and return the process exit code. */
static inline int check_done(void) {
  printf("%d passed, %d failed\n", check_passed, check_failed);
  return check_failed == 0 ? 0 : 1;
}

/* Path of a file in ../shared/data (from the CARM_DATA environment
 * variable set by CTest); NULL and a message when it is absent. */
static inline const char *check_data_dir(void) {
  const char *d = getenv("CARM_DATA");
  return d;
}

#endif
