/*
 * error.h - error codes with a detailed message, per handle and per thread.
 *
 * Every handle embeds an `ls_err`. A failing function records the code and a
 * formatted message with ls_err_set(), which also copies them to the calling
 * thread's slot read by srch_errmsg(), and returns the code, so that a
 * failure is reported in one statement:
 *
 *     return ls_err_set(&ix->err, SRCH_ECORRUPT, "%s: bad magic", path);
 */
#ifndef LS_ERROR_H
#define LS_ERROR_H

#include "libsearch.h"

#define LS_ERRMSG_MAX 512

typedef struct ls_err {
    int code;                  /* last code, SRCH_OK if none */
    char msg[LS_ERRMSG_MAX];   /* NUL-terminated message */
} ls_err;

/* Record code and message in `e` (may be NULL: thread slot only); returns code. */
int ls_err_set(ls_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy an error from one record to another (and to the thread slot). */
int ls_err_copy(ls_err *dst, const ls_err *src);

void ls_err_clear(ls_err *e);

/* Map an errno value from a failed file operation to a code:
 * ENOSPC/EDQUOT -> SRCH_ENOSPC, ENOMEM -> SRCH_ENOMEM, else SRCH_EIO. */
int ls_err_from_errno(int errnum);

#endif
