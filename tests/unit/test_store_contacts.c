/* Contacts and lists in the SQLite store, on real files in a temporary
 * directory: CRUD with merge-patch updates, uniqueness per account, accounts
 * kept apart, list membership, keyset pages in id order, and the import's
 * batch upsert with its created/updated/duplicates counts. Expected values are
 * worked out by hand from the rows each test writes; SQL appears only to look
 * at the file from outside the store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_sql.h"

#include <sqlite3.h>

#include "core/log.h"
#include "store/store.h"
#include "core/banned.h"

static char dir[64];
static char path[128];
static int seq;

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "%s/c%d.db", dir, ++seq);
    return 0;
}

static struct store *open_store(void)
{
    struct store *s = NULL;
    struct store_opts o = {path, false};
    struct rl_err err = {0};
    if (store_open(&o, &s, &err) != 0)
        fail_msg("store_open: %s", err.msg);
    return s;
}

static int64_t account(struct store *s, const char *name)
{
    int64_t id = 0;
    struct rl_err err = {0};
    if (store_account_create(s, name, 0, &id, &err) != 0)
        fail_msg("account: %s", err.msg);
    return id;
}

static long long count(const char *sql)
{
    return test_sql_value(path, sql);
}

static struct store_contact_new mobile(const char *phone)
{
    struct store_contact_new c = {.phone = phone, .phone_type = "mobile"};
    return c;
}

static int64_t create(struct store *s, int64_t acc, const struct store_contact_new *c)
{
    int64_t id = 0;
    struct rl_err err = {0};
    int rc = store_contact_create(s, acc, c, &id, &err);
    if (rc != 0)
        fail_msg("contact: %d %s: %s", rc, err.field, err.msg);
    return id;
}

static int64_t list(struct store *s, int64_t acc, const char *name)
{
    int64_t id = 0;
    struct rl_err err = {0};
    int rc = store_list_create(s, acc, name, &id, &err);
    if (rc != 0)
        fail_msg("list: %d %s", rc, err.msg);
    return id;
}

static void test_schema(void **state)
{
    (void)state;
    store_close(open_store());
    assert_int_equal(count("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                           "('contacts', 'lists', 'list_members')"),
                     3);
    /* STRICT: a text in an INTEGER column is refused, not stored as text. */
    assert_int_equal(count("SELECT strict FROM pragma_table_list WHERE name = 'contacts'"), 1);
    assert_int_equal(count("SELECT wr FROM pragma_table_list WHERE name = 'list_members'"), 1);
}

static void test_contact_crud(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "a"), b = account(s, "b");
    struct store_contact_new n = {.phone = "+33610203040",
                                  .phone_type = "mobile",
                                  .email = "zoe@example.fr",
                                  .first_name = "Zoé",
                                  .language = "fr",
                                  .fields = "{\"shop\":\"Lyon\",\"vip\":true}"};
    int64_t id = create(s, a, &n);
    struct store_contact c;
    struct rl_err err = {0};
    assert_int_equal(store_contact_get(s, a, id, &c, &err), 0);
    assert_int_equal(c.id, id);
    assert_string_equal(c.phone, "+33610203040");
    assert_string_equal(c.phone_type, "mobile");
    assert_string_equal(c.email, "zoe@example.fr");
    assert_string_equal(c.first_name, "Zoé");
    assert_null(c.last_name);
    assert_string_equal(c.language, "fr");
    assert_string_equal(c.fields, "{\"shop\":\"Lyon\",\"vip\":true}");
    assert_true(c.created_at > 0 && c.updated_at == c.created_at);
    store_contact_release(&c);

    /* The same number again: refused, naming the contact that has it. */
    int64_t other = 0;
    assert_int_equal(store_contact_create(s, a, &n, &other, &err), -EEXIST);
    assert_string_equal(err.field, "phone");
    assert_int_equal(other, id);
    char want[64];
    snprintf(want, sizeof(want), "contact %lld already has the number +33610203040", (long long)id);
    assert_string_equal(err.msg, want);
    /* Another account may hold the same number; neither sees the other's. */
    int64_t idb = create(s, b, &n);
    assert_true(idb != id);
    assert_int_equal(store_contact_get(s, b, id, &c, &err), RL_ENOTFOUND);
    assert_string_equal(err.field, "id");
    assert_int_equal(store_contact_find(s, b, "+33610203040", &c, &err), 0);
    assert_int_equal(c.id, idb);
    assert_string_equal(c.fields, "{\"shop\":\"Lyon\",\"vip\":true}");
    store_contact_release(&c);
    assert_int_equal(store_contact_find(s, a, "+33610203041", &c, &err), RL_ENOTFOUND);

    /* Refused before the write: not E.164, a value over its cap. */
    struct store_contact_new bad = mobile("0610203040");
    assert_int_equal(store_contact_create(s, a, &bad, NULL, &err), RL_EINVAL);
    assert_string_equal(err.field, "phone");
    char email[300];
    memset(email, 'x', sizeof(email) - 1);
    email[sizeof(email) - 1] = '\0';
    bad = mobile("+33610203049");
    bad.email = email;
    assert_int_equal(store_contact_create(s, a, &bad, NULL, &err), RL_ETOOLONG);
    assert_string_equal(err.field, "email");
    assert_string_equal(err.msg, "email is 299 bytes (at most 254)");
    assert_int_equal(count("SELECT count(*) FROM contacts"), 2);

    assert_int_equal(store_contact_delete(s, b, id, &err), RL_ENOTFOUND);
    assert_int_equal(store_contact_delete(s, a, id, &err), 0);
    assert_int_equal(store_contact_get(s, a, id, &c, &err), RL_ENOTFOUND);
    assert_int_equal(store_contact_delete(s, a, id, &err), RL_ENOTFOUND);
    store_close(s);
}

static void test_contact_patch(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "a"), b = account(s, "b");
    struct store_contact_new n = {.phone = "+33610203040",
                                  .phone_type = "mobile",
                                  .first_name = "Zoé",
                                  .last_name = "Martin",
                                  .fields = "{\"a\":1,\"b\":\"x\"}"};
    int64_t id = create(s, a, &n),
            id2 = create(
                s, a,
                &(struct store_contact_new){.phone = "+33123456789", .phone_type = "fixed_line"});
    struct rl_err err = {0};
    struct store_contact c;
    /* Merge patch: first_name cleared, email set, last_name left, a deleted, c added. */
    struct store_contact_patch p = {.set_first_name = true,
                                    .set_email = true,
                                    .email = "z@example.fr",
                                    .fields_op = STORE_FIELDS_MERGE,
                                    .fields = "{\"a\":null,\"c\":[1,2]}"};
    assert_int_equal(store_contact_update(s, a, id, &p, &err), 0);
    assert_int_equal(store_contact_get(s, a, id, &c, &err), 0);
    assert_null(c.first_name);
    assert_string_equal(c.last_name, "Martin");
    assert_string_equal(c.email, "z@example.fr");
    assert_string_equal(c.fields, "{\"b\":\"x\",\"c\":[1,2]}");
    assert_true(c.updated_at >= c.created_at);
    store_contact_release(&c);

    /* A new number: with its type. Another contact's number: refused, named. */
    p = (struct store_contact_patch){.phone = "+33700000001", .phone_type = "mobile"};
    assert_int_equal(store_contact_update(s, a, id, &p, &err), 0);
    p.phone = "+33123456789";
    p.phone_type = "fixed_line";
    assert_int_equal(store_contact_update(s, a, id, &p, &err), -EEXIST);
    assert_string_equal(err.field, "phone");
    char want[64];
    snprintf(want, sizeof(want), "contact %lld already has the number +33123456789",
             (long long)id2);
    assert_string_equal(err.msg, want);

    /* Clearing the fields, then a merge that would grow them past the cap. */
    p = (struct store_contact_patch){.fields_op = STORE_FIELDS_CLEAR};
    assert_int_equal(store_contact_update(s, a, id, &p, &err), 0);
    assert_int_equal(store_contact_get(s, a, id, &c, &err), 0);
    assert_string_equal(c.fields, "{}");
    assert_string_equal(c.phone, "+33700000001");
    store_contact_release(&c);
    static char big[STORE_CONTACT_FIELDS_MAX];
    int len = snprintf(big, sizeof(big), "{\"k\":\"");
    memset(big + len, 'v', 10000);
    snprintf(big + len + 10000, sizeof(big) - (size_t)len - 10000, "\"}");
    p = (struct store_contact_patch){.fields_op = STORE_FIELDS_MERGE, .fields = big};
    assert_int_equal(store_contact_update(s, a, id, &p, &err), 0);
    big[2] = 'j'; /* {"j":"vvv…"}: a second 10,000-byte member */
    assert_int_equal(store_contact_update(s, a, id, &p, &err), RL_ETOOLONG);
    assert_string_equal(err.field, "fields");
    assert_int_equal(count("SELECT length(fields) FROM contacts WHERE phone = '+33700000001'"),
                     10008);
    /* Another account's contact is not found, and stays as it was. */
    p = (struct store_contact_patch){.set_last_name = true};
    assert_int_equal(store_contact_update(s, b, id, &p, &err), RL_ENOTFOUND);
    assert_int_equal(count("SELECT count(*) FROM contacts WHERE last_name = 'Martin'"), 1);
    store_close(s);
}

static void test_lists_and_members(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "a"), b = account(s, "b");
    struct rl_err err = {0};
    int64_t l1 = list(s, a, "Clients Lyon"), l2 = list(s, a, "VIP"), lb = list(s, b, "VIP");
    int64_t dup = 0;
    assert_int_equal(store_list_create(s, a, "VIP", &dup, &err), -EEXIST);
    assert_int_equal(dup, l2);
    assert_string_equal(err.field, "name");
    assert_int_equal(store_list_create(s, a, "", NULL, &err), RL_EINVAL);

    int64_t c1 =
        create(s, a, &(struct store_contact_new){.phone = "+33610000001", .phone_type = "mobile"});
    int64_t c2 =
        create(s, a, &(struct store_contact_new){.phone = "+33610000002", .phone_type = "mobile"});
    int64_t cb =
        create(s, b, &(struct store_contact_new){.phone = "+33610000003", .phone_type = "mobile"});
    size_t added = 9, already = 9, removed = 9;
    int64_t ids[] = {c1, c2, c1};
    /* c1 twice in one call: the second is already a member. */
    assert_int_equal(store_list_members_add(s, a, l1, ids, 3, &added, &already, &err), 0);
    assert_int_equal(added, 2);
    assert_int_equal(already, 1);
    /* All or nothing: another account's contact makes the whole call fail. */
    int64_t mixed[] = {c1, cb};
    assert_int_equal(store_list_members_add(s, a, l2, mixed, 2, &added, NULL, &err), RL_ENOTFOUND);
    assert_string_equal(err.field, "contact_ids");
    char want[48];
    snprintf(want, sizeof(want), "no contact %lld", (long long)cb);
    assert_string_equal(err.msg, want);
    assert_int_equal(store_list_members_add(s, a, lb, ids, 1, NULL, NULL, &err), RL_ENOTFOUND);
    assert_string_equal(err.field, "list");
    assert_int_equal(count("SELECT count(*) FROM list_members"), 2);
    assert_int_equal(store_list_members_add(s, a, l2, ids, 1, NULL, NULL, &err), 0);

    struct store_list l;
    assert_int_equal(store_list_get(s, a, l1, &l, &err), 0);
    assert_string_equal(l.name, "Clients Lyon");
    assert_int_equal(l.contacts, 2);
    assert_int_equal(store_list_find(s, a, "VIP", &l, &err), 0);
    assert_int_equal(l.id, l2);
    assert_int_equal(l.contacts, 1);
    assert_int_equal(store_list_get(s, b, l1, &l, &err), RL_ENOTFOUND);
    assert_int_equal(store_list_rename(s, a, l1, "VIP", &err), -EEXIST);
    assert_int_equal(store_list_rename(s, a, l1, "Lyon", &err), 0);
    assert_int_equal(store_list_rename(s, b, l1, "Mine", &err), RL_ENOTFOUND);
    assert_int_equal(store_list_find(s, a, "Lyon", &l, &err), 0);
    assert_int_equal(l.id, l1);

    struct store_list_page lp;
    assert_int_equal(store_list_list(s, a, NULL, 1, &lp, &err), 0);
    assert_int_equal(lp.n, 1);
    assert_int_equal(lp.items[0].id, l1);
    assert_string_not_equal(lp.next_cursor, "");
    char cur[STORE_CURSOR_SIZE];
    snprintf(cur, sizeof(cur), "%s", lp.next_cursor);
    store_list_page_release(&lp);
    assert_int_equal(store_list_list(s, a, cur, 10, &lp, &err), 0);
    assert_int_equal(lp.n, 1);
    assert_int_equal(lp.items[0].id, l2);
    assert_string_equal(lp.next_cursor, "");
    store_list_page_release(&lp);
    assert_int_equal(store_list_list(s, a, "zz", 10, &lp, &err), RL_EINVAL);
    assert_string_equal(err.field, "cursor");

    /* Removing: a non-member is skipped. Deleting a contact removes its
     * memberships; deleting a list keeps its contacts. */
    int64_t rm[] = {c2, cb};
    assert_int_equal(store_list_members_remove(s, a, l1, rm, 2, &removed, &err), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(store_contact_delete(s, a, c1, &err), 0);
    assert_int_equal(count("SELECT count(*) FROM list_members"), 0);
    assert_int_equal(store_list_members_add(s, a, l2, &c2, 1, NULL, NULL, &err), 0);
    assert_int_equal(store_list_delete(s, b, l2, &err), RL_ENOTFOUND);
    assert_int_equal(store_list_delete(s, a, l2, &err), 0);
    assert_int_equal(store_list_get(s, a, l2, &l, &err), RL_ENOTFOUND);
    assert_int_equal(count("SELECT count(*) FROM list_members"), 0);
    assert_int_equal(count("SELECT count(*) FROM contacts"), 2);
    store_close(s);
}

/* Contacts 0..n-1 of account acc: +336100xxxxx, every third one in list l. */
static void fill(struct store *s, int64_t acc, int64_t l, size_t n, int64_t *ids)
{
    char(*phones)[16] = calloc(n, sizeof(*phones));
    struct store_contact_new *rows = calloc(n, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        snprintf(phones[i], sizeof(phones[i]), "+336100%05zu", i);
        rows[i] = mobile(phones[i]);
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = create(s, acc, &rows[i]);
    for (size_t i = 0; i < n; i += 3)
        assert_int_equal(store_list_members_add(s, acc, l, &ids[i], 1, NULL, NULL, NULL), 0);
    free(rows);
    free(phones);
}

static void test_pages(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "a"), b = account(s, "b");
    int64_t l = list(s, a, "l");
    enum { N = 2500 };
    static int64_t ids[N];
    struct rl_err err = {0};
    fill(s, a, l, N, ids);
    create(s, b, &(struct store_contact_new){.phone = "+33610000001", .phone_type = "mobile"});

    /* Every contact of a once, in id order, in pages of 1000: 1000, 1000, 500. */
    struct store_contact_query q = {.account_id = a, .limit = 1000};
    char cur[STORE_CURSOR_SIZE] = "";
    size_t seen = 0, pages = 0;
    do {
        struct store_contact_page p;
        q.cursor = cur;
        assert_int_equal(store_contact_list(s, &q, &p, &err), 0);
        for (size_t i = 0; i < p.n; i++)
            assert_int_equal(p.items[i].id, ids[seen + i]);
        seen += p.n;
        pages++;
        snprintf(cur, sizeof(cur), "%s", p.next_cursor);
        store_contact_page_release(&p);
    } while (cur[0]);
    assert_int_equal(seen, N);
    assert_int_equal(pages, 3);

    /* The list's members by keyset: ids[0], ids[3], … — 834 of them
     * (0 to 2499 step 3: 2499 / 3 + 1). */
    int64_t after = 0;
    seen = 0;
    for (;;) {
        struct store_contact_page p;
        assert_int_equal(store_list_members_page(s, 0, l, after, 300, &p, &err), 0);
        for (size_t i = 0; i < p.n; i++)
            assert_int_equal(p.items[i].id, ids[3 * (seen + i)]);
        seen += p.n;
        bool last = p.next_cursor[0] == '\0';
        if (p.n)
            after = p.items[p.n - 1].id;
        store_contact_page_release(&p);
        if (last)
            break;
    }
    assert_int_equal(seen, 834);
    struct store_contact_page p;
    assert_int_equal(store_list_members_page(s, b, l, 0, 10, &p, &err), RL_ENOTFOUND);
    assert_string_equal(err.field, "list");

    /* Filters: the list and a number together; a number alone. */
    q = (struct store_contact_query){
        .account_id = a, .list_id = l, .phone = "+33610000003", .limit = 10};
    assert_int_equal(store_contact_list(s, &q, &p, &err), 0);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.items[0].id, ids[3]);
    store_contact_page_release(&p);
    q.phone = "+33610000004"; /* not a member */
    assert_int_equal(store_contact_list(s, &q, &p, &err), 0);
    assert_int_equal(p.n, 0);
    store_contact_page_release(&p);
    q = (struct store_contact_query){.account_id = b, .phone = "+33610000001", .limit = 10};
    assert_int_equal(store_contact_list(s, &q, &p, &err), 0);
    assert_int_equal(p.n, 1);
    assert_true(p.items[0].account_id == b);
    store_contact_page_release(&p);
    q.list_id = l; /* a's list */
    assert_int_equal(store_contact_list(s, &q, &p, &err), RL_ENOTFOUND);
    q = (struct store_contact_query){.account_id = a, .cursor = "00000000000000zz", .limit = 10};
    assert_int_equal(store_contact_list(s, &q, &p, &err), RL_EINVAL);
    assert_string_equal(err.field, "cursor");
    q.cursor = NULL;
    q.limit = 0;
    assert_int_equal(store_contact_list(s, &q, &p, &err), RL_ERANGE);
    store_close(s);
}

static void test_upsert_counts(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "a");
    struct rl_err err = {0};
    /* Three numbers, the first one twice: 3 created, 1 duplicate. */
    struct store_contact_new rows[] = {
        {.phone = "+33610000001", .phone_type = "mobile", .first_name = "Ana"},
        {.phone = "+33610000002", .phone_type = "mobile", .fields = "{\"shop\":\"Lyon\"}"},
        {.phone = "+33610000001", .phone_type = "mobile", .last_name = "Roy"},
        {.phone = "+33123456789", .phone_type = "fixed_line", .email = "f@example.fr"},
    };
    struct store_upsert u = {.account_id = a, .list_name = "Import", .rows = rows, .n = 4};
    assert_int_equal(store_contacts_upsert(s, &u, &err), 0);
    assert_int_equal(u.created, 3);
    assert_int_equal(u.updated, 0);
    assert_int_equal(u.duplicates, 1);
    struct store_list l;
    assert_int_equal(store_list_find(s, a, "Import", &l, &err), 0);
    assert_int_equal(u.list_id_out, l.id);
    assert_int_equal(l.contacts, 3);
    /* The duplicate row's data was merged in: first name kept, last name added. */
    struct store_contact c;
    assert_int_equal(store_contact_find(s, a, "+33610000001", &c, &err), 0);
    assert_string_equal(c.first_name, "Ana");
    assert_string_equal(c.last_name, "Roy");
    store_contact_release(&c);

    /* The same rows again into the same list: every row a duplicate. */
    assert_int_equal(store_contacts_upsert(s, &u, &err), 0);
    assert_int_equal(u.created, 0);
    assert_int_equal(u.updated, 0);
    assert_int_equal(u.duplicates, 4);
    /* Into another list, with a new number: 3 existing contacts join it
     * (updated), the repeated one is a duplicate, the new one created. */
    rows[3] = (struct store_contact_new){
        .phone = "+33610000009", .phone_type = "mobile", .fields = "{\"vip\":true}"};
    rows[1].fields = "{\"vip\":false}";
    rows[1].phone_type = "fixed_line_or_mobile";
    u = (struct store_upsert){.account_id = a, .list_name = "Autre", .rows = rows, .n = 4};
    assert_int_equal(store_contacts_upsert(s, &u, &err), 0);
    assert_int_equal(u.created, 1);
    assert_int_equal(u.updated, 2);
    assert_int_equal(u.duplicates, 1);
    assert_int_equal(store_contact_find(s, a, "+33610000002", &c, &err), 0);
    assert_string_equal(c.fields, "{\"shop\":\"Lyon\",\"vip\":false}");
    assert_string_equal(c.phone_type, "fixed_line_or_mobile");
    store_contact_release(&c);
    /* By list id; the rows' list of another account is not found. */
    int64_t b = account(s, "b");
    u = (struct store_upsert){.account_id = b, .list_id = l.id, .rows = rows, .n = 1};
    assert_int_equal(store_contacts_upsert(s, &u, &err), RL_ENOTFOUND);
    assert_string_equal(err.field, "list");
    u.account_id = a;
    assert_int_equal(store_contacts_upsert(s, &u, &err), 0);
    assert_int_equal(u.duplicates, 1);
    assert_int_equal(count("SELECT count(*) FROM contacts"), 4);
    assert_int_equal(count("SELECT count(*) FROM list_members"), 3 + 3);
    store_close(s);
}

/* The import's opt-out column: opted out of marketing with source import, in
 * the rows' transaction; a number opted out already is not counted again,
 * and the opt-out outlives the contact (it is by number). */
static void test_upsert_optouts(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "a");
    struct rl_err err = {0};
    struct store_consent_change before = {.account_id = a,
                                          .phone = "+33610000003",
                                          .status = STORE_CONSENT_OPTED_OUT,
                                          .source = STORE_CONSENT_API};
    assert_int_equal(store_consent_record(s, &before, NULL, &err), 0);
    struct store_contact_new rows[] = {mobile("+33610000001"), mobile("+33610000002"),
                                       mobile("+33610000003")};
    const char *optouts[] = {"+33610000001", "+33610000003", "+33610000004"};
    struct store_upsert u = {.account_id = a,
                             .list_name = "Import",
                             .rows = rows,
                             .n = 3,
                             .optouts = optouts,
                             .noptouts = 3};
    assert_int_equal(store_contacts_upsert(s, &u, &err), 0);
    assert_int_equal(u.created, 3);
    /* 01 and 04 (a duplicate row's number) are new opt-outs; 03 was one. */
    assert_int_equal(u.opted_out, 2);
    assert_int_equal(store_consent_opted_out(s, a, "+33610000001"), 1);
    assert_int_equal(store_consent_opted_out(s, a, "+33610000002"), 0);
    assert_int_equal(store_consent_opted_out(s, a, "+33610000004"), 1);
    struct store_consent_view v;
    assert_int_equal(store_consent_get(s, a, "+33610000001", &v, &err), 0);
    assert_int_equal(v.nevents, 1);
    assert_int_equal(v.events[0].source, STORE_CONSENT_IMPORT);
    assert_int_equal(v.events[0].action, STORE_CONSENT_OPTED_OUT);
    assert_string_equal(v.events[0].scope, "marketing");
    char detail[32];
    snprintf(detail, sizeof(detail), "list=%lld", (long long)u.list_id_out);
    assert_string_equal(v.events[0].detail, detail);
    store_consent_view_release(&v);
    /* 03 keeps the source of the change that made it: api. */
    assert_int_equal(count("SELECT count(*) FROM consent_state WHERE phone = '+33610000003' "
                           "AND source = 'api'"),
                     1);
    /* Deleted, then imported again without an opt-out: still opted out. */
    struct store_contact c;
    assert_int_equal(store_contact_find(s, a, "+33610000001", &c, &err), 0);
    assert_int_equal(store_contact_delete(s, a, c.id, &err), 0);
    store_contact_release(&c);
    u = (struct store_upsert){.account_id = a, .list_name = "Import", .rows = rows, .n = 1};
    assert_int_equal(store_contacts_upsert(s, &u, &err), 0);
    assert_int_equal(u.created, 1);
    assert_int_equal(u.opted_out, 0);
    assert_int_equal(store_consent_opted_out(s, a, "+33610000001"), 1);
    /* A number that is not E.164 refuses the write: nothing stored. */
    const char *bad[] = {"0610000005"};
    u = (struct store_upsert){.account_id = a,
                              .list_name = "Import",
                              .rows = rows,
                              .n = 1,
                              .optouts = bad,
                              .noptouts = 1};
    assert_int_equal(store_contacts_upsert(s, &u, &err), RL_EINVAL);
    assert_string_equal(err.field, "optouts");
    store_close(s);
    assert_int_equal(count("SELECT count(*) FROM consent_events WHERE source = 'import'"), 2);
}

static void test_upsert_refused_stores_nothing(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "a");
    struct rl_err err = {0};
    struct store_contact_new rows[] = {mobile("+33610000001"), mobile("+33610000002"),
                                       mobile("33610000003")};
    struct store_upsert u = {.account_id = a, .list_name = "New", .rows = rows, .n = 3};
    assert_int_equal(store_contacts_upsert(s, &u, &err), RL_EINVAL);
    assert_string_equal(err.field, "phone");
    assert_string_equal(err.msg, "row 2: phone '33610000003' is not E.164");
    u.n = STORE_IMPORT_BATCH_MAX + 1;
    assert_int_equal(store_contacts_upsert(s, &u, &err), RL_ETOOLONG);
    u.n = 2;
    u.list_name = "";
    assert_int_equal(store_contacts_upsert(s, &u, &err), RL_EINVAL);
    assert_string_equal(err.field, "name");
    assert_int_equal(count("SELECT count(*) FROM contacts"), 0);
    assert_int_equal(count("SELECT count(*) FROM lists"), 0);
    /* No rows still makes the list: an import of a header alone. */
    u.n = 0;
    u.list_name = "Empty";
    assert_int_equal(store_contacts_upsert(s, &u, &err), 0);
    assert_int_equal(count("SELECT count(*) FROM lists WHERE name = 'Empty'"), 1);
    store_close(s);
}

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int rc;
};

static void on_done(void *ctx, const struct store_result *r)
{
    struct waiter *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->done++;
    w->rc = r->rc;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void test_upsert_submit(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "a");
    struct rl_err err = {0};
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    struct store_contact_new rows[] = {mobile("+33610000001"), mobile("+33610000002")};
    struct store_upsert u1 = {.account_id = a, .list_name = "L", .rows = rows, .n = 2};
    struct store_upsert u2 = {.account_id = a, .list_name = "L", .rows = rows, .n = 1};
    assert_int_equal(store_contacts_upsert_submit(s, &u1, on_done, &w, &err), 0);
    assert_int_equal(store_contacts_upsert_submit(s, &u2, on_done, &w, &err), 0);
    pthread_mutex_lock(&w.mu);
    while (w.done < 2)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    assert_int_equal(w.rc, 0);
    /* In submission order: the second finds the first's contact in the list. */
    assert_int_equal(u1.created, 2);
    assert_int_equal(u2.duplicates, 1);
    assert_int_equal(u2.list_id_out, u1.list_id_out);
    /* A refusal comes back at once, without the callback. */
    struct store_upsert bad = {.account_id = a, .list_id = 0, .list_name = NULL, .n = 0};
    assert_int_equal(store_contacts_upsert_submit(s, &bad, on_done, &w, &err), RL_EINVAL);
    store_close(s);
    assert_int_equal(w.done, 2);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_store_contacts_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_schema, setup),
        cmocka_unit_test_setup(test_contact_crud, setup),
        cmocka_unit_test_setup(test_contact_patch, setup),
        cmocka_unit_test_setup(test_lists_and_members, setup),
        cmocka_unit_test_setup(test_pages, setup),
        cmocka_unit_test_setup(test_upsert_counts, setup),
        cmocka_unit_test_setup(test_upsert_optouts, setup),
        cmocka_unit_test_setup(test_upsert_refused_stores_nothing, setup),
        cmocka_unit_test_setup(test_upsert_submit, setup),
    };
    int rc = cmocka_run_group_tests_name("store_contacts", tests, NULL, NULL);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
