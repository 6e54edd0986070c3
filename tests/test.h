/*
 * test.h - the CUnit harness shared by every suite.
 *
 * A suite file defines a NULL-terminated table of ls_test and a function
 * suite_<module>() that registers it; runner.c lists the suites. Test names
 * follow test_<module>_<topic>__<case>.
 */
#ifndef LS_TEST_H
#define LS_TEST_H

#include <CUnit/CUnit.h>
#include <stddef.h>

typedef struct ls_test {
    const char *name;
    void (*fn)(void);
} ls_test;

/* Register a suite; a registration failure is counted as a failed test. */
void test_register_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
                         const ls_test *tests);

/* Path of a file under tests/data (the directory can be moved with the
 * environment variable LS_TEST_DATA). Static buffer, overwritten by the next
 * call. */
const char *test_data_path(const char *rel);

/* Read a whole file; NULL if it cannot be read. Caller frees. */
char *test_read_file(const char *path, size_t *len);

/* Deterministic PRNG for randomized tests (seed from LS_TEST_SEED or fixed;
 * the seed is printed when a suite uses it, so a failure can be replayed). */
unsigned long long test_seed(void);
unsigned long long test_rand(unsigned long long *state);

/* Suites. */
void suite_util(void);
void suite_stemmers(void);
void suite_breaker(void);
void suite_analysis(void);
void suite_codecs(void);
void suite_input(void);
void suite_index(void);
void suite_query(void);

#endif
