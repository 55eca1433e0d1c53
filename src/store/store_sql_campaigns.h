#ifndef RL_STORE_SQL_CAMPAIGNS_H
#define RL_STORE_SQL_CAMPAIGNS_H

/* The campaigns statements of STORE_STMT_ALL (store_int.h): XX(ID, "SQL") each.
 * A state list is written as a chain of equalities, never IN (…): see
 * 0005_hot_path.sql. A query on one campaign's messages names campaign_id
 * with '=', which lets SQLite use the partial index messages_campaign (an
 * equality implies IS NOT NULL). */

/* The columns store_campaigns.c reads into a struct store_campaign, in its order. */
#define STORE_CAMPAIGN_COLS                                                                        \
    "id, account_id, name, kind, category, require_optin, sender, text, template, audience, "      \
    "send_at, send_window, timezone, rate, smart_encoding, state, figures, messages, "             \
    "first_send_at, last_send_at, pace_us, heartbeat_at, launch_error, created_at, updated_at, "   \
    "launched_at, finished_at"

/* The states a campaign's message waits in before the dispatcher claims it. */
#define STORE_CAMPAIGN_WAITING "(state = 'scheduled' OR state = 'queued' OR state = 'retrying')"

#define STORE_STMT_CAMPAIGNS(XX)                                                                   \
    XX(CAMPAIGN_INSERT,                                                                            \
       "INSERT INTO campaigns (account_id, name, category, require_optin, sender, text, "          \
       "template, audience, send_at, send_window, timezone, rate, smart_encoding, created_at, "    \
       "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)")    \
    XX(CAMPAIGN_GET, "SELECT " STORE_CAMPAIGN_COLS " FROM campaigns WHERE id = ?1 "                \
                     "AND (?2 <= 0 OR account_id = ?2)")                                           \
    XX(CAMPAIGN_PAGE, "SELECT " STORE_CAMPAIGN_COLS " FROM campaigns WHERE account_id = ?1 "       \
                      "AND id > ?2 ORDER BY id LIMIT ?3")                                          \
    XX(CAMPAIGN_RULES, "SELECT state, send_window, timezone, category, require_optin "             \
                       "FROM campaigns WHERE id = ?1")                                             \
    XX(CAMPAIGN_STATE, "SELECT state, account_id, heartbeat_at, launch_error IS NOT NULL "         \
                       "FROM campaigns WHERE id = ?1")                                             \
    XX(CAMPAIGN_SET_STATE, "UPDATE campaigns SET state = ?2, updated_at = ?3, "                    \
                           "finished_at = iif(?4, ?3, finished_at) WHERE id = ?1")                 \
    XX(CAMPAIGN_LAUNCH_BEGIN,                                                                      \
       "UPDATE campaigns SET state = 'launching', heartbeat_at = ?2, launch_error = NULL, "        \
       "launched_at = coalesce(launched_at, ?2), updated_at = ?2 WHERE id = ?1")                   \
    /* As MSG_INSERT (store_int.h), with the campaign. */                                          \
    XX(CAMPAIGN_MSG_INSERT,                                                                        \
       "INSERT INTO messages (account_id, to_e164, from_addr, text, encoding, segments, "          \
       "category, state, route, cost, scheduled_for, validity_until, metadata, created_at, "       \
       "updated_at, campaign_id, history, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, "  \
       "?9, ?10, ?13, NULL, ?11, ?11, ?12, ?14, ?15)")                                             \
    /* No change: the launch was taken over (its heartbeat looked dead). */                        \
    XX(CAMPAIGN_PROGRESS,                                                                          \
       "UPDATE campaigns SET heartbeat_at = ?2, updated_at = ?2, pace_us = ?3, "                   \
       "messages = messages + ?4, first_send_at = min(coalesce(first_send_at, ?5), ?5), "          \
       "last_send_at = max(coalesce(last_send_at, ?6), ?6) "                                       \
       "WHERE id = ?1 AND state = 'launching' AND heartbeat_at = ?7")                              \
    XX(CAMPAIGN_LAUNCH_END,                                                                        \
       "UPDATE campaigns SET state = ?2, figures = ?3, pace_us = ?4, updated_at = ?5, "            \
       "heartbeat_at = NULL WHERE id = ?1 AND state = 'launching' AND heartbeat_at = ?6")          \
    XX(CAMPAIGN_LAUNCH_ERROR,                                                                      \
       "UPDATE campaigns SET launch_error = ?2, figures = ?3, updated_at = ?4 "                    \
       "WHERE id = ?1 AND state = 'launching'")                                                    \
    /* A resumed launch's numbers already written: the rowid range from ?2,                        \
     * not the partial index, whose order is by state first. */                                    \
    XX(CAMPAIGN_NUMBERS, "SELECT id, to_e164 FROM messages NOT INDEXED WHERE id > ?2 "             \
                         "AND campaign_id = ?1 ORDER BY id LIMIT ?3")                              \
    XX(CAMPAIGN_SWEEP_PARK,                                                                        \
       "UPDATE messages SET state = 'draft', updated_at = ?2, history = history || ?4, "           \
       "reason = ?5 WHERE id IN (SELECT id FROM messages WHERE campaign_id = ?1 "                  \
       "AND " STORE_CAMPAIGN_WAITING " LIMIT ?3) RETURNING id")                                    \
    XX(CAMPAIGN_SWEEP_CANCEL,                                                                      \
       "UPDATE messages SET state = 'cancelled', updated_at = ?2, history = history || ?4, "       \
       "reason = ?5 WHERE id IN (SELECT id FROM messages WHERE campaign_id = ?1 AND (state = "     \
       "'draft' OR " STORE_CAMPAIGN_WAITING ") LIMIT ?3) RETURNING id, account_id, cost")          \
    XX(CAMPAIGN_DRAFTS, "SELECT id, to_e164 FROM messages WHERE campaign_id = ?1 "                 \
                        "AND state = 'draft' AND id > ?2 ORDER BY id LIMIT ?3")                    \
    /* ?5: the new end of validity (0: the one it had). */                                         \
    XX(CAMPAIGN_RESCHEDULE,                                                                        \
       "UPDATE messages SET state = ?2, scheduled_for = ?3, updated_at = ?4, "                     \
       "validity_until = iif(?5 > 0, ?5, validity_until), history = history || ?6, "               \
       "reason = ?7 WHERE id = ?1 AND state = 'draft'")                                            \
    XX(CAMPAIGN_PACE_GET, "SELECT rate, pace_us FROM campaigns WHERE id = ?1")                     \
    XX(CAMPAIGN_PACE_SET, "UPDATE campaigns SET pace_us = ?2 WHERE id = ?1")                       \
    /* The dispatcher's question for a claimed batch (?1 a JSON array of ids):                     \
     * which are a campaign's, one primary-key lookup each. */                                     \
    XX(CAMPAIGN_OF_MESSAGES, "SELECT m.id, m.campaign_id FROM json_each(?1) j "                    \
                             "JOIN messages m ON m.id = j.value WHERE m.campaign_id IS NOT NULL")  \
    /* Holds on a message just claimed (submitting): the claim's attempt is                        \
     * given back, since nothing was tried. A deferral whose ?4 > 0 restarts                       \
     * the validity at the new time (a campaign's message: see store_hold). */                     \
    XX(CAMPAIGN_MSG_DEFER,                                                                         \
       "UPDATE messages SET state = 'scheduled', scheduled_for = ?2, updated_at = ?3, "            \
       "attempts = max(attempts - 1, 0), "                                                         \
       "validity_until = iif(?4 > 0, ?2 + ?4, validity_until), history = history || ?5, "          \
       "reason = ?6 WHERE id = ?1 AND state = 'submitting'")                                       \
    XX(CAMPAIGN_MSG_PARK, "UPDATE messages SET state = 'draft', updated_at = ?2, "                 \
                          "attempts = max(attempts - 1, 0), history = history || ?5, reason = ?6 " \
                          "WHERE id = ?1 AND state = 'submitting'")                                \
    XX(CAMPAIGN_MSG_CANCEL,                                                                        \
       "UPDATE messages SET state = 'cancelled', updated_at = ?2, "                                \
       "attempts = max(attempts - 1, 0), history = history || ?5, reason = ?6 "                    \
       "WHERE id = ?1 AND state = 'submitting' RETURNING account_id, cost")                        \
    XX(CAMPAIGN_COUNTS, "SELECT state, count(*) FROM messages WHERE campaign_id = ?1 "             \
                        "GROUP BY state")                                                          \
    /* Billed: every message the SMSC took or may still take; a failure, an                        \
     * expiry, a rejection or a cancellation before it was taken was refunded                      \
     * (dispatch_rx.c, store_message_cancel). */                                                   \
    XX(CAMPAIGN_BILLED,                                                                            \
       "SELECT coalesce(sum(cost), 0) FROM messages WHERE campaign_id = ?1 AND NOT (state = "      \
       "'cancelled' OR state = 'rejected' OR state = 'expired' OR state = 'failed')")              \
    XX(CAMPAIGN_UNDELIVERED,                                                                       \
       "SELECT count(*), coalesce(sum(cost), 0) FROM messages m WHERE m.campaign_id = ?1 "         \
       "AND (m.state = 'failed' OR m.state = 'expired') AND EXISTS (SELECT 1 FROM "                \
       "message_parts p WHERE p.message_id = m.id AND p.operator_id IS NOT NULL)")                 \
    /* Why messages did not arrive: the operator's error of a part, else the                       \
     * reason of the message's last change. */                                                     \
    XX(CAMPAIGN_ERRORS,                                                                            \
       "SELECT coalesce((SELECT p.error FROM message_parts p WHERE p.message_id = m.id "           \
       "AND p.error IS NOT NULL AND p.error != '' LIMIT 1), m.reason, 'unknown') AS k, "           \
       "count(*) AS n FROM messages m WHERE m.campaign_id = ?1 AND (m.state = 'failed' OR "        \
       "m.state = 'rejected' OR m.state = 'expired') GROUP BY k "                                  \
       "ORDER BY n DESC, k LIMIT ?2")                                                              \
    XX(CAMPAIGN_OPTOUTS,                                                                           \
       "SELECT count(DISTINCT e.phone) FROM consent_events e WHERE e.account_id = ?1 "             \
       "AND e.action = 'opt_out' AND e.at >= ?3 AND EXISTS (SELECT 1 FROM messages m "             \
       "WHERE m.to_e164 = e.phone AND m.campaign_id = ?2)")                                        \
    XX(CAMPAIGN_UNFINISHED,                                                                        \
       "SELECT EXISTS (SELECT 1 FROM messages WHERE campaign_id = ?1 AND (state = 'draft' OR "     \
       "state = 'submitting' OR " STORE_CAMPAIGN_WAITING "))")                                     \
    XX(CAMPAIGN_SETTLE, "UPDATE campaigns SET state = 'done', finished_at = ?2, updated_at = ?2 "  \
                        "WHERE id = ?1 AND (state = 'scheduled' OR state = 'sending')")            \
    XX(ACCOUNT_MENTIONS_GET, "SELECT optout_mention FROM accounts WHERE id = ?1")                  \
    XX(ACCOUNT_MENTIONS_SET, "UPDATE accounts SET optout_mention = ?2 WHERE id = ?1")

#endif
