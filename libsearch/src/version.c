/*
 * version.c - srch_version() and srch_version_number(): the version of the
 * library actually linked, to compare with the header's SRCH_VERSION_*.
 */
#include "libsearch.h"

SRCH_API const char *srch_version(void)
{
    return SRCH_VERSION_STRING;
}

SRCH_API int srch_version_number(void)
{
    return SRCH_VERSION_NUMBER;
}
