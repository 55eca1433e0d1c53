#include "api/api_lists.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_contacts.h"
#include "api/api_json.h"
#include "core/mem.h"
#include "text/utf8.h"
#include "core/banned.h"

#define MEMBERS_MAX STORE_LIST_MAX /* contact_ids or phones per request */

static json_t *time_json(int64_t ms)
{
    char s[API_TIME_SIZE];
    api_time_format(ms, s);
    return json_string(s);
}

static json_t *list_json(const struct store_list *l)
{
    return json_pack("{s:I,s:s,s:I,s:o,s:o}", "id", (json_int_t)l->id, "name", l->name, "contacts",
                     (json_int_t)l->contacts, "created_at", time_json(l->created_at), "updated_at",
                     time_json(l->updated_at));
}

static void answer_list(const struct api_request *rq, int64_t id, unsigned status,
                        struct api_response *rs)
{
    struct store_list l;
    struct rl_err err = {0};
    int rc = store_list_get(rq->store, rq->account_id, id, &l, &err);
    if (rc != 0) {
        api_store_failed(rs, rc, &err, "list_exists", "read the list");
        return;
    }
    rs->status = status;
    rs->body = list_json(&l);
}

/* {name}: 1..STORE_LIST_NAME_MAX bytes of UTF-8 without control characters. */
static const char *read_name(const struct api_request *rq, json_t **obj, struct api_problem *p)
{
    static const struct api_jfield fields[] = {{"name", API_JSTRING, true}};
    *obj = api_json_body(rq, p);
    if (!*obj || api_json_check(*obj, fields, 1, p) != 0)
        return NULL;
    const json_t *v = json_object_get(*obj, "name");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    bool ok = n > 0 && n <= STORE_LIST_NAME_MAX && utf8_validate(s, n, NULL) == 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
    if (!ok) {
        api_problem_set(p, 422, "invalid_value", "name",
                        "name '%.40s' is not 1 to %d bytes without control characters", s,
                        STORE_LIST_NAME_MAX);
        return NULL;
    }
    return s;
}

void api_lists_create(const struct api_request *rq, struct api_response *rs)
{
    struct api_problem p;
    struct rl_err err = {0};
    json_t *obj;
    int64_t id = 0;
    const char *name = read_name(rq, &obj, &p);
    int rc = name ? store_list_create(rq->store, rq->account_id, name, &id, &err) : 0;
    if (!name) {
        api_problem_respond(rs, &p);
    } else if (rc == 0) {
        answer_list(rq, id, 201, rs);
        api_header_add(rs, "Location", "/v1/lists/%lld", (long long)id);
    } else {
        api_store_failed(rs, rc, &err, "list_exists", "create the list");
    }
    json_decref(obj);
}

void api_lists_get(const struct api_request *rq, struct api_response *rs)
{
    int64_t id;
    if (api_path_id(rq, "list", &id, rs))
        answer_list(rq, id, 200, rs);
}

void api_lists_update(const struct api_request *rq, struct api_response *rs)
{
    struct api_problem p;
    struct rl_err err = {0};
    json_t *obj = NULL;
    int64_t id;
    if (!api_path_id(rq, "list", &id, rs))
        return;
    const char *name = read_name(rq, &obj, &p);
    int rc = name ? store_list_rename(rq->store, rq->account_id, id, name, &err) : 0;
    if (!name)
        api_problem_respond(rs, &p);
    else if (rc == 0)
        answer_list(rq, id, 200, rs);
    else
        api_store_failed(rs, rc, &err, "list_exists", "rename the list");
    json_decref(obj);
}

void api_lists_delete(const struct api_request *rq, struct api_response *rs)
{
    int64_t id;
    struct rl_err err = {0};
    if (!api_path_id(rq, "list", &id, rs))
        return;
    int rc = store_list_delete(rq->store, rq->account_id, id, &err);
    if (rc != 0) {
        api_store_failed(rs, rc, &err, "list_exists", "delete the list");
        return;
    }
    rs->status = 200;
    rs->body = json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1);
}

void api_lists_list(const struct api_request *rq, struct api_response *rs)
{
    static const char *const names[] = {"cursor", "limit"};
    const char *v[2];
    size_t limit;
    struct api_problem p;
    struct rl_err err = {0};
    struct store_list_page page;
    if (api_query_read(rq, names, v, 2, &p) != 0 || api_limit_read(v[1], &limit, &p) != 0) {
        api_problem_respond(rs, &p);
        return;
    }
    int rc = store_list_list(rq->store, rq->account_id, v[0], limit, &page, &err);
    if (rc != 0) {
        api_store_failed(rs, rc, &err, "list_exists", "list lists");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < page.n; i++)
        json_array_append_new(items, list_json(&page.items[i]));
    rs->status = 200;
    rs->body = json_pack("{s:o,s:o}", "lists", items, "next_cursor",
                         page.next_cursor[0] ? json_string(page.next_cursor) : json_null());
    store_list_page_release(&page);
}

void api_lists_members(const struct api_request *rq, struct api_response *rs)
{
    static const char *const names[] = {"cursor", "limit"};
    const char *v[2];
    struct api_problem p;
    struct rl_err err = {0};
    struct store_contact_page page;
    struct store_contact_query q = {.account_id = rq->account_id};
    if (!api_path_id(rq, "list", &q.list_id, rs))
        return;
    if (api_query_read(rq, names, v, 2, &p) != 0 || api_limit_read(v[1], &q.limit, &p) != 0) {
        api_problem_respond(rs, &p);
        return;
    }
    q.cursor = v[0];
    int rc = store_contact_list(rq->store, &q, &page, &err);
    if (rc == RL_ENOTFOUND)
        api_error(rs, 404, "not_found", "id", "%s", err.msg);
    else if (rc != 0)
        api_store_failed(rs, rc, &err, "list_exists", "list the list's contacts");
    if (rc != 0)
        return;
    rs->status = 200;
    rs->body = api_contact_page_json(&page);
    store_contact_page_release(&page);
}

/* --- membership ---------------------------------------------------------------------- */

/* The body of POST and DELETE …/contacts: contact_ids or phones, one of them,
 * 1..MEMBERS_MAX items, read into ids or rows (new arrays). */
struct members_in {
    int64_t *ids;
    size_t nids;
    struct store_contact_new *rows;
    char (*phones)[STORE_PHONE_SIZE];
    size_t nrows;
};

static void members_release(struct members_in *m)
{
    free(m->ids);
    free(m->rows);
    free(m->phones);
}

static int read_ids(const json_t *arr, struct members_in *m, struct api_problem *p)
{
    size_t n = json_array_size(arr);
    m->ids = xcalloc(n, sizeof(*m->ids));
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        char field[48];
        snprintf(field, sizeof(field), "contact_ids[%zu]", i);
        if (!json_is_integer(v))
            return api_problem_set(p, 400, "invalid_type", field, "%s must be an integer, not %s",
                                   field, api_json_type_name(v));
        if (json_integer_value(v) <= 0)
            return api_problem_set(p, 422, "invalid_value", field, "%s (%lld) is not a contact id",
                                   field, (long long)json_integer_value(v));
        m->ids[m->nids++] = json_integer_value(v);
    }
    return 0;
}

static int read_phones(const struct api_request *rq, const json_t *arr, struct members_in *m,
                       struct api_problem *p)
{
    size_t n = json_array_size(arr);
    m->rows = xcalloc(n, sizeof(*m->rows));
    m->phones = xcalloc(n, sizeof(*m->phones));
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        char field[48];
        snprintf(field, sizeof(field), "phones[%zu]", i);
        if (!json_is_string(v))
            return api_problem_set(p, 400, "invalid_type", field, "%s must be a string, not %s",
                                   field, api_json_type_name(v));
        if (api_phone_read(rq, json_string_value(v), json_string_length(v), field, m->phones[i],
                           &m->rows[i].phone_type, p) != 0)
            return -1;
        m->rows[i].phone = m->phones[i];
        m->nrows++;
    }
    return 0;
}

static int read_members(const struct api_request *rq, struct members_in *m, struct api_problem *p)
{
    static const struct api_jfield fields[] = {{"contact_ids", API_JARRAY, false},
                                               {"phones", API_JARRAY, false}};
    memset(m, 0, sizeof(*m));
    json_t *obj = api_json_body(rq, p);
    int rc = obj ? api_json_check(obj, fields, 2, p) : -1;
    const json_t *ids = obj ? api_json_get(obj, "contact_ids") : NULL;
    const json_t *phones = obj ? api_json_get(obj, "phones") : NULL;
    const char *field = ids ? "contact_ids" : "phones";
    size_t n = json_array_size(ids ? ids : phones);
    if (rc != 0)
        ;
    else if (ids && phones)
        rc = api_problem_set(p, 400, "conflicting_fields", "phones",
                             "give either contact_ids or phones, not both");
    else if (!ids && !phones)
        rc = api_problem_set(p, 400, "missing_field", "contact_ids",
                             "contact_ids (or phones) is required");
    else if (n == 0)
        rc = api_problem_set(p, 422, "empty_array", field, "%s is empty", field);
    else if (n > MEMBERS_MAX)
        rc = api_problem_set(p, 413, "too_many_contacts", field,
                             "%s holds at most %d items (got %zu)", field, MEMBERS_MAX, n);
    else
        rc = ids ? read_ids(ids, m, p) : read_phones(rq, phones, m, p);
    json_decref(obj);
    return rc;
}

void api_lists_members_add(const struct api_request *rq, struct api_response *rs)
{
    struct members_in m;
    struct api_problem p;
    struct rl_err err = {0};
    size_t added = 0, already = 0, created = 0;
    int64_t list;
    int rc;
    if (!api_path_id(rq, "list", &list, rs))
        return;
    if (read_members(rq, &m, &p) != 0) {
        api_problem_respond(rs, &p);
        goto out;
    }
    if (m.ids) {
        rc = store_list_members_add(rq->store, rq->account_id, list, m.ids, m.nids, &added,
                                    &already, &err);
    } else {
        struct store_upsert u = {
            .account_id = rq->account_id, .list_id = list, .rows = m.rows, .n = m.nrows};
        rc = store_contacts_upsert(rq->store, &u, &err);
        created = u.created;
        added = u.created + u.updated;
        already = u.duplicates;
    }
    if (rc == RL_ENOTFOUND && strcmp(err.field, "list") == 0) {
        api_error(rs, 404, "not_found", "id", "%s", err.msg);
    } else if (rc == RL_ENOTFOUND) {
        api_error(rs, 422, "unknown_contact", err.field, "%s", err.msg);
    } else if (rc != 0) {
        api_store_failed(rs, rc, &err, "list_exists", "add the list's contacts");
    } else {
        rs->status = 200;
        rs->body = json_pack("{s:I,s:I,s:I}", "added", (json_int_t)added, "already_members",
                             (json_int_t)already, "created", (json_int_t)created);
    }
out:
    members_release(&m);
}

/* The ids of the numbers' contacts; a number without one is not a member. */
static int phones_to_ids(const struct api_request *rq, struct members_in *m, size_t *unknown,
                         struct rl_err *err)
{
    m->ids = xcalloc(m->nrows, sizeof(*m->ids));
    for (size_t i = 0; i < m->nrows; i++) {
        struct store_contact c;
        int rc = store_contact_find(rq->store, rq->account_id, m->rows[i].phone, &c, err);
        if (rc == RL_ENOTFOUND) {
            (*unknown)++;
            continue;
        }
        if (rc != 0)
            return rc;
        m->ids[m->nids++] = c.id;
        store_contact_release(&c);
    }
    return 0;
}

void api_lists_members_remove(const struct api_request *rq, struct api_response *rs)
{
    struct members_in m;
    struct api_problem p;
    struct rl_err err = {0};
    size_t removed = 0, skipped = 0;
    int64_t list;
    if (!api_path_id(rq, "list", &list, rs))
        return;
    if (read_members(rq, &m, &p) != 0) {
        api_problem_respond(rs, &p);
        goto out;
    }
    int rc = m.rows ? phones_to_ids(rq, &m, &skipped, &err) : 0;
    if (rc == 0)
        rc = store_list_members_remove(rq->store, rq->account_id, list, m.ids, m.nids, &removed,
                                       &err);
    if (rc == RL_ENOTFOUND) {
        api_error(rs, 404, "not_found", "id", "%s", err.msg);
    } else if (rc != 0) {
        api_store_failed(rs, rc, &err, "list_exists", "remove the list's contacts");
    } else {
        rs->status = 200;
        rs->body = json_pack("{s:I,s:I}", "removed", (json_int_t)removed, "not_members",
                             (json_int_t)(m.nids - removed + skipped));
    }
out:
    members_release(&m);
}
