#ifndef RL_TEMPLATE_H
#define RL_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Message templates: "Bonjour #firstname|client#, votre commande #order.ref# est prête".
 * Pure text work, no I/O and no JSON: the caller hands the data through a lookup
 * callback, so the same renderer serves the CLI (JSON), campaigns (contact rows)
 * and tests (a table).
 *
 * Syntax, decided at each '#':
 *   ##                 a literal '#'
 *   #name#             the value of field name
 *   #name|fallback#    the value, or fallback when the field is missing or empty
 *   anything else      the '#' is literal text, kept unchanged: "Order #123 ready",
 *                      "# alone", "#name" not closed before a line break or the end
 * A name is [A-Za-z_][A-Za-z0-9_.-]*, at most TEMPLATE_NAME_MAX bytes; the dots let
 * the data be nested ("#order.ref#"). A fallback is any text up to the next '#',
 * without a line break (CR or LF); it cannot contain '#', and may be empty
 * ("#name|#": a missing field renders as nothing).
 *
 * Field names are case-insensitive: the caller's lookup must match "FirstName" to
 * a "firstname" field. A field found with an empty value renders empty unless
 * there is a fallback; a missing field without a fallback is an error that lists
 * the fields the data knows, since a typo is the usual cause. */

#define TEMPLATE_MAX      (64 * 1024) /* bytes of template */
#define TEMPLATE_NAME_MAX 47          /* bytes of a field name: fits struct rl_err's field */

/* Looks name[0..name_len) up (case-insensitively). Returns 1 and sets *value,
 * *value_len (borrowed: valid until the next call or the end of the render), 0 when
 * the field is missing, or a negative RL_E* code when the field exists but has no
 * text value (an array, say): the render then fails with that code, err naming the
 * field. Values must be UTF-8; the renderer checks. */
typedef int (*template_get_fn)(void *ctx, const char *name, size_t name_len, const char **value,
                               size_t *value_len);

/* Appends the names the data knows to out for the unknown-field message, each with
 * template_known_add. Called only on that error. */
typedef void (*template_known_fn)(void *ctx, struct buf *out);

/* The data a template is rendered with. get NULL: no field is known. */
struct template_data {
    template_get_fn get;
    template_known_fn known; /* may be NULL: the message then says "known: none" */
    void *ctx;               /* borrowed; passed to both */
};

/* Renders tpl[0..len) (borrowed) into out, which this function initialises with
 * buf_init; release it with buf_release whatever the result. max_out caps the
 * output in bytes (0: TEMPLATE_MAX). data (borrowed) may be NULL: no field known.
 * Returns 0, or with err filled:
 *   RL_ETOOLONG  template over TEMPLATE_MAX or a name over TEMPLATE_NAME_MAX
 *                (err->field "template"), or the output over max_out ("text");
 *                the message names the limit
 *   RL_EUTF8     template ("template") or a value (the field's name) not UTF-8;
 *                the message names the byte offset
 *   RL_EFIELD    a missing field without fallback: err->field is its name, the
 *                message "unknown field 'foo' (known: firstname, shop)"
 *   < 0          a code returned by data->get, err->field naming the field */
int template_render(const char *tpl, size_t len, const struct template_data *data, size_t max_out,
                    struct buf *out, struct rl_err *err);

/* For template_known_fn: appends name[0..len) (borrowed) to out, ", "-separated,
 * skipping a name no placeholder could reference. out has a small cap; once a name
 * no longer fits, out ends with "..." and later names are dropped, so the message
 * stays within struct rl_err. */
void template_known_add(struct buf *out, const char *name, size_t len);

/* One distinct field of a template, as template_fields lists it. */
struct template_field {
    const char *name; /* borrowed from the template, first spelling seen */
    size_t len;
    bool required; /* some occurrence has no fallback: the data must have it */
};

/* Lists the distinct field names of tpl (compared case-insensitively) in order of
 * first appearance, for checking a campaign's data before sending. out has room for
 * max entries; *n gets the count. Returns 0, RL_EUTF8 or RL_ETOOLONG as
 * template_render does, or RL_ETOOLONG when tpl has more than max distinct fields. */
int template_fields(const char *tpl, size_t len, struct template_field *out, size_t max, size_t *n,
                    struct rl_err *err);

#endif
