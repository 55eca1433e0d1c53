#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

static void *check(void *p, size_t n)
{
    if (!p && n) {
        fprintf(stderr, "level=fatal mod=mem msg=out_of_memory bytes=%zu\n", n);
        abort();
    }
    return p;
}

void *xmalloc(size_t n)
{
    return check(malloc(n ? n : 1), n ? n : 1);
}

void *xcalloc(size_t count, size_t size)
{
    return check(calloc(count ? count : 1, size ? size : 1), 1);
}

void *xrealloc(void *p, size_t n)
{
    return check(realloc(p, n ? n : 1), n ? n : 1);
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}
