#ifndef RL_BUF_H
#define RL_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* A growable byte buffer with a hard cap (git's strbuf, curl's dynbuf): data is
 * always NUL-terminated, and an append past max fails with RL_ETOOLONG instead
 * of growing without bound, so a hostile peer gets an error, never an OOM. */
struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

/* Caller-owned struct; max is the largest len allowed (0: no cap). */
void buf_init(struct buf *b, size_t max);
/* Frees the data; b may be initialised again. */
void buf_release(struct buf *b);
/* Returns the data (free with free()) and leaves b empty. */
char *buf_detach(struct buf *b, size_t *len);
void buf_reset(struct buf *b);

int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
