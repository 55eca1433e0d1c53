#ifndef RL_STORE_SQL_CONTACTS_H
#define RL_STORE_SQL_CONTACTS_H

/* The contacts statements of STORE_STMT_ALL (store_int.h): XX(ID, "SQL") each.
 * Every statement that reads or changes one account's row names the account,
 * so that another account's id is simply not found. */

/* The columns store_contacts.c reads into a struct store_contact, in its order. */
#define STORE_CONTACT_COLS                                                                         \
    "c.id, c.account_id, c.phone, c.phone_type, c.email, c.first_name, c.last_name, "              \
    "c.language, c.fields, c.created_at, c.updated_at"

/* The columns of a struct store_list, the member count last. */
#define STORE_LIST_COLS                                                                            \
    "l.id, l.account_id, l.name, l.created_at, l.updated_at, "                                     \
    "(SELECT count(*) FROM list_members m WHERE m.list_id = l.id)"

#define STORE_STMT_CONTACTS(XX)                                                                    \
    XX(CONTACT_INSERT, "INSERT INTO contacts (account_id, phone, phone_type, email, first_name, "  \
                       "last_name, language, fields, created_at, updated_at) "                     \
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, '{}'), ?9, ?9)")          \
    XX(CONTACT_ID_BY_PHONE, "SELECT id FROM contacts WHERE account_id = ?1 AND phone = ?2")        \
    /* An import's merge: what the row gives replaces, what it leaves empty stays. */              \
    XX(CONTACT_MERGE,                                                                              \
       "UPDATE contacts SET phone_type = ?2, email = coalesce(?3, email), "                        \
       "first_name = coalesce(?4, first_name), last_name = coalesce(?5, last_name), "              \
       "language = coalesce(?6, language), "                                                       \
       "fields = iif(?7 IS NULL, fields, json_patch(fields, ?7)), updated_at = ?8 WHERE id = ?1")  \
    XX(CONTACT_GET, "SELECT " STORE_CONTACT_COLS " FROM contacts c "                               \
                    "WHERE c.id = ?1 AND c.account_id = ?2")                                       \
    XX(CONTACT_BY_PHONE, "SELECT " STORE_CONTACT_COLS " FROM contacts c "                          \
                         "WHERE c.account_id = ?1 AND c.phone = ?2")                               \
    /* PATCH: ?n flags say which members came; ?13 is 0 keep, 1 merge, 2 clear. */                 \
    XX(CONTACT_PATCH,                                                                              \
       "UPDATE contacts SET phone = coalesce(?3, phone), phone_type = coalesce(?4, phone_type), "  \
       "email = iif(?5, ?6, email), first_name = iif(?7, ?8, first_name), "                        \
       "last_name = iif(?9, ?10, last_name), language = iif(?11, ?12, language), "                 \
       "fields = CASE ?13 WHEN 1 THEN json_patch(fields, ?14) WHEN 2 THEN '{}' ELSE fields END, "  \
       "updated_at = ?15 WHERE id = ?1 AND account_id = ?2")                                       \
    XX(CONTACT_DELETE, "DELETE FROM contacts WHERE id = ?1 AND account_id = ?2")                   \
    XX(CONTACT_OWNED, "SELECT 1 FROM contacts WHERE id = ?1 AND account_id = ?2")                  \
    XX(CONTACT_PAGE, "SELECT " STORE_CONTACT_COLS " FROM contacts c WHERE c.account_id = ?1 "      \
                     "AND c.id > ?2 ORDER BY c.id LIMIT ?3")                                       \
    XX(CONTACT_PAGE_PHONE, "SELECT " STORE_CONTACT_COLS " FROM contacts c "                        \
                           "WHERE c.account_id = ?1 AND c.id > ?2 AND c.phone = ?4 LIMIT ?3")      \
    XX(MEMBER_PAGE, "SELECT " STORE_CONTACT_COLS " FROM list_members m "                           \
                    "JOIN contacts c ON c.id = m.contact_id WHERE m.list_id = ?1 "                 \
                    "AND m.contact_id > ?2 ORDER BY m.contact_id LIMIT ?3")                        \
    XX(MEMBER_PAGE_PHONE, "SELECT " STORE_CONTACT_COLS " FROM list_members m "                     \
                          "JOIN contacts c ON c.id = m.contact_id WHERE m.list_id = ?1 "           \
                          "AND m.contact_id > ?2 AND c.phone = ?4 LIMIT ?3")                       \
    XX(MEMBER_ADD, "INSERT INTO list_members (list_id, contact_id, added_at) "                     \
                   "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")                                   \
    XX(MEMBER_REMOVE, "DELETE FROM list_members WHERE list_id = ?1 AND contact_id = ?2")           \
    XX(CONTACT_LISTS, "SELECT l.id, l.name FROM list_members m JOIN lists l ON l.id = m.list_id "  \
                      "WHERE m.contact_id = ?1 ORDER BY l.id")                                     \
    XX(LIST_INSERT, "INSERT INTO lists (account_id, name, created_at, updated_at) "                \
                    "VALUES (?1, ?2, ?3, ?3)")                                                     \
    XX(LIST_ID_BY_NAME, "SELECT id FROM lists WHERE account_id = ?1 AND name = ?2")                \
    XX(LIST_OWNED, "SELECT 1 FROM lists WHERE id = ?1 AND account_id = ?2")                        \
    XX(LIST_GET, "SELECT " STORE_LIST_COLS " FROM lists l WHERE l.id = ?1 AND l.account_id = ?2")  \
    XX(LIST_BY_NAME, "SELECT " STORE_LIST_COLS " FROM lists l "                                    \
                     "WHERE l.account_id = ?1 AND l.name = ?2")                                    \
    XX(LIST_PAGE, "SELECT " STORE_LIST_COLS " FROM lists l WHERE l.account_id = ?1 "               \
                  "AND l.id > ?2 ORDER BY l.id LIMIT ?3")                                          \
    XX(LIST_RENAME, "UPDATE lists SET name = ?3, updated_at = ?4 "                                 \
                    "WHERE id = ?1 AND account_id = ?2")                                           \
    XX(LIST_DELETE, "DELETE FROM lists WHERE id = ?1 AND account_id = ?2")                         \
    XX(ACCOUNT_FIRST_TWO, "SELECT id, name FROM accounts ORDER BY id LIMIT 2")

#endif
