#ifndef RL_API_CONFIG_H
#define RL_API_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/err.h"
#include "api/api_idem.h"
#include "api/api_ratelimit.h"
#include "domain/billing.h"
#include "domain/campaign.h"
#include "dispatch/route.h"

/* What the API's handlers need of the configuration, read once at start so
 * that a request never parses a price list. Caller-owned. */
struct api_config {
    char default_region[3];       /* phone.default_region: "FR" */
    struct billing_table billing; /* owned: [billing] */
    int64_t validity_ms;          /* dispatch.validity: the default validity */
    size_t max_parts;             /* text.max_parts */
    unsigned ref_bits;            /* text.concat_ref: 8 or 16 (changes segment counts) */
    bool smart_encoding;          /* text.smart_encoding: the default of the request field */
    struct api_ratelimit *limit;  /* owned: http.rate_limit per key; NULL: none */
    struct api_idem *idem;        /* owned: the Idempotency-Keys in flight */
    int64_t rate_limit;           /* http.rate_limit, for the 429's message */
    /* owned: [campaigns] and [rules] */
    struct campaign_config campaigns;
    /* owned: the [route NAME] prefixes (dispatch/route.h, the dispatcher's
     * own matching) and which routes have a default_sender, so that a message
     * without a sender is refused when no route that serves it has one. */
    struct route_table routes;
    bool *route_sender; /* routes.n entries */
};

/* Fills ac from c (borrowed; NULL: the built-in defaults). Returns 0, or
 * RL_ECONFIG with err naming the key (a bad price list, say); ac then needs
 * no release. */
int api_config_init(struct api_config *ac, const struct cfg *c, struct rl_err *err);
/* Frees what ac owns; NULL is a no-op. */
void api_config_release(struct api_config *ac);

/* Whether a message to e164 (borrowed, E.164) may go without a sender of its
 * own: true when some route serving it (route_table_pick's choice, up or
 * down) has a default_sender, or when no route is configured at all (nothing
 * is sent then, and the routes of a later start decide). False otherwise,
 * with why (may be NULL, size bytes) saying why ("no route serving +32... has
 * a default_sender (tried be, eu)"), for the caller to prefix with its field. */
bool api_config_sender_optional(const struct api_config *ac, const char *e164, char *why,
                                size_t size);
/* The same for a destination not known yet (a list's members): true when no
 * route is configured or at least one route has a default_sender. */
bool api_config_sender_any(const struct api_config *ac);

#endif
