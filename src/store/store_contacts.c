/* Contacts and lists: CRUD for the API, keyset pages for campaigns, and the
 * batch upsert an import sends (a few thousand rows per writer operation, so
 * that a 1,000,000-row file costs a few hundred commits, not a million).
 *
 * Every read and write names the account: a contact or list of another
 * account is "not found", never "forbidden", so ids reveal nothing. */
#include "store/store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/banned.h"

#define CURSOR_DIGITS 16

/* --- rows ------------------------------------------------------------------------ */

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", v ? (const char *)v : "");
}

/* Reads a row of STORE_CONTACT_COLS into c (zeroed first). */
static void read_contact(sqlite3_stmt *st, struct store_contact *c)
{
    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(st, 0);
    c->account_id = sqlite3_column_int64(st, 1);
    copy_col(c->phone, sizeof(c->phone), st, 2);
    copy_col(c->phone_type, sizeof(c->phone_type), st, 3);
    c->email = store_col_dup(st, 4);
    c->first_name = store_col_dup(st, 5);
    c->last_name = store_col_dup(st, 6);
    c->language = store_col_dup(st, 7);
    c->fields = store_col_dup(st, 8);
    if (!c->fields)
        c->fields = xstrdup("{}");
    c->created_at = sqlite3_column_int64(st, 9);
    c->updated_at = sqlite3_column_int64(st, 10);
}

void store_contact_release(struct store_contact *c)
{
    if (!c)
        return;
    free(c->email);
    free(c->first_name);
    free(c->last_name);
    free(c->language);
    free(c->fields);
    memset(c, 0, sizeof(*c));
}

static void read_list(sqlite3_stmt *st, struct store_list *l)
{
    memset(l, 0, sizeof(*l));
    l->id = sqlite3_column_int64(st, 0);
    l->account_id = sqlite3_column_int64(st, 1);
    copy_col(l->name, sizeof(l->name), st, 2);
    l->created_at = sqlite3_column_int64(st, 3);
    l->updated_at = sqlite3_column_int64(st, 4);
    l->contacts = sqlite3_column_int64(st, 5);
}

/* The cursor is the id of the last row served, as 16 hex digits: opaque to
 * callers and stable under inserts (ids only grow). */
static int cursor_parse(const char *cur, int64_t *after, struct rl_err *err)
{
    uint64_t v = 0;
    *after = 0;
    if (!cur || !*cur)
        return 0;
    for (int i = 0; i < CURSOR_DIGITS; i++) {
        char ch = cur[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (d < 0)
            return rl_err_set(err, RL_EINVAL, "cursor", "invalid cursor");
        v = v << 4 | (uint64_t)d;
    }
    if (cur[CURSOR_DIGITS] != '\0' || v > INT64_MAX)
        return rl_err_set(err, RL_EINVAL, "cursor", "invalid cursor");
    *after = (int64_t)v;
    return 0;
}

static void cursor_format(int64_t id, char out[STORE_CURSOR_SIZE])
{
    snprintf(out, STORE_CURSOR_SIZE, "%016" PRIx64, (uint64_t)id);
}

static bool owned(struct store_conn *c, enum store_stmt_id which, int64_t id, int64_t account_id)
{
    sqlite3_stmt *st = store_stmt(c, which);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, account_id);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

static int no_list(struct rl_err *err, int64_t id)
{
    return rl_err_set(err, RL_ENOTFOUND, "list", "no list %lld", (long long)id);
}

static int no_contact(struct rl_err *err, int64_t id)
{
    return rl_err_set(err, RL_ENOTFOUND, "id", "no contact %lld", (long long)id);
}

/* --- checks before a write ----------------------------------------------------- */

static int check_len(const char *v, size_t max, const char *field, size_t *bytes,
                     struct rl_err *err)
{
    size_t n = v ? strlen(v) : 0;
    if (n > max)
        return rl_err_set(err, RL_ETOOLONG, field, "%s is %zu bytes (at most %zu)", field, n, max);
    *bytes += n;
    return 0;
}

static int check_e164(const char *phone, size_t *bytes, struct rl_err *err)
{
    size_t n = phone ? strlen(phone) : 0;
    if (n < 3 || n > 16 || phone[0] != '+' || phone[1] < '1' || phone[1] > '9' ||
        strspn(phone + 1, "0123456789") != n - 1)
        return rl_err_set(err, RL_EINVAL, "phone", "phone '%.20s' is not E.164",
                          phone ? phone : "");
    *bytes += n;
    return 0;
}

static int check_phone(const char *phone, const char *type, size_t *bytes, struct rl_err *err)
{
    int rc = check_e164(phone, bytes, err);
    if (rc == 0 && (!type || !*type || strlen(type) >= STORE_PHONE_TYPE_SIZE))
        rc = rl_err_set(err, RL_EINVAL, "phone_type", "phone_type is missing");
    return rc;
}

static int check_texts(const struct store_contact_new *c, size_t *bytes, struct rl_err *err)
{
    int rc = check_len(c->email, STORE_CONTACT_EMAIL_MAX, "email", bytes, err);
    if (rc == 0)
        rc = check_len(c->first_name, STORE_CONTACT_NAME_MAX, "first_name", bytes, err);
    if (rc == 0)
        rc = check_len(c->last_name, STORE_CONTACT_NAME_MAX, "last_name", bytes, err);
    if (rc == 0)
        rc = check_len(c->language, STORE_CONTACT_LANG_MAX, "language", bytes, err);
    if (rc == 0)
        rc = check_len(c->fields, STORE_CONTACT_FIELDS_MAX, "fields", bytes, err);
    return rc;
}

/* What the schema would refuse, refused before the write with the row and
 * field named, so that an operation of many rows cannot fail on one. */
static int check_new(const struct store_contact_new *c, size_t *bytes, struct rl_err *err)
{
    *bytes += 96;
    int rc = check_phone(c->phone, c->phone_type, bytes, err);
    return rc == 0 ? check_texts(c, bytes, err) : rc;
}

static int check_list_name(const char *name, struct rl_err *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > STORE_LIST_NAME_MAX)
        return rl_err_set(err, RL_EINVAL, "name", "a list name has 1 to %d bytes (got %zu)",
                          STORE_LIST_NAME_MAX, n);
    return 0;
}

/* A failed write's constraint, named: the schema's CHECKs are the last line,
 * after check_new, so this mostly reports merged fields grown too large. */
static int write_err(struct store_conn *c, struct rl_err *err, const char *what)
{
    int rc = store_db_err(c, err, "contact", what);
    if (rc == RL_EINVAL && strstr(sqlite3_errmsg(c->db), "fields_size"))
        rc = rl_err_set(err, RL_ETOOLONG, "fields",
                        "the custom fields would be over %d bytes as JSON once merged",
                        STORE_CONTACT_FIELDS_MAX);
    return rc;
}

/* --- contacts -------------------------------------------------------------------- */

static int64_t id_by_phone(struct store_conn *c, int64_t account_id, const char *phone)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONTACT_ID_BY_PHONE);
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return id;
}

static int insert_contact(struct store_conn *c, int64_t account_id,
                          const struct store_contact_new *n, int64_t now, int64_t *id,
                          struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONTACT_INSERT);
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_text(st, 2, n->phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, n->phone_type, -1, SQLITE_STATIC);
    store_bind_text(st, 4, n->email);
    store_bind_text(st, 5, n->first_name);
    store_bind_text(st, 6, n->last_name);
    store_bind_text(st, 7, n->language);
    store_bind_text(st, 8, n->fields);
    sqlite3_bind_int64(st, 9, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return write_err(c, err, "cannot create contact");
    *id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

struct contact_create {
    int64_t account_id;
    const struct store_contact_new *c;
};

static int run_create(struct store_conn *c, struct store_op *op)
{
    const struct contact_create *a = op->arg;
    int rc = insert_contact(c, a->account_id, a->c, store_now_ms(), &op->res.id, &op->err);
    if (rc == -EEXIST) {
        op->res.id = id_by_phone(c, a->account_id, a->c->phone);
        rl_err_set(&op->err, rc, "phone", "contact %lld already has the number %s",
                   (long long)op->res.id, a->c->phone);
    }
    return rc;
}

int store_contact_create(struct store *s, int64_t account_id, const struct store_contact_new *c,
                         int64_t *id, struct rl_err *err)
{
    size_t bytes = 0;
    int rc = check_new(c, &bytes, err);
    if (rc != 0)
        return rc;
    struct contact_create a = {account_id, c};
    struct store_op op = {.run = run_create, .arg = &a, .bytes = bytes};
    rc = store_writer_run(s, &op, err);
    if ((rc == 0 || rc == -EEXIST) && id)
        *id = op.res.id;
    return rc;
}

static int contact_read(struct store *s, enum store_stmt_id which, int64_t account_id, int64_t id,
                        const char *phone, struct store_contact *out, struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, which);
    if (phone) {
        sqlite3_bind_int64(st, 1, account_id);
        sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, account_id);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_contact(st, out);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = phone ? rl_err_set(err, RL_ENOTFOUND, "phone", "no contact with the number %s", phone)
                   : no_contact(err, id);
    } else {
        rc = store_db_err(c, err, "contact", "cannot read contact");
    }
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

int store_contact_get(struct store *s, int64_t account_id, int64_t id, struct store_contact *out,
                      struct rl_err *err)
{
    return contact_read(s, STORE_ST_CONTACT_GET, account_id, id, NULL, out, err);
}

int store_contact_find(struct store *s, int64_t account_id, const char *phone,
                       struct store_contact *out, struct rl_err *err)
{
    return contact_read(s, STORE_ST_CONTACT_BY_PHONE, account_id, 0, phone ? phone : "", out, err);
}

struct contact_update {
    int64_t account_id, id;
    const struct store_contact_patch *p;
};

static void bind_opt(sqlite3_stmt *st, int i, bool set, const char *v)
{
    sqlite3_bind_int(st, i, set);
    store_bind_text(st, i + 1, set ? v : NULL);
}

static int run_update(struct store_conn *c, struct store_op *op)
{
    const struct contact_update *a = op->arg;
    const struct store_contact_patch *p = a->p;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONTACT_PATCH);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->account_id);
    store_bind_text(st, 3, p->phone);
    store_bind_text(st, 4, p->phone ? p->phone_type : NULL);
    bind_opt(st, 5, p->set_email, p->email);
    bind_opt(st, 7, p->set_first_name, p->first_name);
    bind_opt(st, 9, p->set_last_name, p->last_name);
    bind_opt(st, 11, p->set_language, p->language);
    sqlite3_bind_int(st, 13, (int)p->fields_op);
    store_bind_text(st, 14, p->fields_op == STORE_FIELDS_MERGE ? p->fields : NULL);
    sqlite3_bind_int64(st, 15, store_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE) {
        int rc = write_err(c, &op->err, "cannot update contact");
        if (rc == -EEXIST)
            rl_err_set(&op->err, rc, "phone", "contact %lld already has the number %s",
                       (long long)id_by_phone(c, a->account_id, p->phone), p->phone);
        return rc;
    }
    if (sqlite3_changes(c->db) == 0)
        return no_contact(&op->err, a->id);
    return 0;
}

int store_contact_update(struct store *s, int64_t account_id, int64_t id,
                         const struct store_contact_patch *p, struct rl_err *err)
{
    size_t bytes = 96;
    struct store_contact_new n = {.email = p->set_email ? p->email : NULL,
                                  .first_name = p->set_first_name ? p->first_name : NULL,
                                  .last_name = p->set_last_name ? p->last_name : NULL,
                                  .language = p->set_language ? p->language : NULL,
                                  .fields = p->fields_op == STORE_FIELDS_MERGE ? p->fields : NULL};
    int rc = p->phone ? check_phone(p->phone, p->phone_type, &bytes, err) : 0;
    if (rc == 0)
        rc = check_texts(&n, &bytes, err);
    if (rc != 0)
        return rc;
    if (p->fields_op == STORE_FIELDS_MERGE && !p->fields)
        return rl_err_set(err, RL_EINVAL, "fields", "fields to merge are missing");
    struct contact_update a = {account_id, id, p};
    struct store_op op = {.run = run_update, .arg = &a, .bytes = bytes};
    return store_writer_run(s, &op, err);
}

struct contact_delete {
    int64_t account_id, id;
};

static int run_contact_delete(struct store_conn *c, struct store_op *op)
{
    const struct contact_delete *a = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONTACT_DELETE);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->account_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "id", "cannot delete contact");
    return sqlite3_changes(c->db) ? 0 : no_contact(&op->err, a->id);
}

int store_contact_delete(struct store *s, int64_t account_id, int64_t id, struct rl_err *err)
{
    struct contact_delete a = {account_id, id};
    struct store_op op = {.run = run_contact_delete, .arg = &a, .bytes = sizeof(a)};
    return store_writer_run(s, &op, err);
}

/* --- pages of contacts ------------------------------------------------------------ */

/* Steps st (bound but for the limit, ?3) into out: one row more than limit
 * says whether another page follows. */
static int page_rows(struct store_conn *c, sqlite3_stmt *st, size_t limit,
                     struct store_contact_page *out, struct rl_err *err)
{
    sqlite3_bind_int64(st, 3, (int64_t)limit + 1);
    out->items = xcalloc(limit, sizeof(*out->items));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == limit) {
            cursor_format(out->items[out->n - 1].id, out->next_cursor);
            rc = SQLITE_DONE;
            break;
        }
        read_contact(st, &out->items[out->n++]);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_db_err(c, err, "contacts", "cannot list contacts");
}

/* One page, read in one snapshot with the list's ownership check. */
static int contact_page(struct store *s, int64_t account_id, int64_t list_id, const char *phone,
                        int64_t after, size_t limit, struct store_contact_page *out,
                        struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    if (limit < 1 || limit > STORE_LIST_MAX)
        return rl_err_set(err, RL_ERANGE, "limit", "limit is 1 to %d (got %zu)", STORE_LIST_MAX,
                          limit);
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    int rc = 0;
    sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
    if (list_id > 0 && account_id > 0 && !owned(c, STORE_ST_LIST_OWNED, list_id, account_id)) {
        rc = no_list(err, list_id);
    } else {
        enum store_stmt_id which =
            list_id > 0 ? (phone ? STORE_ST_MEMBER_PAGE_PHONE : STORE_ST_MEMBER_PAGE)
                        : (phone ? STORE_ST_CONTACT_PAGE_PHONE : STORE_ST_CONTACT_PAGE);
        sqlite3_stmt *st = store_stmt(c, which);
        sqlite3_bind_int64(st, 1, list_id > 0 ? list_id : account_id);
        sqlite3_bind_int64(st, 2, after);
        if (phone)
            sqlite3_bind_text(st, 4, phone, -1, SQLITE_STATIC);
        rc = page_rows(c, st, limit, out, err);
    }
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    store_reader_put(s, c);
    if (rc != 0)
        store_contact_page_release(out);
    return rc;
}

int store_contact_list(struct store *s, const struct store_contact_query *q,
                       struct store_contact_page *out, struct rl_err *err)
{
    int64_t after;
    memset(out, 0, sizeof(*out));
    int rc = cursor_parse(q->cursor, &after, err);
    if (rc != 0)
        return rc;
    return contact_page(s, q->account_id, q->list_id, q->phone, after, q->limit, out, err);
}

int store_list_members_page(struct store *s, int64_t account_id, int64_t list_id,
                            int64_t after_contact_id, size_t limit, struct store_contact_page *out,
                            struct rl_err *err)
{
    if (list_id <= 0) {
        memset(out, 0, sizeof(*out));
        return no_list(err, list_id);
    }
    return contact_page(s, account_id, list_id, NULL, after_contact_id, limit, out, err);
}

void store_contact_page_release(struct store_contact_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        store_contact_release(&p->items[i]);
    free(p->items);
    memset(p, 0, sizeof(*p));
}

/* --- lists ------------------------------------------------------------------------ */

static int64_t list_id_by_name(struct store_conn *c, int64_t account_id, const char *name)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_LIST_ID_BY_NAME);
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return id;
}

static int list_insert(struct store_conn *c, int64_t account_id, const char *name, int64_t now,
                       int64_t *id, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_LIST_INSERT);
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    if (sqlite3_step(st) != SQLITE_DONE) {
        int rc = store_db_err(c, err, "name", "cannot create list");
        if (rc == -EEXIST) {
            *id = list_id_by_name(c, account_id, name);
            rl_err_set(err, rc, "name", "list %lld is already called '%s'", (long long)*id, name);
        }
        return rc;
    }
    *id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

struct list_write {
    int64_t account_id, id;
    const char *name;
};

static int run_list_create(struct store_conn *c, struct store_op *op)
{
    const struct list_write *a = op->arg;
    return list_insert(c, a->account_id, a->name, store_now_ms(), &op->res.id, &op->err);
}

int store_list_create(struct store *s, int64_t account_id, const char *name, int64_t *id,
                      struct rl_err *err)
{
    int rc = check_list_name(name, err);
    if (rc != 0)
        return rc;
    struct list_write a = {account_id, 0, name};
    struct store_op op = {.run = run_list_create, .arg = &a, .bytes = 64 + strlen(name)};
    rc = store_writer_run(s, &op, err);
    if ((rc == 0 || rc == -EEXIST) && id)
        *id = op.res.id;
    return rc;
}

static int list_read(struct store *s, enum store_stmt_id which, int64_t account_id, int64_t id,
                     const char *name, struct store_list *out, struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, which);
    if (name) {
        sqlite3_bind_int64(st, 1, account_id);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, account_id);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_list(st, out);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = name ? rl_err_set(err, RL_ENOTFOUND, "list", "no list named '%s'", name)
                  : no_list(err, id);
    } else {
        rc = store_db_err(c, err, "list", "cannot read list");
    }
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

int store_list_get(struct store *s, int64_t account_id, int64_t id, struct store_list *out,
                   struct rl_err *err)
{
    return list_read(s, STORE_ST_LIST_GET, account_id, id, NULL, out, err);
}

int store_list_find(struct store *s, int64_t account_id, const char *name, struct store_list *out,
                    struct rl_err *err)
{
    return list_read(s, STORE_ST_LIST_BY_NAME, account_id, 0, name ? name : "", out, err);
}

int store_list_list(struct store *s, int64_t account_id, const char *cursor, size_t limit,
                    struct store_list_page *out, struct rl_err *err)
{
    int64_t after;
    memset(out, 0, sizeof(*out));
    if (limit < 1 || limit > STORE_LIST_MAX)
        return rl_err_set(err, RL_ERANGE, "limit", "limit is 1 to %d (got %zu)", STORE_LIST_MAX,
                          limit);
    int rc = cursor_parse(cursor, &after, err);
    if (rc != 0)
        return rc;
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_LIST_PAGE);
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, (int64_t)limit + 1);
    out->items = xcalloc(limit, sizeof(*out->items));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == limit) {
            cursor_format(out->items[out->n - 1].id, out->next_cursor);
            rc = SQLITE_DONE;
            break;
        }
        read_list(st, &out->items[out->n++]);
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : store_db_err(c, err, "lists", "cannot list lists");
    store_reader_put(s, c);
    if (rc != 0)
        store_list_page_release(out);
    return rc;
}

void store_list_page_release(struct store_list_page *p)
{
    free(p->items);
    memset(p, 0, sizeof(*p));
}

int store_contact_lists(struct store *s, int64_t account_id, int64_t id,
                        struct store_list_page *out, struct rl_err *err)
{
    memset(out, 0, sizeof(*out));
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    size_t cap = 0;
    int rc = 0;
    sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
    if (!owned(c, STORE_ST_CONTACT_OWNED, id, account_id)) {
        rc = no_contact(err, id);
    } else {
        sqlite3_stmt *st = store_stmt(c, STORE_ST_CONTACT_LISTS);
        sqlite3_bind_int64(st, 1, id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (out->n == cap) {
                cap = cap ? cap * 2 : 8;
                out->items = xrealloc(out->items, cap * sizeof(*out->items));
            }
            struct store_list *l = &out->items[out->n++];
            memset(l, 0, sizeof(*l));
            l->id = sqlite3_column_int64(st, 0);
            l->account_id = account_id;
            copy_col(l->name, sizeof(l->name), st, 1);
        }
        sqlite3_reset(st);
        rc = rc == SQLITE_DONE ? 0
                               : store_db_err(c, err, "lists", "cannot read the contact's lists");
    }
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    store_reader_put(s, c);
    if (rc != 0)
        store_list_page_release(out);
    return rc;
}

static int run_list_rename(struct store_conn *c, struct store_op *op)
{
    const struct list_write *a = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_LIST_RENAME);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->account_id);
    sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, store_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE) {
        int rc = store_db_err(c, &op->err, "name", "cannot rename list");
        if (rc == -EEXIST)
            rl_err_set(&op->err, rc, "name", "list %lld is already called '%s'",
                       (long long)list_id_by_name(c, a->account_id, a->name), a->name);
        return rc;
    }
    return sqlite3_changes(c->db) ? 0 : no_list(&op->err, a->id);
}

int store_list_rename(struct store *s, int64_t account_id, int64_t id, const char *name,
                      struct rl_err *err)
{
    int rc = check_list_name(name, err);
    if (rc != 0)
        return rc;
    struct list_write a = {account_id, id, name};
    struct store_op op = {.run = run_list_rename, .arg = &a, .bytes = 64 + strlen(name)};
    return store_writer_run(s, &op, err);
}

static int run_list_delete(struct store_conn *c, struct store_op *op)
{
    const struct list_write *a = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_LIST_DELETE);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->account_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "list", "cannot delete list");
    return sqlite3_changes(c->db) ? 0 : no_list(&op->err, a->id);
}

int store_list_delete(struct store *s, int64_t account_id, int64_t id, struct rl_err *err)
{
    struct list_write a = {account_id, id, NULL};
    struct store_op op = {.run = run_list_delete, .arg = &a, .bytes = sizeof(a)};
    return store_writer_run(s, &op, err);
}

/* --- membership ------------------------------------------------------------------- */

/* Makes contact a member of list; *added says whether it was not one yet. */
static int member_add(struct store_conn *c, int64_t list, int64_t contact, int64_t now, bool *added,
                      struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_MEMBER_ADD);
    sqlite3_bind_int64(st, 1, list);
    sqlite3_bind_int64(st, 2, contact);
    sqlite3_bind_int64(st, 3, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "list", "cannot add a list member");
    *added = sqlite3_changes(c->db) > 0;
    return 0;
}

struct members {
    int64_t account_id, list_id;
    const int64_t *ids;
    size_t n;
    size_t done, skipped; /* added and already (add), removed and not members (remove) */
};

static int run_members_add(struct store_conn *c, struct store_op *op)
{
    struct members *a = op->arg;
    int64_t now = store_now_ms();
    a->done = a->skipped = 0;
    if (!owned(c, STORE_ST_LIST_OWNED, a->list_id, a->account_id))
        return no_list(&op->err, a->list_id);
    for (size_t i = 0; i < a->n; i++) {
        bool added;
        if (!owned(c, STORE_ST_CONTACT_OWNED, a->ids[i], a->account_id))
            return rl_err_set(&op->err, RL_ENOTFOUND, "contact_ids", "no contact %lld",
                              (long long)a->ids[i]);
        int rc = member_add(c, a->list_id, a->ids[i], now, &added, &op->err);
        if (rc != 0)
            return rc;
        *(added ? &a->done : &a->skipped) += 1;
    }
    return 0;
}

static int run_members_remove(struct store_conn *c, struct store_op *op)
{
    struct members *a = op->arg;
    a->done = a->skipped = 0;
    if (!owned(c, STORE_ST_LIST_OWNED, a->list_id, a->account_id))
        return no_list(&op->err, a->list_id);
    for (size_t i = 0; i < a->n; i++) {
        sqlite3_stmt *st = store_stmt(c, STORE_ST_MEMBER_REMOVE);
        sqlite3_bind_int64(st, 1, a->list_id);
        sqlite3_bind_int64(st, 2, a->ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            return store_db_err(c, &op->err, "list", "cannot remove a list member");
        *(sqlite3_changes(c->db) ? &a->done : &a->skipped) += 1;
    }
    return 0;
}

static int members_write(struct store *s, store_op_fn run, struct members *a, size_t *done,
                         size_t *skipped, struct rl_err *err)
{
    if (a->n > STORE_IMPORT_BATCH_MAX)
        return rl_err_set(err, RL_ETOOLONG, "contact_ids", "at most %d contacts at once (got %zu)",
                          STORE_IMPORT_BATCH_MAX, a->n);
    struct store_op op = {.run = run, .arg = a, .bytes = 64 + a->n * sizeof(int64_t)};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0 && done)
        *done = a->done;
    if (rc == 0 && skipped)
        *skipped = a->skipped;
    return rc;
}

int store_list_members_add(struct store *s, int64_t account_id, int64_t list_id, const int64_t *ids,
                           size_t n, size_t *added, size_t *already, struct rl_err *err)
{
    struct members a = {account_id, list_id, ids, n, 0, 0};
    return members_write(s, run_members_add, &a, added, already, err);
}

int store_list_members_remove(struct store *s, int64_t account_id, int64_t list_id,
                              const int64_t *ids, size_t n, size_t *removed, struct rl_err *err)
{
    struct members a = {account_id, list_id, ids, n, 0, 0};
    return members_write(s, run_members_remove, &a, removed, NULL, err);
}

int store_account_sole(struct store *s, struct store_account *out, struct rl_err *err)
{
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ACCOUNT_FIRST_TWO);
    int rc, n = 0;
    char name[STORE_ACCOUNT_NAME_MAX + 1] = "";
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++ == 0)
            copy_col(name, sizeof(name), st, 1);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        rc = store_db_err(c, err, "account", "cannot read accounts");
    store_reader_put(s, c);
    if (rc != SQLITE_DONE)
        return rc;
    if (n == 0)
        return rl_err_set(err, RL_ENOTFOUND, "account", "the store has no account yet");
    if (n > 1)
        return rl_err_set(err, RL_EINVAL, "account", "the store has several accounts");
    return store_account_find(s, name, out, err);
}

/* --- upsert (imports) --------------------------------------------------------------- */

static int merge_contact(struct store_conn *c, int64_t id, const struct store_contact_new *n,
                         int64_t now, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_CONTACT_MERGE);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, n->phone_type, -1, SQLITE_STATIC);
    store_bind_text(st, 3, n->email);
    store_bind_text(st, 4, n->first_name);
    store_bind_text(st, 5, n->last_name);
    store_bind_text(st, 6, n->language);
    store_bind_text(st, 7, n->fields);
    sqlite3_bind_int64(st, 8, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return write_err(c, err, "cannot update contact");
    return 0;
}

static int upsert_list(struct store_conn *c, const struct store_upsert *u, int64_t now,
                       int64_t *list, struct rl_err *err)
{
    if (u->list_id > 0) {
        *list = u->list_id;
        return owned(c, STORE_ST_LIST_OWNED, u->list_id, u->account_id) ? 0
                                                                        : no_list(err, u->list_id);
    }
    *list = list_id_by_name(c, u->account_id, u->list_name);
    return *list ? 0 : list_insert(c, u->account_id, u->list_name, now, list, err);
}

/* The import's opt-out column: opted out of marketing, source import. Only
 * ever an opt-out: a file cannot opt anyone back in. */
static int upsert_optouts(struct store_conn *c, const struct store_upsert *u, int64_t list,
                          int64_t now, size_t *opted_out, struct rl_err *err)
{
    char detail[32];
    snprintf(detail, sizeof(detail), "list=%" PRId64, list);
    for (size_t i = 0; i < u->noptouts; i++) {
        struct store_consent_change ch = {.account_id = u->account_id,
                                          .phone = u->optouts[i],
                                          .scope = STORE_CONSENT_MARKETING,
                                          .status = STORE_CONSENT_OPTED_OUT,
                                          .source = STORE_CONSENT_IMPORT,
                                          .detail = detail};
        bool changed = false;
        int rc = store_consent_apply(c, &ch, now, &changed, err);
        if (rc != 0)
            return rc;
        *opted_out += changed;
    }
    return 0;
}

/* A lookup then an insert or an update, rather than one INSERT … ON CONFLICT:
 * the count of created against updated contacts needs to know which it was,
 * and the lookup reads the same index pages the write then changes. */
static int run_upsert(struct store_conn *c, struct store_op *op)
{
    struct store_upsert *u = op->arg;
    int64_t now = store_now_ms(), list = 0;
    size_t created = 0, updated = 0, dups = 0, opted_out = 0;
    int rc = upsert_list(c, u, now, &list, &op->err);
    for (size_t i = 0; rc == 0 && i < u->n; i++) {
        const struct store_contact_new *n = &u->rows[i];
        int64_t id = id_by_phone(c, u->account_id, n->phone);
        bool existed = id != 0, added = false;
        rc = existed ? merge_contact(c, id, n, now, &op->err)
                     : insert_contact(c, u->account_id, n, now, &id, &op->err);
        if (rc == 0)
            rc = member_add(c, list, id, now, &added, &op->err);
        if (rc == 0 && !added)
            dups++;
        else if (rc == 0)
            *(existed ? &updated : &created) += 1;
    }
    if (rc == 0 && u->noptouts)
        rc = upsert_optouts(c, u, list, now, &opted_out, &op->err);
    if (rc != 0) {
        u->err = op->err;
        return rc;
    }
    u->list_id_out = list;
    u->created = created;
    u->updated = updated;
    u->duplicates = dups;
    u->opted_out = opted_out;
    return 0;
}

static int upsert_check(struct store_upsert *u, size_t *bytes, struct rl_err *err)
{
    u->list_id_out = 0;
    u->created = u->updated = u->duplicates = u->opted_out = 0;
    memset(&u->err, 0, sizeof(u->err));
    if (u->n > STORE_IMPORT_BATCH_MAX || u->noptouts > STORE_IMPORT_BATCH_MAX)
        return rl_err_set(err, RL_ETOOLONG, "rows", "at most %d rows per write (got %zu)",
                          STORE_IMPORT_BATCH_MAX, u->n > u->noptouts ? u->n : u->noptouts);
    if (u->list_id <= 0) {
        int rc = check_list_name(u->list_name, err);
        if (rc != 0)
            return rc;
    }
    *bytes = 128;
    for (size_t i = 0; i < u->n; i++) {
        struct rl_err e = {0};
        int rc = check_new(&u->rows[i], bytes, &e);
        if (rc != 0)
            return rl_err_set(err, rc, e.field, "row %zu: %s", i, e.msg);
    }
    for (size_t i = 0; i < u->noptouts; i++) {
        struct rl_err e = {0};
        int rc = check_e164(u->optouts[i], bytes, &e);
        if (rc != 0)
            return rl_err_set(err, rc, "optouts", "opt-out %zu: %s", i, e.msg);
    }
    return 0;
}

int store_contacts_upsert(struct store *s, struct store_upsert *u, struct rl_err *err)
{
    size_t bytes = 0;
    int rc = upsert_check(u, &bytes, err);
    if (rc != 0)
        return rc;
    struct store_op op = {.run = run_upsert, .arg = u, .bytes = bytes};
    return store_writer_run(s, &op, err);
}

/* The op and the caller's callback in one allocation (the writer frees the op). */
struct upsert_async {
    struct store_op op; /* first: freed as the op */
    store_done_fn done;
    void *ctx;
};

static void upsert_done(void *ctx, const struct store_result *r)
{
    struct upsert_async *a = ctx;
    struct store_upsert *u = a->op.arg;
    if (r->rc != 0 && u->err.code == 0)
        u->err = a->op.err; /* the commit's own failure */
    a->done(a->ctx, r);
}

int store_contacts_upsert_submit(struct store *s, struct store_upsert *u, store_done_fn done,
                                 void *ctx, struct rl_err *err)
{
    size_t bytes = 0;
    int rc = upsert_check(u, &bytes, err);
    if (rc != 0)
        return rc;
    struct upsert_async *a = xcalloc(1, sizeof(*a));
    a->op.run = run_upsert;
    a->op.arg = u;
    a->op.bytes = bytes;
    a->op.done = upsert_done;
    a->op.ctx = a;
    a->done = done;
    a->ctx = ctx;
    rc = store_writer_submit(s, &a->op, false);
    if (rc != 0)
        return rl_err_set(err, rc, "store", "the store is closing");
    return 0;
}
