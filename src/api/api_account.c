#include "api/api_account.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/api_config.h"
#include "api/api_json.h"
#include "core/log.h"
#include "domain/campaign.h"
#include "store/store.h"
#include "core/banned.h"

#define EVENTS_SHOWN 20

static json_t *money(int64_t micro)
{
    char s[32];
    billing_amount_format(micro, s, sizeof(s));
    return json_string(s);
}

static void store_failed(struct api_response *rs, const struct rl_err *err)
{
    struct api_problem p = {0};
    api_problem_set(&p, 500, "store_error", NULL, "%s", err->msg);
    api_problem_respond(rs, &p);
}

/* The account's own opt-out mentions as stored (checked when written), or
 * null: the configuration's apply. */
static json_t *mentions_json(const char *stored)
{
    json_t *o = stored ? json_loads(stored, 0, NULL) : NULL;
    if (json_is_object(o))
        return o;
    json_decref(o);
    return json_null();
}

void api_account_get(const struct api_request *rq, struct api_response *rs)
{
    struct store_account a;
    struct store_account_event ev[EVENTS_SHOWN];
    size_t n = 0;
    char *mentions = NULL;
    struct rl_err err = {0};
    if (store_account_get(rq->store, rq->account_id, &a, &err) != 0 ||
        store_account_events(rq->store, rq->account_id, ev, EVENTS_SHOWN, &n, &err) != 0 ||
        store_account_mentions_get(rq->store, rq->account_id, &mentions, &err) != 0) {
        store_failed(rs, &err);
        return;
    }
    /* The account's own threshold, else the configuration's. */
    int64_t threshold =
        a.low_balance_threshold > 0 ? a.low_balance_threshold : rq->cfg->billing.low_balance_micro;
    json_t *events = json_array();
    for (size_t i = 0; i < n; i++) {
        char at[API_TIME_SIZE];
        api_time_format(ev[i].at, at);
        json_array_append_new(events, json_pack("{s:s,s:s,s:o,s:o}", "at", at, "kind", ev[i].kind,
                                                "balance", money(ev[i].balance), "threshold",
                                                money(ev[i].threshold)));
    }
    rs->status = 200;
    rs->body =
        json_pack("{s:s,s:o,s:s,s:o,s:o,s:o}", "name", a.name, "balance", money(a.balance),
                  "currency", rq->cfg->billing.currency, "low_balance_threshold", money(threshold),
                  "optout_mention", mentions_json(mentions), "events", events);
    free(mentions);
}

void api_account_patch(const struct api_request *rq, struct api_response *rs)
{
    static const struct api_jfield fields[] = {{"optout_mention", API_JOBJECT, false}};
    struct api_problem p;
    json_t *obj = api_json_body(rq, &p);
    int rc = obj ? api_json_check(obj, fields, 1, &p) : -1;
    const json_t *m = obj ? json_object_get(obj, "optout_mention") : NULL;
    char *text = m && json_is_object(m) && json_object_size(m) ? json_dumps(m, JSON_COMPACT) : NULL;
    struct campaign_account_mentions am;
    struct rl_err err = {0};
    /* The same reading the campaigns make of it, so that what is stored reads. */
    if (rc == 0 && text && campaign_account_mentions_parse(&am, text, &err) != 0)
        rc = api_problem_set(&p, 422, "invalid_value", err.field, "%s", err.msg);
    else if (rc == 0 && text)
        campaign_account_mentions_release(&am);
    /* Absent: unchanged. null or {}: removed, the configuration's apply again. */
    if (rc == 0 && m && store_account_mentions_set(rq->store, rq->account_id, text, &err) != 0) {
        store_failed(rs, &err);
        rc = 1;
    } else if (rc == 0 && m) {
        log_info("api", "account_mentions", "account=%" PRId64 " countries=%zu", rq->account_id,
                 json_is_object(m) ? json_object_size(m) : 0);
    }
    if (rc < 0)
        api_problem_respond(rs, &p);
    else if (rc == 0)
        api_account_get(rq, rs);
    free(text);
    json_decref(obj);
}
