#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

const char *rl_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define XX(c, name, text)                                                                          \
    case RL_##c:                                                                                   \
        return text;
        RL_ERRNO_MAP(XX)
#undef XX
    default:
        return code < 0 && code > RL_EBASE ? strerror(-code) : "unknown error";
    }
}

const char *rl_errname(int code)
{
    switch (code) {
    case 0:
        return "ok";
#define XX(c, name, text)                                                                          \
    case RL_##c:                                                                                   \
        return name;
        RL_ERRNO_MAP(XX)
#undef XX
    default:
        return "system_error";
    }
}

int rl_err_set(struct rl_err *e, int code, const char *field, const char *fmt, ...)
{
    if (!e)
        return code;
    e->code = code;
    snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return code;
}
