#ifndef RL_ROUTE_H
#define RL_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cfg.h"
#include "core/err.h"

/* Which routes may carry a message, in the order to try them: routes serving
 * the destination's longest prefix first, then shorter prefixes, then the
 * catch-all routes (no prefixes), file order breaking ties; routes that are
 * down are skipped, which is the failover. Pure: who is up is the caller's
 * knowledge, passed in. */

#define ROUTE_PREFIX_MAX 15 /* digits of a prefix, as E.164 allows for a whole number */

struct route_entry {
    char name[CFG_ROUTE_NAME_MAX + 1];
    char (*prefixes)[ROUTE_PREFIX_MAX + 1]; /* owned; digits only, no '+' */
    size_t nprefixes;                       /* 0: serves every destination */
};

/* Caller-owned; route_table_init fills it, route_table_release frees it.
 * Entry i is the config's route i: indices returned by route_table_pick are
 * valid in both. */
struct route_table {
    struct route_entry *routes; /* owned; n entries, in file order */
    size_t n;
};

/* Builds t from the n routes (borrowed; their prefixes as cfg keeps them:
 * "+33,+32", an optional '+' then 1 to 15 digits each). Returns 0, or
 * RL_ECONFIG with err naming the route and the bad prefix (t is then empty
 * and needs no release, though releasing is harmless). */
int route_table_init(struct route_table *t, const struct cfg_route *routes, size_t n,
                     struct rl_err *err);
/* route_table_init over c's routes (borrowed). */
int route_table_init_cfg(struct route_table *t, const struct cfg *c, struct rl_err *err);
/* Frees what t owns; t may be initialised again. */
void route_table_release(struct route_table *t);

/* Fills out[0..cap) with the indices of the routes that may carry a message
 * to e164 (borrowed: '+' then digits, as phone_parse writes it), best first
 * as described above. up[i] says whether route i is up (borrowed, t->n
 * entries; NULL: all up). Returns how many were written (at least 1; at most
 * cap, the best ones), or:
 *   RL_EINVAL    e164 is not '+' and 1 to 15 digits, or cap is 0;
 *   RL_ENOTFOUND no route serves e164 (err names the destination);
 *   -EAGAIN      routes serve it but every one is down (err names them, in
 *                the order they would have been tried): try again later. */
int route_table_pick(const struct route_table *t, const char *e164, const bool *up, size_t *out,
                     size_t cap, struct rl_err *err);

#endif
