#include "api/api_auth.h"

#include <string.h>
#include <strings.h>

#include <uv.h>

#include "api/api_config.h"
#include "core/log.h"
#include "store/store.h"
#include "core/banned.h"

static void unauthorized(struct api_response *rs, const char *error, const char *msg)
{
    api_error(rs, 401, "unauthorized", NULL, "%s", msg);
    if (error)
        api_header_add(rs, "WWW-Authenticate", "Bearer realm=\"relais\", error=\"%s\"", error);
    else
        api_header_add(rs, "WWW-Authenticate", "Bearer realm=\"relais\"");
}

/* Returns the token after "Bearer " (scheme case-insensitive, RFC 7235), or
 * NULL for another scheme or an empty token. */
static const char *bearer_token(const char *h)
{
    if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
        return NULL;
    h += 6;
    while (*h == ' ' || *h == '\t')
        h++;
    return *h ? h : NULL;
}

bool api_auth_peek(const struct api_request *rq, int64_t *account_id)
{
    const char *h = rq->authorization;
    const char *key = h && strlen(h) <= API_AUTH_MAX ? bearer_token(h) : NULL;
    return key && store_key_lookup(rq->store, key, account_id, NULL) == 0;
}

bool api_auth(struct api_request *rq, struct api_response *rs)
{
    const char *h = rq->authorization;
    if (!h || !*h) {
        unauthorized(rs, NULL, "this endpoint needs an API key: Authorization: Bearer rl_…");
        return false;
    }
    const char *key = bearer_token(h);
    if (!key || strlen(h) > API_AUTH_MAX) {
        unauthorized(rs, "invalid_request",
                     "the Authorization header must be 'Bearer ' followed by an API key");
        return false;
    }
    int64_t account = 0;
    int rc = store_key_lookup(rq->store, key, &account, &rq->key_id);
    if (rc == RL_ENOTFOUND) {
        unauthorized(rs, "invalid_token", "unknown or revoked API key");
        return false;
    }
    if (rc != 0) {
        log_warn("api", "auth_failed", "rc=%s", rl_errname(rc));
        api_error(rs, 500, "internal_error", NULL, "cannot check the API key now; try again");
        return false;
    }
    rq->account_id = account;
    uint64_t wait = rq->cfg && rq->cfg->limit
                        ? api_ratelimit_take(rq->cfg->limit, rq->key_id, uv_hrtime() / 1000000)
                        : 0;
    if (wait) {
        api_error(rs, 429, "rate_limited", NULL,
                  "this key made more than %lld requests in the last second (http.rate_limit); "
                  "retry in %llu ms",
                  (long long)rq->cfg->rate_limit, (unsigned long long)wait);
        api_header_add(rs, "Retry-After", "%llu", (unsigned long long)((wait + 999) / 1000));
        return false;
    }
    return true;
}
