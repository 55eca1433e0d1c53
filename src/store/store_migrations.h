#ifndef RL_STORE_MIGRATIONS_H
#define RL_STORE_MIGRATIONS_H

/* The schema's history, embedded at build from src/store/migrations/NNNN_*.sql
 * (tools/embed-sql.sh). A migration is applied once, in order, in one
 * transaction with the PRAGMA user_version that records it. */
struct store_migration {
    unsigned version;
    const char *name;
    const char *sql;
};

extern const struct store_migration store_migrations[];
extern const unsigned store_migrations_count;

#endif
