#include "api/api_contacts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_auth.h"
#include "api/api_config.h"
#include "api/api_optouts.h"
#include "core/log.h"
#include "core/mem.h"
#include "domain/contact.h"
#include "domain/contact_import.h"
#include "domain/csvimport.h"
#include "phone/phone.h"
#include "core/banned.h"

/* --- shared helpers ---------------------------------------------------------------- */

static json_t *time_json(int64_t ms)
{
    char s[API_TIME_SIZE];
    api_time_format(ms, s);
    return json_string(s);
}

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *fields_json(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_object();
}

json_t *api_contact_json(const struct store_contact *c, const struct store_list_page *lists)
{
    json_t *o = json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)c->id,
                          "phone", c->phone, "phone_type", c->phone_type, "email",
                          text_or_null(c->email), "first_name", text_or_null(c->first_name),
                          "last_name", text_or_null(c->last_name), "language",
                          text_or_null(c->language), "fields", fields_json(c->fields), "created_at",
                          time_json(c->created_at), "updated_at", time_json(c->updated_at));
    if (lists) {
        json_t *arr = json_array();
        for (size_t i = 0; i < lists->n; i++)
            json_array_append_new(arr, json_pack("{s:I,s:s}", "id", (json_int_t)lists->items[i].id,
                                                 "name", lists->items[i].name));
        json_object_set_new(o, "lists", arr);
    }
    return o;
}

json_t *api_contact_page_json(const struct store_contact_page *p)
{
    json_t *items = json_array();
    for (size_t i = 0; i < p->n; i++)
        json_array_append_new(items, api_contact_json(&p->items[i], NULL));
    return json_pack("{s:o,s:o}", "contacts", items, "next_cursor",
                     p->next_cursor[0] ? json_string(p->next_cursor) : json_null());
}

void api_store_failed(struct api_response *rs, int rc, const struct rl_err *err,
                      const char *code_exists, const char *what)
{
    const char *field = err->field[0] ? err->field : NULL;
    if (rc == RL_ENOTFOUND)
        api_error(rs, 404, "not_found", field, "%s", err->msg);
    else if (rc == -EEXIST)
        api_error(rs, 409, code_exists, field, "%s", err->msg);
    else if (rc == RL_EINVAL && field && strcmp(field, "cursor") == 0)
        api_error(rs, 400, "invalid_cursor", "cursor",
                  "cursor is not one this API gave (use next_cursor as it came)");
    else if (rc == RL_EINVAL || rc == RL_ERANGE)
        api_error(rs, 422, rc == RL_ERANGE ? "out_of_range" : "invalid_value", field, "%s",
                  err->msg);
    else if (rc == RL_ETOOLONG)
        api_error(rs, 422, "too_long", field, "%s", err->msg);
    else {
        log_error("api", "store_failed", "op=%s rc=%s detail=\"%s\"", what, rl_errname(rc),
                  err->msg);
        api_error(rs, 500, "internal_error", NULL, "the store failed to %s; try again", what);
    }
}

int api_query_read(const struct api_request *rq, const char *const *names, const char **vals,
                   size_t n, struct api_problem *p)
{
    for (size_t k = 0; k < n; k++)
        vals[k] = NULL;
    if (rq->query_overflow)
        return api_problem_set(p, 400, "too_many_parameters", NULL, "at most %d query parameters",
                               API_QUERY_MAX);
    for (size_t i = 0; i < rq->nquery; i++) {
        const char *key = rq->query[i].key;
        size_t k = 0;
        while (k < n && strcmp(names[k], key) != 0)
            k++;
        if (k == n) {
            char known[128] = "";
            size_t used = 0;
            for (size_t j = 0; j < n && used < sizeof(known); j++) {
                int w =
                    snprintf(known + used, sizeof(known) - used, "%s%s", j ? ", " : "", names[j]);
                used += w > 0 ? (size_t)w : 0;
            }
            return api_problem_set(p, 400, "unknown_parameter", key,
                                   "unknown query parameter '%.40s' (known: %s)", key, known);
        }
        if (vals[k])
            return api_problem_set(p, 400, "duplicate_parameter", key,
                                   "query parameter '%.40s' is given twice", key);
        vals[k] = rq->query[i].value;
    }
    return 0;
}

int api_limit_read(const char *v, size_t *limit, struct api_problem *p)
{
    *limit = API_PAGE_DEFAULT;
    if (!v)
        return 0;
    size_t n = strlen(v);
    *limit = n > 0 && n <= 4 && strspn(v, "0123456789") == n ? (size_t)strtoul(v, NULL, 10) : 0;
    if (*limit < 1 || *limit > STORE_LIST_MAX)
        return api_problem_set(p, 422, "out_of_range", "limit",
                               "limit '%.20s' is not a whole number from 1 to %d", v,
                               STORE_LIST_MAX);
    return 0;
}

/* A positive decimal of at most 18 digits (so that it fits an int64). */
static int64_t parse_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= 18 && strspn(s, "0123456789") == n ? strtoll(s, NULL, 10) : 0;
}

bool api_path_id(const struct api_request *rq, const char *what, int64_t *id,
                 struct api_response *rs)
{
    const char *s = rq->nparams ? rq->params[0] : "";
    *id = parse_id(s);
    if (*id > 0)
        return true;
    api_error(rs, 404, "not_found", "id", "no %s '%.40s'", what, s);
    return false;
}

int api_phone_read(const struct api_request *rq, const char *s, size_t len, const char *field,
                   char e164[STORE_PHONE_SIZE], const char **type, struct api_problem *p)
{
    struct phone_info pi;
    struct rl_err err = {0};
    const char *region = rq->cfg->default_region[0] ? rq->cfg->default_region : NULL;
    /* The parse every number a user types goes through (POST /v1/messages'
     * "to", imports, campaigns): a French overseas mobile written nationally
     * (0692…) is the same contact here as in a CSV file. */
    int rc = phone_parse_typed(s, len, region, &pi, &err);
    if (rc == RL_EPHONE)
        return api_problem_set(p, 422, "invalid_phone", field, "%s", err.msg);
    if (rc != 0)
        return api_problem_set(p, 500, "internal_error", NULL, "phone.default_region: %s", err.msg);
    snprintf(e164, STORE_PHONE_SIZE, "%s", pi.e164);
    *type = phone_type_name(pi.type);
    return 0;
}

/* --- reading a contact from a body ------------------------------------------------ */

static const struct api_jfield create_fields[] = {
    {"phone", API_JSTRING, true},       {"email", API_JSTRING, false},
    {"first_name", API_JSTRING, false}, {"last_name", API_JSTRING, false},
    {"language", API_JSTRING, false},   {"fields", API_JOBJECT, false},
};

static const struct api_jfield patch_fields[] = {
    {"phone", API_JSTRING, false},      {"email", API_JSTRING, false},
    {"first_name", API_JSTRING, false}, {"last_name", API_JSTRING, false},
    {"language", API_JSTRING, false},   {"fields", API_JOBJECT, false},
};

/* A body read: new contact or patch, pointing into this struct and the JSON. */
struct contact_in {
    struct store_contact_new n;
    struct store_contact_patch p;
    char phone[STORE_PHONE_SIZE];
    char language[STORE_CONTACT_LANG_MAX + 1];
    char *fields; /* owned */
    bool changes; /* a patch with at least one member */
};

static int problem_of(struct api_problem *p, const struct rl_err *err, const char *code)
{
    return api_problem_set(p, 422, err->code == RL_ETOOLONG ? "too_long" : code, err->field, "%s",
                           err->msg);
}

/* Member name of obj: absent (0), null (1), or a value (2) checked and kept. */
static int member(const json_t *obj, const char *name, const json_t **v)
{
    *v = json_object_get(obj, name);
    return !*v ? 0 : json_is_null(*v) ? 1 : 2;
}

static int read_texts(const json_t *obj, struct contact_in *in, struct api_problem *p)
{
    struct rl_err err = {0};
    const json_t *v;
    int m;
    if ((m = member(obj, "email", &v)) != 0) {
        in->p.set_email = true;
        if (m == 2 && contact_email_check(json_string_value(v), json_string_length(v), &err) != 0)
            return problem_of(p, &err, "invalid_email");
        in->n.email = in->p.email = m == 2 ? json_string_value(v) : NULL;
    }
    static const char *const names[] = {"first_name", "last_name"};
    for (int i = 0; i < 2; i++) {
        if ((m = member(obj, names[i], &v)) == 0)
            continue;
        if (m == 2 &&
            contact_name_check(json_string_value(v), json_string_length(v), names[i], &err) != 0)
            return problem_of(p, &err, "invalid_value");
        const char *s = m == 2 ? json_string_value(v) : NULL;
        if (i == 0)
            in->n.first_name = in->p.first_name = s, in->p.set_first_name = true;
        else
            in->n.last_name = in->p.last_name = s, in->p.set_last_name = true;
    }
    if ((m = member(obj, "language", &v)) != 0) {
        in->p.set_language = true;
        if (m == 2 && contact_language_norm(json_string_value(v), json_string_length(v),
                                            in->language, &err) != 0)
            return problem_of(p, &err, "invalid_language");
        in->n.language = in->p.language = m == 2 ? in->language : NULL;
    }
    return 0;
}

static int read_contact(const struct api_request *rq, const json_t *obj, bool patch,
                        struct contact_in *in, struct api_problem *p)
{
    struct rl_err err = {0};
    const json_t *v;
    int m;
    memset(in, 0, sizeof(*in));
    if (api_json_check(obj, patch ? patch_fields : create_fields, 6, p) != 0)
        return -1;
    in->changes = json_object_size(obj) > 0;
    if ((m = member(obj, "phone", &v)) == 1)
        return api_problem_set(p, 422, "invalid_value", "phone",
                               "phone cannot be removed: a contact is its number");
    if (m == 2) {
        if (api_phone_read(rq, json_string_value(v), json_string_length(v), "phone", in->phone,
                           &in->n.phone_type, p) != 0)
            return -1;
        in->n.phone = in->p.phone = in->phone;
        in->p.phone_type = in->n.phone_type;
    }
    if (read_texts(obj, in, p) != 0)
        return -1;
    if ((m = member(obj, "fields", &v)) == 1) {
        in->p.fields_op = STORE_FIELDS_CLEAR;
    } else if (m == 2) {
        /* A patch merges (null deletes a field); a new contact has no null to delete. */
        in->fields = contact_fields_json(v, patch, &err);
        if (!in->fields)
            return problem_of(p, &err, "invalid_value");
        in->n.fields = in->p.fields = in->fields;
        in->p.fields_op = STORE_FIELDS_MERGE;
    }
    return 0;
}

/* --- handlers ------------------------------------------------------------------------ */

/* The contact's consent: its number's, which outlives the contact (opt-outs
 * are by number), without the number the contact already shows. */
static int consent_of(const struct api_request *rq, const struct store_contact *c, json_t *o,
                      struct rl_err *err)
{
    json_t *v;
    int rc = api_consent_json(rq, c->phone, &v, err);
    if (rc != 0)
        return rc;
    json_object_del(v, "number");
    json_object_set_new(o, "consent", v);
    return 0;
}

/* Answers with contact id, its lists and its consent. */
static void answer_contact(const struct api_request *rq, int64_t id, unsigned status,
                           struct api_response *rs)
{
    struct store_contact c;
    struct store_list_page lists;
    struct rl_err err = {0};
    int rc = store_contact_get(rq->store, rq->account_id, id, &c, &err);
    if (rc != 0) {
        api_store_failed(rs, rc, &err, "contact_exists", "read the contact");
        return;
    }
    rc = store_contact_lists(rq->store, rq->account_id, id, &lists, &err);
    if (rc != 0) {
        api_store_failed(rs, rc, &err, "contact_exists", "read the contact's lists");
        store_contact_release(&c);
        return;
    }
    json_t *body = api_contact_json(&c, &lists);
    store_list_page_release(&lists);
    rc = consent_of(rq, &c, body, &err);
    store_contact_release(&c);
    if (rc != 0) {
        json_decref(body);
        api_store_failed(rs, rc, &err, "contact_exists", "read the contact's consent");
        return;
    }
    rs->status = status;
    rs->body = body;
}

void api_contacts_create(const struct api_request *rq, struct api_response *rs)
{
    struct api_problem p;
    struct contact_in in;
    struct rl_err err = {0};
    int64_t id = 0;
    json_t *obj = api_json_body(rq, &p);
    memset(&in, 0, sizeof(in));
    if (!obj || read_contact(rq, obj, false, &in, &p) != 0) {
        api_problem_respond(rs, &p);
        goto out;
    }
    int rc = store_contact_create(rq->store, rq->account_id, &in.n, &id, &err);
    if (rc == 0) {
        answer_contact(rq, id, 201, rs);
        api_header_add(rs, "Location", "/v1/contacts/%lld", (long long)id);
    } else {
        api_store_failed(rs, rc, &err, "contact_exists", "create the contact");
    }
out:
    free(in.fields);
    json_decref(obj);
}

void api_contacts_get(const struct api_request *rq, struct api_response *rs)
{
    int64_t id;
    if (api_path_id(rq, "contact", &id, rs))
        answer_contact(rq, id, 200, rs);
}

void api_contacts_update(const struct api_request *rq, struct api_response *rs)
{
    struct api_problem p;
    struct contact_in in;
    struct rl_err err = {0};
    int64_t id;
    memset(&in, 0, sizeof(in));
    if (!api_path_id(rq, "contact", &id, rs))
        return;
    json_t *obj = api_json_body(rq, &p);
    if (!obj || read_contact(rq, obj, true, &in, &p) != 0) {
        api_problem_respond(rs, &p);
        goto out;
    }
    /* An empty patch changes nothing, not even updated_at. */
    int rc = in.changes ? store_contact_update(rq->store, rq->account_id, id, &in.p, &err) : 0;
    if (rc == 0)
        answer_contact(rq, id, 200, rs);
    else
        api_store_failed(rs, rc, &err, "contact_exists", "update the contact");
out:
    free(in.fields);
    json_decref(obj);
}

void api_contacts_delete(const struct api_request *rq, struct api_response *rs)
{
    int64_t id;
    struct rl_err err = {0};
    if (!api_path_id(rq, "contact", &id, rs))
        return;
    int rc = store_contact_delete(rq->store, rq->account_id, id, &err);
    if (rc != 0) {
        api_store_failed(rs, rc, &err, "contact_exists", "delete the contact");
        return;
    }
    rs->status = 200;
    rs->body = json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1);
}

void api_contacts_list(const struct api_request *rq, struct api_response *rs)
{
    static const char *const names[] = {"list", "phone", "cursor", "limit"};
    const char *v[4];
    char phone[STORE_PHONE_SIZE];
    const char *type;
    struct api_problem p;
    struct rl_err err = {0};
    struct store_contact_query q = {.account_id = rq->account_id};
    if (api_query_read(rq, names, v, 4, &p) != 0 || api_limit_read(v[3], &q.limit, &p) != 0)
        goto bad;
    if (v[0] && (q.list_id = parse_id(v[0])) <= 0) {
        api_problem_set(&p, 422, "invalid_value", "list", "list '%.40s' is not a list id", v[0]);
        goto bad;
    }
    if (v[1] && api_phone_read(rq, v[1], strlen(v[1]), "phone", phone, &type, &p) != 0)
        goto bad;
    q.phone = v[1] ? phone : NULL;
    q.cursor = v[2];
    struct store_contact_page page;
    int rc = store_contact_list(rq->store, &q, &page, &err);
    if (rc != 0) {
        api_store_failed(rs, rc, &err, "contact_exists", "list contacts");
        return;
    }
    rs->status = 200;
    rs->body = api_contact_page_json(&page);
    store_contact_page_release(&page);
    return;
bad:
    api_problem_respond(rs, &p);
}

/* --- POST /v1/contacts/import ------------------------------------------------------ */

#define IMPORT_BYTES_MAX ((uint64_t)1 << 30)

struct api_import {
    struct contact_import *ci;
    uint64_t bytes;
    int rc; /* the first failure, answered by api_import_finish */
    struct rl_err err;
    char list[STORE_LIST_NAME_MAX + 1];
};

bool api_import_streams(const char *method, const char *path)
{
    return strcmp(method, "POST") == 0 && strcmp(path, "/v1/contacts/import") == 0;
}

/* The query, checked before anything is read of the body. */
static struct api_import *import_open(const struct api_request *rq, const char *content_type,
                                      int64_t content_length, struct api_response *rs)
{
    static const char *const names[] = {"list", "region"};
    const char *v[2];
    struct api_problem p;
    struct rl_err err = {0};
    if (api_query_read(rq, names, v, 2, &p) != 0) {
        api_problem_respond(rs, &p);
        return NULL;
    }
    if (!v[0]) {
        api_error(rs, 400, "missing_parameter", "list",
                  "list is required: the name of the list the contacts join");
        return NULL;
    }
    if (content_type && strncasecmp(content_type, "multipart/", 10) == 0) {
        api_error(rs, 415, "unsupported_media_type", "Content-Type",
                  "send the CSV file itself as the body (Content-Type: text/csv), not a form");
        return NULL;
    }
    if (content_length > (int64_t)IMPORT_BYTES_MAX) {
        api_error(rs, 413, "body_too_large", NULL, "an import is at most %llu bytes (got %lld)",
                  (unsigned long long)IMPORT_BYTES_MAX, (long long)content_length);
        return NULL;
    }
    /* "fr" reads as FR; anything but two letters is no region. */
    char region[3] = "";
    if (v[1] && strlen(v[1]) == 2) {
        region[0] = (char)toupper((unsigned char)v[1][0]);
        region[1] = (char)toupper((unsigned char)v[1][1]);
    }
    const char *dflt = rq->cfg->default_region[0] ? rq->cfg->default_region : NULL;
    if (v[1] && !phone_region_valid(region)) {
        api_error(rs, 422, "invalid_value", "region",
                  "region '%.20s' is not a region code such as FR or BE", v[1]);
        return NULL;
    }
    struct api_import *im = xcalloc(1, sizeof(*im));
    struct contact_import_opts o = {.store = rq->store,
                                    .account_id = rq->account_id,
                                    .list = v[0],
                                    .region = v[1] ? region : dflt};
    if (contact_import_new(&o, &im->ci, &err) != 0) {
        api_error(rs, 422, "invalid_value", err.field, "%s", err.msg);
        free(im);
        return NULL;
    }
    snprintf(im->list, sizeof(im->list), "%s", v[0]);
    return im;
}

struct api_import *api_import_begin(struct api_request *rq, const char *content_type,
                                    int64_t content_length, struct api_response *rs)
{
    if (!api_auth(rq, rs))
        return NULL;
    return import_open(rq, content_type, content_length, rs);
}

int api_import_feed(struct api_import *im, const char *data, size_t len)
{
    if (im->rc != 0)
        return -1;
    im->bytes += len;
    if (im->bytes > IMPORT_BYTES_MAX) {
        im->rc = rl_err_set(&im->err, RL_ETOOLONG, "body", "an import is at most %llu bytes",
                            (unsigned long long)IMPORT_BYTES_MAX);
        return -1;
    }
    im->rc = contact_import_feed(im->ci, data, len, &im->err);
    return im->rc ? -1 : 0;
}

/* Answers a failed import: what the file or the store did wrong, and how far
 * it got (the rows committed before stay). */
static void import_failed(struct api_import *im, struct api_response *rs)
{
    const struct rl_err *e = &im->err;
    size_t written = contact_import_written(im->ci);
    char done[160] = "";
    if (written)
        snprintf(done, sizeof(done), "; the %zu rows before were imported into '%.40s'", written,
                 im->list);
    if (strcmp(e->field, "body") == 0)
        api_error(rs, 413, "body_too_large", NULL, "%s%s", e->msg, done);
    else if (im->rc == RL_ETOOLONG && contact_import_report(im->ci)->rows >= CSVIMPORT_ROWS_MAX)
        api_error(rs, 413, "too_many_rows", NULL, "%s%s", e->msg, done);
    else if (im->rc == RL_EPARSE || im->rc == RL_ETOOLONG)
        api_error(rs, 400, "invalid_csv", e->field[0] ? e->field : NULL, "%s%s", e->msg, done);
    else
        api_store_failed(rs, im->rc, e, "contact_exists", "import the contacts");
}

void api_import_finish(struct api_import *im, struct api_response *rs)
{
    if (im->rc == 0)
        im->rc = contact_import_finish(im->ci, &im->err);
    if (im->rc == 0) {
        rs->status = 200;
        rs->body = contact_import_report_json(im->ci);
    } else {
        import_failed(im, rs);
    }
    api_import_abort(im);
}

void api_import_abort(struct api_import *im)
{
    if (!im)
        return;
    contact_import_free(im->ci);
    free(im);
}

void api_contacts_import(const struct api_request *rq, struct api_response *rs)
{
    struct api_import *im = import_open(rq, NULL, (int64_t)rq->body_len, rs);
    if (!im)
        return;
    if (rq->body_len)
        api_import_feed(im, rq->body, rq->body_len);
    api_import_finish(im, rs);
}
