#include "api/api_config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

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
    int crc = campaign_config_init(&ac->campaigns, c, err);
    if (crc != 0) {
        api_config_release(ac);
        return crc;
    }
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
}
