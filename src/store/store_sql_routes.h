#ifndef RL_STORE_SQL_ROUTES_H
#define RL_STORE_SQL_ROUTES_H

/* The routes statements of STORE_STMT_ALL (store_int.h): XX(ID, "SQL") each. */

#define STORE_STMT_ROUTES(XX)                                                                      \
    /* A route of the configuration: new, or changed (then updated_at moves),                      \
     * or the same as stored (then nothing is written: sqlite3_changes is 0). */                   \
    XX(ROUTE_UPSERT,                                                                               \
       "INSERT INTO routes (name, kind, host, port, system_id, prefixes, default_sender, active, " \
       "first_seen, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8) "                   \
       "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, host = excluded.host, "             \
       "port = excluded.port, system_id = excluded.system_id, prefixes = excluded.prefixes, "      \
       "default_sender = excluded.default_sender, active = 1, updated_at = excluded.updated_at "   \
       "WHERE (kind, host, port, system_id, prefixes, default_sender, active) != "                 \
       "(excluded.kind, excluded.host, excluded.port, excluded.system_id, excluded.prefixes, "     \
       "excluded.default_sender, 1)")                                                              \
    XX(ROUTE_ACTIVE_NAMES, "SELECT name FROM routes WHERE active = 1")                             \
    XX(ROUTE_DEACTIVATE,                                                                           \
       "UPDATE routes SET active = 0, updated_at = ?2 WHERE name = ?1 AND active = 1")             \
    XX(ROUTE_LIST, "SELECT name, kind, host, port, system_id, prefixes, default_sender, active, "  \
                   "first_seen, updated_at FROM routes ORDER BY name")

#endif
