/*
 * runner.c - runs every CUnit suite (or those named on the command line;
 * LS_TEST_ONLY=substring keeps only the tests whose name contains it) and
 * prints "unit: N passed, N failed" as its last line.
 *
 * CUnit 2.1 traps handled here: a suite whose init fails, or a test that
 * could not be registered, is counted as a failure (CUnit alone would count
 * none), and the counters are read before CU_cleanup_registry() resets them.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uclean.h>

#include "test.h"

static unsigned registration_failures;
static int argc_g;
static char **argv_g;

static int wanted(const char *suite)
{
    if (argc_g <= 1)
        return 1;
    for (int i = 1; i < argc_g; i++)
        if (strcmp(argv_g[i], suite) == 0)
            return 1;
    return 0;
}

void test_register_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
                         const ls_test *tests)
{
    if (!wanted(name))
        return;
    CU_pSuite s = CU_add_suite(name, init, clean);
    if (!s) {
        fprintf(stderr, "cannot register suite %s: %s\n", name, CU_get_error_msg());
        registration_failures++;
        return;
    }
    const char *only = getenv("LS_TEST_ONLY");
    for (const ls_test *t = tests; t->name; t++)
        if (only && *only && !strstr(t->name, only))
            continue;
        else if (!CU_add_test(s, t->name, t->fn)) {
            fprintf(stderr, "cannot register test %s: %s\n", t->name, CU_get_error_msg());
            registration_failures++;
        }
}

const char *test_data_path(const char *rel)
{
    static char buf[4096];
    const char *dir = getenv("LS_TEST_DATA");
    snprintf(buf, sizeof buf, "%s/%s", dir && *dir ? dir : "tests/data", rel);
    return buf;
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        cap *= 2;
        buf = realloc(buf, cap + 1);
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

unsigned long long test_seed(void)
{
    static unsigned long long seed;
    static int printed;
    if (!printed) {
        const char *s = getenv("LS_TEST_SEED");
        seed = s && *s ? strtoull(s, NULL, 0) : 20241128ULL;
        printed = 1;
        fprintf(stderr, "[randomized tests use LS_TEST_SEED=%llu]\n", seed);
    }
    return seed;
}

unsigned long long test_rand(unsigned long long *state)
{
    /* splitmix64 */
    unsigned long long z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
    argc_g = argc;
    argv_g = argv;
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        puts("unit: 0 passed, 1 failed");
        return 1;
    }
    suite_util();
    suite_stemmers();
    suite_breaker();
    suite_analysis();
    suite_codecs();
    suite_input();
    suite_index();
    suite_query();

    CU_basic_set_mode(CU_BRM_NORMAL);
    CU_basic_run_tests();

    unsigned run = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    unsigned suites_failed = CU_get_number_of_suites_failed();
    unsigned asserts_failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    u_cleanup();

    unsigned bad = failed + suites_failed + registration_failures;
    if (asserts_failed && !failed)
        bad++;   /* a failure outside any test: never report success */
    printf("\nunit: %u passed, %u failed\n", run - failed, bad);
    return bad ? 1 : 0;
}
