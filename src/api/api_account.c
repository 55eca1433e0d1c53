#include "api/api_account.h"

#include <stdio.h>

#include "api/api_config.h"
#include "api/api_json.h"
#include "store/store.h"
#include "core/banned.h"

#define EVENTS_SHOWN 20

static json_t *money(int64_t micro)
{
    char s[32];
    billing_amount_format(micro, s, sizeof(s));
    return json_string(s);
}

void api_account_get(const struct api_request *rq, struct api_response *rs)
{
    struct store_account a;
    struct store_account_event ev[EVENTS_SHOWN];
    size_t n = 0;
    struct api_problem p = {0};
    struct rl_err err = {0};
    if (store_account_get(rq->store, rq->account_id, &a, &err) != 0 ||
        store_account_events(rq->store, rq->account_id, ev, EVENTS_SHOWN, &n, &err) != 0) {
        api_problem_set(&p, 500, "store_error", NULL, "%s", err.msg);
        api_problem_respond(rs, &p);
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
    rs->body = json_pack("{s:s,s:o,s:s,s:o,s:o}", "name", a.name, "balance", money(a.balance),
                         "currency", rq->cfg->billing.currency, "low_balance_threshold",
                         money(threshold), "events", events);
}
