#ifndef RL_MEM_H
#define RL_MEM_H

#include <stddef.h>

/* Allocation that cannot fail: out of memory aborts with a log line, because no
 * caller in relais can do anything better. The only raw malloc is in mem.c. */

/* Returns new memory (free with free()). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Returns a new NUL-terminated copy of s (free with free()). */
char *xstrdup(const char *s);
/* Returns a new NUL-terminated copy of the n bytes at s. */
char *xstrndup(const char *s, size_t n);

#endif
