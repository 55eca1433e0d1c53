#ifndef RL_STORE_SQL_CONSENT_H
#define RL_STORE_SQL_CONSENT_H

/* The consent statements of STORE_STMT_ALL (store_int.h): XX(ID, "SQL") each.
 * Every statement names the account: one account's consent is another's
 * nothing. */

#define STORE_STMT_CONSENT(XX)                                                                     \
    /* Changes the state only when it differs: sqlite3_changes() then says                         \
     * whether an event is due. */                                                                 \
    XX(CONSENT_UPSERT,                                                                             \
       "INSERT INTO consent_state (account_id, phone, scope, status, source, updated_at) "         \
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (account_id, phone, scope) DO UPDATE SET "     \
       "status = excluded.status, source = excluded.source, updated_at = excluded.updated_at "     \
       "WHERE status != excluded.status")                                                          \
    XX(CONSENT_EVENT_INSERT, "INSERT INTO consent_events (account_id, phone, scope, action, "      \
                             "source, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")            \
    /* The dispatcher's check, per marketing message: one primary-key lookup. */                   \
    XX(CONSENT_OPTED_OUT, "SELECT 1 FROM consent_state WHERE account_id = ?1 AND phone = ?2 "      \
                          "AND scope = 'marketing' AND status = 'opted_out'")                      \
    XX(CONSENT_STATUS, "SELECT status FROM consent_state WHERE account_id = ?1 AND phone = ?2 "    \
                       "AND scope = ?3")                                                           \
    XX(CONSENT_SCOPES, "SELECT scope, status, source, updated_at FROM consent_state "              \
                       "WHERE account_id = ?1 AND phone = ?2 ORDER BY scope")                      \
    /* The latest ?3 events, read newest first and returned oldest first. */                       \
    XX(CONSENT_EVENTS, "SELECT id, scope, action, source, detail, at FROM consent_events "         \
                       "WHERE account_id = ?1 AND phone = ?2 ORDER BY id DESC LIMIT ?3")           \
    /* GET /v1/optouts: keyset pages in (phone, scope) order, or by phone                          \
     * within one scope (the partial index consent_state_optouts). */                              \
    XX(CONSENT_OPTOUTS, "SELECT phone, scope, source, updated_at FROM consent_state "              \
                        "WHERE account_id = ?1 AND status = 'opted_out' AND (phone, scope) > "     \
                        "(?2, ?3) ORDER BY phone, scope LIMIT ?4")                                 \
    XX(CONSENT_OPTOUTS_SCOPE, "SELECT phone, scope, source, updated_at FROM consent_state "        \
                              "WHERE account_id = ?1 AND status = 'opted_out' AND scope = ?3 "     \
                              "AND phone > ?2 ORDER BY phone LIMIT ?4")                            \
    /* Which account an inbound message from ?1 arriving on route ?2 is for:                       \
     * the latest message to that number, through that route if any. */                            \
    XX(CONSENT_ATTRIBUTE, "SELECT account_id FROM messages WHERE to_e164 = ?1 "                    \
                          "ORDER BY route IS ?2 DESC, id DESC LIMIT 1")                            \
    XX(CONSENT_STOP_REPLY, "SELECT stop_reply FROM accounts WHERE id = ?1")                        \
    XX(CONSENT_STOP_REPLY_SET, "UPDATE accounts SET stop_reply = ?2 WHERE id = ?1")                \
    XX(CONSENT_META_GET, "SELECT value FROM meta WHERE key = ?1")                                  \
    XX(CONSENT_META_ADD, "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)")

#endif
