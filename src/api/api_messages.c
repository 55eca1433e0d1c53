#include "api/api_messages.h"

#include "api/api_defer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/api_auth.h"
#include "api/api_config.h"
#include "api/api_json.h"
#include "api/api_msgnew.h"
#include "core/log.h"
#include "core/mem.h"
#include "domain/billing.h"
#include "store/store.h"
#include "core/banned.h"

#define LIST_DEFAULT     50
#define REQUEST_HASH_LEN (crypto_generichash_BYTES * 2)

static void internal(struct api_response *rs, const char *what, int rc, const struct rl_err *err)
{
    log_error("api", "store_failed", "op=%s rc=%s detail=\"%s\"", what, rl_errname(rc),
              err ? err->msg : "");
    api_error(rs, 500, "internal_error", NULL, "the store failed to %s; try again", what);
}

/* --- rendering ------------------------------------------------------------------- */

static const char *encoding_name(enum msg_encoding e)
{
    return e == MSG_ENCODING_UCS2 ? "ucs2" : "gsm7";
}

static json_t *money(int64_t micro)
{
    char s[32];
    billing_amount_format(micro, s, sizeof(s));
    return json_string(s);
}

static json_t *time_or_null(int64_t ms)
{
    char s[API_TIME_SIZE];
    if (!ms)
        return json_null();
    api_time_format(ms, s);
    return json_string(s);
}

/* The answer to an accepted message, whether just inserted or replayed. */
static json_t *accepted_json(int64_t id, enum msg_state st, const char *to, enum msg_encoding enc,
                             int segments, int64_t cost, int64_t scheduled_for)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:i,s:o,s:o}", "id", (json_int_t)id, "status",
                     msg_state_name(st), "to", to, "encoding", encoding_name(enc), "segments",
                     segments, "cost", money(cost), "scheduled_for", time_or_null(scheduled_for));
}

static json_t *metadata_json(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_null();
}

static json_t *detail_json(const struct store_message *m)
{
    json_t *parts = json_array(), *events = json_array();
    for (size_t i = 0; i < m->nparts; i++) {
        const struct store_part *p = &m->parts[i];
        json_array_append_new(parts,
                              json_pack("{s:i,s:s,s:s?,s:s?,s:s?}", "part", p->part, "status",
                                        msg_state_name(p->state), "operator_id", p->operator_id,
                                        "route", p->route, "error", p->error));
    }
    for (size_t i = 0; i < m->nevents; i++) {
        const struct store_event *e = &m->events[i];
        json_array_append_new(events, json_pack("{s:o,s:s,s:s,s:s?}", "at", time_or_null(e->at),
                                                "status", msg_state_name(e->state), "reason",
                                                e->reason ? e->reason : "", "detail", e->detail));
    }
    return json_pack("{s:o,s:o}", "parts", parts, "events", events);
}

/* A stored message; with its parts and events when detail. */
static json_t *message_json(const struct store_message *m, bool detail)
{
    json_t *o =
        accepted_json(m->id, m->state, m->to, m->encoding, m->segments, m->cost, m->scheduled_for);
    json_object_set_new(o, "from", m->from && *m->from ? json_string(m->from) : json_null());
    json_object_set_new(o, "text", json_string(m->text ? m->text : ""));
    json_object_set_new(
        o, "category",
        json_string(m->category == MSG_CATEGORY_MARKETING ? "marketing" : "transactional"));
    json_object_set_new(o, "validity_until", time_or_null(m->validity_until));
    json_object_set_new(o, "route", m->route ? json_string(m->route) : json_null());
    json_object_set_new(o, "attempts", json_integer(m->attempts));
    json_object_set_new(o, "metadata", metadata_json(m->metadata));
    json_object_set_new(o, "created_at", time_or_null(m->created_at));
    json_object_set_new(o, "updated_at", time_or_null(m->updated_at));
    if (detail) {
        json_t *d = detail_json(m);
        json_object_update(o, d);
        json_decref(d);
    }
    return o;
}

static void location(struct api_response *rs, int64_t id)
{
    api_header_add(rs, "Location", "/v1/messages/%lld", (long long)id);
}

/* --- idempotency ----------------------------------------------------------------- */

/* Visible ASCII, 1 to IDEM_KEY_MAX bytes: a UUID, a ULID, an order number. */
static int check_key(const char *key, struct api_problem *p)
{
    size_t n = strlen(key);
    bool ok = n > 0 && n <= API_IDEM_KEY_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = key[i] > 0x20 && key[i] < 0x7f;
    if (!ok)
        return api_problem_set(p, 400, "invalid_idempotency_key", "Idempotency-Key",
                               "Idempotency-Key must be 1 to %d visible ASCII characters",
                               API_IDEM_KEY_MAX);
    return 0;
}

static void in_flight(const char *key, struct api_response *rs)
{
    api_error(rs, 409, "idempotency_in_flight", "Idempotency-Key",
              "a request with Idempotency-Key '%s' is still being processed; retry shortly", key);
}

bool api_messages_hold(const struct api_request *rq, struct api_msg_hold *h,
                       struct api_response *rs)
{
    struct api_problem p;
    h->held = false;
    if (!rq->idempotency_key || strcmp(rq->method, "POST") != 0 ||
        strcmp(rq->path, "/v1/messages") != 0 || check_key(rq->idempotency_key, &p) != 0 ||
        !rq->cfg->idem || !api_auth_peek(rq, &h->account_id))
        return true;
    snprintf(h->key, sizeof(h->key), "%s", rq->idempotency_key);
    if (!api_idem_begin(rq->cfg->idem, h->account_id, h->key)) {
        in_flight(h->key, rs);
        return false;
    }
    h->held = true;
    return true;
}

void api_messages_unhold(const struct api_config *cfg, struct api_msg_hold *h)
{
    if (h->held)
        api_idem_end(cfg->idem, h->account_id, h->key);
    h->held = false;
}

/* BLAKE2b-256 over the route and the body's canonical form (compact JSON,
 * keys sorted): the same JSON value is the same request, whatever its
 * whitespace or member order. */
static void request_hash(const json_t *obj, char out[REQUEST_HASH_LEN + 1])
{
    static const char route[] = "POST /v1/messages\n";
    unsigned char h[crypto_generichash_BYTES];
    char *canon = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)route, sizeof(route) - 1);
    crypto_generichash_update(&st, (const unsigned char *)canon, strlen(canon));
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_bin2hex(out, REQUEST_HASH_LEN + 1, h, sizeof(h));
    free(canon);
}

/* Answers with what the key already stands for: the first message (same
 * request) or 422 (another request). Returns true when rs is filled, false
 * when the key is unused. */
static bool replay(const struct api_request *rq, const char *hash, struct api_response *rs)
{
    char used[STORE_REQUEST_HASH_MAX + 1];
    int64_t id = 0;
    struct store_message m;
    struct rl_err err = {0};
    int rc =
        store_idempotency_lookup(rq->store, rq->account_id, rq->idempotency_key, &id, used, &err);
    if (rc == RL_ENOTFOUND)
        return false;
    if (rc != 0) {
        internal(rs, "read the idempotency key", rc, &err);
        return true;
    }
    if (strcmp(used, hash) != 0) {
        api_error(rs, 422, "idempotency_key_reused", "Idempotency-Key",
                  "Idempotency-Key '%s' was already used with another request body; a new "
                  "message needs a new key",
                  rq->idempotency_key);
        return true;
    }
    rc = id ? store_message_get(rq->store, rq->account_id, id, &m, &err) : RL_ENOTFOUND;
    if (rc == RL_ENOTFOUND) {
        in_flight(rq->idempotency_key, rs);
        return true;
    }
    if (rc != 0) {
        internal(rs, "read the message", rc, &err);
        return true;
    }
    rs->status = 202;
    rs->body = accepted_json(m.id, m.state, m.to, m.encoding, m.segments, m.cost, m.scheduled_for);
    location(rs, m.id);
    api_header_add(rs, "Idempotent-Replayed", "true");
    store_message_release(&m);
    return true;
}

/* --- POST /v1/messages ----------------------------------------------------------- */

static void insert_failed(const struct api_request *rq, int64_t cost, int rc,
                          const struct rl_err *err, struct api_response *rs)
{
    struct store_account acc;
    char c[32], b[32];
    if (rc == RL_ERANGE && strcmp(err->field, "balance") == 0) {
        billing_amount_format(cost, c, sizeof(c));
        if (store_account_get(rq->store, rq->account_id, &acc, NULL) == 0)
            billing_amount_format(acc.balance, b, sizeof(b));
        else
            snprintf(b, sizeof(b), "?");
        api_error(rs, 422, "insufficient_credit", NULL,
                  "the account's balance (%s %s) does not cover the cost (%s %s)", b,
                  rq->cfg->billing.currency, c, rq->cfg->billing.currency);
    } else if (rc == RL_EINVAL) {
        api_error(rs, 422, "invalid_value", err->field, "%s", err->msg);
    } else {
        internal(rs, "store the message", rc, err);
    }
}

/* A POST /v1/messages waiting for its commit (api_defer.h): what the answer
 * needs, the request's fields copied (the request is gone by then). */
struct create_wait {
    struct api_deferred *d;
    struct api_request rq; /* store, cfg, account_id; idempotency_key -> key */
    char key[API_IDEM_KEY_MAX + 1];
    char hash[REQUEST_HASH_LEN + 1];
    bool keyed;
    json_t *obj; /* mn.m.from points into it */
    struct api_msgnew mn;
    struct rl_err err; /* the writer's, on a refusal */
    int rc;
    int64_t id;
};

static void create_committed(void *ctx, const struct store_result *r)
{
    struct create_wait *w = ctx;
    w->rc = r->rc;
    w->id = r->id;
    api_deferred_ready(w->d); /* on the writer's thread: nothing more here */
}

static void create_finish(void *ctx, struct api_response *rs)
{
    struct create_wait *w = ctx;
    if (w->rc == 0) {
        /* Durable: this runs after the commit that holds the message. */
        rs->status = 202;
        rs->body = accepted_json(w->id, w->mn.m.state, w->mn.to, w->mn.m.encoding, w->mn.m.segments,
                                 w->mn.m.cost, w->mn.m.scheduled_for);
        location(rs, w->id);
    } else if (w->rc == -EEXIST && w->keyed) {
        /* Another request with this key committed first (another node of
         * the database: this one's are held in flight): answer as it did. */
        if (!replay(&w->rq, w->hash, rs))
            in_flight(w->key, rs);
    } else {
        insert_failed(&w->rq, w->mn.m.cost, w->rc, &w->err, rs);
    }
    api_msgnew_release(&w->mn);
    json_decref(w->obj);
    free(w);
}

/* Validates, then hands the insert to the writer and answers after its
 * commit, without holding the HTTP thread (api_defer.h). */
static void create(const struct api_request *rq, json_t *obj, const char *hash,
                   struct api_response *rs)
{
    struct create_wait *w = xcalloc(1, sizeof(*w));
    struct api_problem p;
    if (api_msgnew_build(rq->cfg, rq->account_id, obj, api_now_ms(), &w->mn, &p) != 0) {
        api_problem_respond(rs, &p);
        free(w);
        return;
    }
    w->rq = (struct api_request){.store = rq->store, .cfg = rq->cfg, .account_id = rq->account_id};
    if (hash) {
        snprintf(w->key, sizeof(w->key), "%s", rq->idempotency_key);
        snprintf(w->hash, sizeof(w->hash), "%s", hash);
        w->rq.idempotency_key = w->key;
        w->keyed = true;
        w->mn.m.idempotency_key = w->key;
        w->mn.m.request_hash = w->hash;
    }
    w->obj = json_incref(obj);
    w->d = api_defer(rs, create_finish, w);
    int rc = store_message_submit(rq->store, &w->mn.m, false, &w->err, create_committed, w);
    if (rc != 0) {
        /* Refused before it was queued: answered now, through the same path. */
        w->rc = rc;
        api_deferred_ready(w->d);
    }
}

void api_messages_create(const struct api_request *rq, struct api_response *rs)
{
    struct api_problem p;
    char hash[REQUEST_HASH_LEN + 1];
    json_t *obj = api_json_body(rq, &p);
    if (!obj || (rq->idempotency_key && check_key(rq->idempotency_key, &p) != 0)) {
        api_problem_respond(rs, &p);
        json_decref(obj);
        return;
    }
    if (rq->idempotency_key)
        request_hash(obj, hash);
    if (!rq->idempotency_key || !replay(rq, hash, rs))
        create(rq, obj, rq->idempotency_key ? hash : NULL, rs);
    json_decref(obj); /* a deferred answer keeps its own reference */
}

/* --- POST /v1/messages/batch ----------------------------------------------------- */

struct batch {
    size_t n, nvalid;
    struct api_msgnew *items; /* n, zeroed where the item failed */
    json_t **results;         /* n: the error result of a failed item, else NULL */
    struct store_msg_new *valid;
    size_t *index; /* valid[k] is item index[k] */
    int64_t *ids;
};

static void batch_validate(const struct api_request *rq, const json_t *arr, struct batch *b)
{
    int64_t now = api_now_ms();
    for (size_t i = 0; i < b->n; i++) {
        const json_t *item = json_array_get(arr, i);
        struct api_problem p;
        int rc =
            json_is_object(item)
                ? api_msgnew_build(rq->cfg, rq->account_id, item, now, &b->items[i], &p)
                : api_problem_set(&p, 400, "invalid_type", NULL,
                                  "a message must be an object, not %s", api_json_type_name(item));
        if (rc != 0) {
            b->results[i] =
                json_pack("{s:I,s:o}", "index", (json_int_t)i, "error", api_problem_json(&p));
            continue;
        }
        b->index[b->nvalid] = i;
        b->valid[b->nvalid++] = b->items[i].m;
    }
}

static json_t *batch_results(const struct batch *b)
{
    json_t *results = json_array();
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->results[i]) {
            json_array_append(results, b->results[i]);
            continue;
        }
        const struct store_msg_new *m = &b->valid[k];
        json_t *o = accepted_json(b->ids[k++], m->state, m->to, m->encoding, m->segments, m->cost,
                                  m->scheduled_for);
        json_object_set_new(o, "index", json_integer((json_int_t)i));
        json_array_append_new(results, o);
    }
    return json_pack("{s:I,s:I,s:o}", "accepted", (json_int_t)b->nvalid, "rejected",
                     (json_int_t)(b->n - b->nvalid), "results", results);
}

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        api_msgnew_release(&b->items[i]);
        json_decref(b->results[i]);
    }
    free(b->items);
    free(b->results);
    free(b->valid);
    free(b->index);
    free(b->ids);
}

/* Every item is checked first; the valid ones go in one transaction (all or
 * none: a commit failure or too little credit stores nothing), the others
 * are answered with their index and error. */
static void batch_run(const struct api_request *rq, const json_t *arr, struct api_response *rs)
{
    struct batch b = {.n = json_array_size(arr)};
    struct rl_err err = {0};
    b.items = xcalloc(b.n, sizeof(*b.items));
    b.results = xcalloc(b.n, sizeof(*b.results));
    b.valid = xcalloc(b.n, sizeof(*b.valid));
    b.index = xcalloc(b.n, sizeof(*b.index));
    b.ids = xcalloc(b.n, sizeof(*b.ids));
    batch_validate(rq, arr, &b);
    int rc =
        b.nvalid ? store_message_insert_batch(rq->store, b.valid, b.nvalid, false, b.ids, &err) : 0;
    if (rc == 0) {
        rs->status = 200;
        rs->body = batch_results(&b);
    } else {
        int64_t cost = 0;
        for (size_t k = 0; k < b.nvalid; k++)
            cost += b.valid[k].cost;
        insert_failed(rq, cost, rc, &err, rs);
    }
    batch_free(&b);
}

/* The request's shape: {messages:[1..STORE_INSERT_BATCH_MAX]}, no Idempotency-Key. */
static const json_t *batch_array(const struct api_request *rq, const json_t *obj,
                                 struct api_problem *p)
{
    static const struct api_jfield fields[] = {{"messages", API_JARRAY, true}};
    if (api_json_check(obj, fields, 1, p) != 0)
        return NULL;
    const json_t *arr = json_object_get(obj, "messages");
    size_t n = json_array_size(arr);
    if (rq->idempotency_key)
        api_problem_set(p, 400, "unsupported_header", "Idempotency-Key",
                        "Idempotency-Key applies to POST /v1/messages, not to batches");
    else if (n == 0)
        api_problem_set(p, 422, "empty_batch", "messages", "messages is empty");
    else if (n > STORE_INSERT_BATCH_MAX)
        api_problem_set(p, 413, "too_many_messages", "messages",
                        "a batch holds at most %d messages (got %zu)", STORE_INSERT_BATCH_MAX, n);
    else
        return arr;
    return NULL;
}

bool api_messages_batch_route(const char *method, const char *path)
{
    return strcmp(method, "POST") == 0 && strcmp(path, "/v1/messages/batch") == 0;
}

void api_messages_batch(const struct api_request *rq, struct api_response *rs)
{
    struct api_problem p;
    json_t *obj = api_json_body(rq, &p);
    const json_t *arr = obj ? batch_array(rq, obj, &p) : NULL;
    if (arr)
        batch_run(rq, arr, rs);
    else
        api_problem_respond(rs, &p);
    json_decref(obj);
}

/* --- GET, DELETE /v1/messages/{id} ----------------------------------------------- */

/* A message id from the path: a positive decimal; anything else is no message. */
static bool parse_id(const struct api_request *rq, int64_t *id, struct api_response *rs)
{
    const char *s = rq->nparams ? rq->params[0] : "";
    size_t n = strlen(s);
    bool ok = n > 0 && n <= 18 && strspn(s, "0123456789") == n;
    *id = ok ? strtoll(s, NULL, 10) : 0;
    if (*id > 0)
        return true;
    api_error(rs, 404, "not_found", "id", "no message '%.40s'", s);
    return false;
}

/* Answers with message id of the account, parts and events included. */
static void answer_message(const struct api_request *rq, int64_t id, struct api_response *rs)
{
    struct store_message m;
    struct rl_err err = {0};
    int rc = store_message_get(rq->store, rq->account_id, id, &m, &err);
    if (rc == RL_ENOTFOUND) {
        api_error(rs, 404, "not_found", "id", "no message %lld", (long long)id);
        return;
    }
    if (rc != 0) {
        internal(rs, "read the message", rc, &err);
        return;
    }
    rs->status = 200;
    rs->body = message_json(&m, true);
    store_message_release(&m);
}

void api_messages_get(const struct api_request *rq, struct api_response *rs)
{
    int64_t id;
    if (parse_id(rq, &id, rs))
        answer_message(rq, id, rs);
}

void api_messages_cancel(const struct api_request *rq, struct api_response *rs)
{
    int64_t id;
    struct rl_err err = {0};
    if (!parse_id(rq, &id, rs))
        return;
    int rc = store_message_cancel(rq->store, rq->account_id, id, "api", &err);
    if (rc == 0)
        answer_message(rq, id, rs);
    else if (rc == RL_ENOTFOUND)
        api_error(rs, 404, "not_found", "id", "no message %lld", (long long)id);
    else if (rc == RL_EINVAL)
        api_error(rs, 409, "not_cancellable", "status", "%s", err.msg);
    else
        internal(rs, "cancel the message", rc, &err);
}

/* --- GET /v1/messages ------------------------------------------------------------ */

static int list_param(const struct api_kv *kv, struct store_list_query *q, struct api_problem *p)
{
    struct rl_err err = {0};
    enum msg_state st;
    if (strcmp(kv->key, "status") == 0) {
        if (msg_state_parse(kv->value, &st, &err) != 0)
            return api_problem_set(p, 422, "invalid_value", "status", "%s", err.msg);
        q->state = (int)st;
    } else if (strcmp(kv->key, "since") == 0) {
        if (api_time_parse(kv->value, &q->since) != 0)
            return api_problem_set(p, 422, "invalid_time", "since",
                                   "since '%.40s' is not an RFC 3339 date-time", kv->value);
    } else if (strcmp(kv->key, "limit") == 0) {
        size_t n = strlen(kv->value);
        q->limit = n > 0 && n <= 4 && strspn(kv->value, "0123456789") == n
                       ? (size_t)strtoul(kv->value, NULL, 10)
                       : 0;
        if (q->limit < 1 || q->limit > STORE_LIST_MAX)
            return api_problem_set(p, 422, "out_of_range", "limit",
                                   "limit '%.20s' is not a whole number from 1 to %d", kv->value,
                                   STORE_LIST_MAX);
    } else if (strcmp(kv->key, "cursor") == 0) {
        q->cursor = kv->value;
    } else {
        return api_problem_set(p, 400, "unknown_parameter", kv->key,
                               "unknown query parameter '%.40s' (known: status, since, cursor, "
                               "limit)",
                               kv->key);
    }
    return 0;
}

static int list_query(const struct api_request *rq, struct store_list_query *q,
                      struct api_problem *p)
{
    *q =
        (struct store_list_query){.account_id = rq->account_id, .state = -1, .limit = LIST_DEFAULT};
    if (rq->query_overflow)
        return api_problem_set(p, 400, "too_many_parameters", NULL, "at most %d query parameters",
                               API_QUERY_MAX);
    for (size_t i = 0; i < rq->nquery; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(rq->query[i].key, rq->query[j].key) == 0)
                return api_problem_set(p, 400, "duplicate_parameter", rq->query[i].key,
                                       "query parameter '%.40s' is given twice", rq->query[i].key);
        }
        if (list_param(&rq->query[i], q, p) != 0)
            return -1;
    }
    return 0;
}

void api_messages_list(const struct api_request *rq, struct api_response *rs)
{
    struct store_list_query q;
    struct store_message_page page;
    struct api_problem p;
    struct rl_err err = {0};
    if (list_query(rq, &q, &p) != 0) {
        api_problem_respond(rs, &p);
        return;
    }
    int rc = store_message_list(rq->store, &q, &page, &err);
    if (rc == RL_EINVAL && strcmp(err.field, "cursor") == 0) {
        api_error(rs, 400, "invalid_cursor", "cursor",
                  "cursor is not one this API gave (use next_cursor as it came)");
        return;
    }
    if (rc != 0) {
        internal(rs, "list messages", rc, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < page.n; i++)
        json_array_append_new(items, message_json(&page.items[i], false));
    rs->status = 200;
    rs->body = json_pack("{s:o,s:o}", "messages", items, "next_cursor",
                         page.next_cursor[0] ? json_string(page.next_cursor) : json_null());
    store_message_page_release(&page);
}
