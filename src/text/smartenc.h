#ifndef RL_SMARTENC_H
#define RL_SMARTENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Smart encoding: typographic look-alikes (’ “ ” « » – — … non-breaking
 * spaces…) replaced by their GSM-7 counterparts, so that a text typed in a word
 * processor is not billed as UCS-2. Accented letters are never touched. The
 * replacement is applied only when it makes the whole text GSM-7: in a text
 * that stays UCS-2 it would change the words and save nothing. */

#define SMARTENC_MAX_KINDS 32

struct smartenc_repl {
    uint32_t from;  /* the code point replaced */
    const char *to; /* its GSM-7 replacement (static; "" when removed) */
    size_t count;
};

struct smartenc_result {
    char *text; /* the text as it will be sent (owned; NUL-terminated) */
    size_t len;
    bool applied; /* false: text is the input, unchanged */
    size_t nrepl;
    struct smartenc_repl repl[SMARTENC_MAX_KINDS]; /* in order of first appearance */
};

/* Returns 0 or RL_EUTF8 (err names the byte offset). out is always released
 * with smartenc_release, even on error. */
int smartenc_apply(const char *text, size_t len, struct smartenc_result *out, struct rl_err *err);
void smartenc_release(struct smartenc_result *r);

#endif
