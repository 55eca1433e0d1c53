#ifndef RL_CONTACT_IMPORT_H
#define RL_CONTACT_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "domain/csvimport.h"

/* A CSV file into an account's list: csvimport parses and classifies each
 * row, this writes the rows in batches through the store's writer and counts
 * what the store did. The same driver serves `relais contacts import` and
 * POST /v1/contacts/import, fed by file reads or upload chunks.
 *
 * Batches are written asynchronously and double-buffered: while one commits
 * on the writer's thread, the next fills from the parser, so parsing and
 * SQLite use two cores. At most two batches exist (CONTACT_IMPORT_BATCH rows
 * or CONTACT_IMPORT_BATCH_BYTES each), so memory is flat in the file's size.
 *
 * Rows: MOBILE and NON_MOBILE rows are written (created, or merged into the
 * account's contact of that number) and added to the list. DUPLICATE rows
 * (a number already seen in this file) are not written: the first row of a
 * number wins, and the row counts as a duplicate. INVALID rows are reported
 * by the parser. A row whose contact is in the list already counts as a
 * duplicate too (its data is merged all the same), so every row is counted
 * once: rows = created + updated + duplicates + invalid_total.
 *
 * Opt-outs: a row whose opt-out column says yes (csvimport.h) opts its
 * number out of marketing, source import, in the same transaction as its
 * batch's contacts; a DUPLICATE row's too (any row of a number may be the one
 * that says so). The report's opted_out counts the numbers that were not
 * opted out before. A deleted contact's opt-out stays (it is by number), so a
 * number imported again after its contact was deleted is still opted out.
 *
 * Nothing is written before the header row is read and a first row is ready
 * (or the file ends): a refused header stores nothing, not even the list. */

#define CONTACT_IMPORT_BATCH       2000
#define CONTACT_IMPORT_BATCH_BYTES ((size_t)4 << 20)

struct store;
struct contact_import;

struct contact_import_opts {
    struct store *store; /* borrowed; must outlive the import */
    int64_t account_id;
    const char *list;   /* borrowed for the call: the list's name, found or created */
    const char *region; /* default region of national numbers ("FR"), or NULL */
    size_t rows_max;    /* 0: CSVIMPORT_ROWS_MAX */
};

/* Returns 0 and a new import in *out (free with contact_import_free), or
 * RL_EINVAL naming "region" or "list". */
int contact_import_new(const struct contact_import_opts *o, struct contact_import **out,
                       struct rl_err *err);
/* Parses data[0..len) (borrowed for the call) and writes the batches it
 * completes. Returns 0, or the first failure (csvimport_feed's codes, or the
 * store's): the import is then over and every later call returns it. When
 * the file stops it (a limit, an open quote), the rows before that line are
 * written before this returns. */
int contact_import_feed(struct contact_import *im, const void *data, size_t len,
                        struct rl_err *err);
/* Ends the file, writes the last batch and waits for every write to commit.
 * Returns 0 with the report complete, or the failure as above. */
int contact_import_finish(struct contact_import *im, struct rl_err *err);
/* The report (borrowed from im): the parser's counts and the store's. */
const struct csvimport_report *contact_import_report(struct contact_import *im);
/* The report as the API answers it (new; json_decref). */
json_t *contact_import_report_json(struct contact_import *im);
/* Rows written (committed), for an error that stops midway. */
size_t contact_import_written(struct contact_import *im);
/* Waits for a write in flight, then frees im; NULL is a no-op. Rows already
 * committed stay. */
void contact_import_free(struct contact_import *im);

#endif
