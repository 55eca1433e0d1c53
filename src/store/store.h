#ifndef RL_STORE_H
#define RL_STORE_H

#include <stdbool.h>

#include "core/err.h"

/* The store: the only code in relais that speaks SQL. SQLite by default;
 * callers see this interface only, so that a PostgreSQL backend can come
 * without touching them. */

struct store;

struct store_opts {
    const char *path; /* the database file; created if missing */
    bool sync_full;   /* synchronous=FULL (fsync every commit) or NORMAL */
};

/* Opens (creating if needed) and migrates the store. Returns 0 and *out (free
 * with store_close), or an error naming the file and what failed. */
int store_open(const struct store_opts *o, struct store **out, struct rl_err *err);
/* Closes s; NULL is a no-op. */
void store_close(struct store *s);

/* The schema version in force (the last migration applied). */
unsigned store_schema_version(const struct store *s);
/* The schema version this binary knows. */
unsigned store_schema_latest(void);
/* "sqlite". */
const char *store_backend(const struct store *s);
/* The path given to store_open (borrowed from s). */
const char *store_path(const struct store *s);

#endif
