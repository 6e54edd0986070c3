/*
 * error.c - srch_strerror(), srch_errmsg() and the per-handle error records.
 */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local ls_err thread_err;

int ls_err_set(ls_err *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(thread_err.msg, sizeof thread_err.msg, fmt, ap);
    va_end(ap);
    thread_err.code = code;
    if (e && e != &thread_err) {
        e->code = code;
        memcpy(e->msg, thread_err.msg, sizeof e->msg);
    }
    return code;
}

int ls_err_copy(ls_err *dst, const ls_err *src)
{
    return ls_err_set(dst, src->code, "%s", src->msg);
}

void ls_err_clear(ls_err *e)
{
    e->code = SRCH_OK;
    e->msg[0] = '\0';
}

int ls_err_from_errno(int errnum)
{
    switch (errnum) {
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return SRCH_ENOSPC;
    case ENOMEM:
        return SRCH_ENOMEM;
    default:
        return SRCH_EIO;
    }
}

SRCH_API const char *srch_strerror(int code)
{
    switch (code) {
    case SRCH_OK:        return "no error";
    case SRCH_ERROR:     return "error";
    case SRCH_ENOMEM:    return "out of memory";
    case SRCH_EIO:       return "input/output error";
    case SRCH_ECORRUPT:  return "index file is corrupt";
    case SRCH_ELOCKED:   return "index is locked by another writer";
    case SRCH_EVERSION:  return "unsupported format version";
    case SRCH_EINVAL:    return "invalid argument";
    case SRCH_ESYNTAX:   return "query syntax error";
    case SRCH_ENOTFOUND: return "not found";
    case SRCH_ENOSPC:    return "no space left on device";
    case SRCH_ELIMIT:    return "limit reached";
    case SRCH_EABORT:    return "aborted by callback";
    case SRCH_EBACKEND:  return "storage backend error";
    default:             return "unknown error code";
    }
}

SRCH_API const char *srch_errmsg(void)
{
    return thread_err.msg;
}
