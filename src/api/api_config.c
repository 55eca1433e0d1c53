#include "api/api_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/banned.h"

static int from_cfg(struct api_config *ac, const struct cfg *c, struct rl_err *err)
{
    memset(ac, 0, sizeof(*ac));
    int rc = billing_table_init_cfg(&ac->billing, c, err);
    if (rc != 0)
        return rc;
    snprintf(ac->default_region, sizeof(ac->default_region), "%s",
             c->phone_default_region ? c->phone_default_region : "");
    ac->validity_ms = c->dispatch_validity_ms;
    ac->max_parts = (size_t)c->text_max_parts;
    ac->ref_bits = c->text_concat_ref == CFG_TEXT_CONCAT_REF_16 ? 16 : 8;
    ac->smart_encoding = c->text_smart_encoding;
    ac->rate_limit = c->http_rate_limit;
    if (c->http_rate_limit > 0)
        ac->limit = api_ratelimit_new((double)c->http_rate_limit, (double)c->http_rate_limit);
    ac->idem = api_idem_new();
    int crc = campaign_config_init(&ac->campaigns, c, err);
    if (crc == 0)
        crc = route_table_init_cfg(&ac->routes, c, err);
    if (crc != 0) {
        api_config_release(ac);
        return crc;
    }
    ac->route_sender = xcalloc(c->nroutes ? c->nroutes : 1, sizeof(*ac->route_sender));
    for (size_t i = 0; i < c->nroutes; i++)
        ac->route_sender[i] = c->routes[i].default_sender && *c->routes[i].default_sender;
    return 0;
}

int api_config_init(struct api_config *ac, const struct cfg *c, struct rl_err *err)
{
    /* For the request hashes (crypto_generichash); idempotent and thread-safe. */
    if (sodium_init() < 0)
        return rl_err_set(err, RL_EIO, "sodium", "libsodium cannot initialise");
    if (c)
        return from_cfg(ac, c, err);
    struct cfg defaults;
    cfg_init(&defaults);
    int rc = from_cfg(ac, &defaults, err);
    cfg_release(&defaults);
    return rc;
}

void api_config_release(struct api_config *ac)
{
    if (!ac)
        return;
    billing_table_release(&ac->billing);
    campaign_config_release(&ac->campaigns);
    api_ratelimit_free(ac->limit);
    ac->limit = NULL;
    api_idem_free(ac->idem);
    ac->idem = NULL;
    route_table_release(&ac->routes);
    free(ac->route_sender);
    ac->route_sender = NULL;
}

bool api_config_sender_optional(const struct api_config *ac, const char *e164, char *why,
                                size_t size)
{
    size_t cand[CFG_ROUTES_MAX];
    struct rl_err err = {0};
    if (ac->routes.n == 0)
        return true;
    int n = route_table_pick(&ac->routes, e164, NULL, cand, CFG_ROUTES_MAX, &err);
    struct buf names;
    buf_init(&names, 256);
    for (int i = 0; i < n; i++) {
        if (ac->route_sender[cand[i]]) {
            buf_release(&names);
            return true;
        }
        buf_addf(&names, "%s%s", i ? ", " : "", ac->routes.routes[cand[i]].name);
    }
    if (why && n > 0)
        snprintf(why, size, "no route serving %s has a default_sender (tried %s)", e164,
                 names.data);
    else if (why)
        snprintf(why, size, "no route serves %s, so none gives it a sender", e164);
    buf_release(&names);
    return false;
}

bool api_config_sender_any(const struct api_config *ac)
{
    bool any = ac->routes.n == 0;
    for (size_t i = 0; i < ac->routes.n && !any; i++)
        any = ac->route_sender[i];
    return any;
}
