#include "domain/contact_import.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "store/store.h"
#include "text/utf8.h"
#include "core/banned.h"

/* The most one row takes in a batch's arena: every string at its cap, NULs included. */
#define ROW_BYTES_MAX                                                                              \
    (STORE_PHONE_SIZE + STORE_CONTACT_EMAIL_MAX + 2 * STORE_CONTACT_NAME_MAX +                     \
     STORE_CONTACT_LANG_MAX + STORE_CONTACT_FIELDS_MAX + 8)

/* One batch: its rows point into its arena, which never moves (allocated once
 * at its full size; the pages a small import does not touch cost nothing). */
struct batch {
    struct store_contact_new *rows;
    const char **optouts; /* the numbers the opt-out column marks, into the arena */
    char *arena;
    size_t used;
    struct store_upsert u;
};

struct contact_import {
    struct store *store;
    int64_t account_id;
    char list[STORE_LIST_NAME_MAX + 1];
    int64_t list_id; /* known once the first batch committed */
    struct csvimport *csv;
    struct batch b[2];
    struct batch *fill;   /* filling from the parser */
    struct batch *flight; /* with the writer, or NULL */
    bool submitted;       /* a batch was ever sent (the list then exists) */
    size_t written;
    pthread_mutex_t mu; /* guards done and done_rc, set on the writer's thread */
    pthread_cond_t cv;
    bool done;
    int done_rc;
    int rc; /* the first failure, sticky, with err */
    struct rl_err err;
};

static int fail(struct contact_import *im, int rc, const struct rl_err *e)
{
    if (im->rc == 0) {
        im->rc = rc;
        im->err = *e;
        if (im->err.code == 0)
            rl_err_set(&im->err, rc, "store", "the store failed to write the contacts");
    }
    return im->rc;
}

static void on_written(void *ctx, const struct store_result *r)
{
    struct contact_import *im = ctx;
    pthread_mutex_lock(&im->mu);
    im->done = true;
    im->done_rc = r->rc;
    pthread_cond_signal(&im->cv);
    pthread_mutex_unlock(&im->mu);
}

/* Waits for the batch in flight and adds what the store counted. */
static int wait_flight(struct contact_import *im)
{
    struct batch *b = im->flight;
    if (!b)
        return im->rc;
    pthread_mutex_lock(&im->mu);
    while (!im->done)
        pthread_cond_wait(&im->cv, &im->mu);
    int rc = im->done_rc;
    im->done = false;
    pthread_mutex_unlock(&im->mu);
    im->flight = NULL;
    if (rc != 0)
        return fail(im, rc, &b->u.err);
    struct csvimport_report *r = csvimport_report(im->csv);
    r->created += b->u.created;
    r->updated += b->u.updated;
    r->duplicates_list += b->u.duplicates;
    r->opted_out += b->u.opted_out;
    im->list_id = b->u.list_id_out;
    im->written += b->u.n;
    return im->rc;
}

/* Sends the filling batch to the writer once the previous one committed. */
static int flush(struct contact_import *im)
{
    struct batch *b = im->fill;
    struct rl_err e = {0};
    int rc = wait_flight(im);
    if (rc != 0)
        return rc;
    b->u = (struct store_upsert){.account_id = im->account_id,
                                 .list_id = im->list_id,
                                 .list_name = im->list,
                                 .rows = b->rows,
                                 .n = b->u.n,
                                 .optouts = b->optouts,
                                 .noptouts = b->u.noptouts};
    rc = store_contacts_upsert_submit(im->store, &b->u, on_written, im, &e);
    if (rc != 0)
        return fail(im, rc, &e);
    im->submitted = true;
    im->flight = b;
    im->fill = b == &im->b[0] ? &im->b[1] : &im->b[0];
    im->fill->u.n = 0;
    im->fill->u.noptouts = 0;
    im->fill->used = 0;
    return 0;
}

static const char *keep(struct batch *b, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(b->arena + b->used, s, n);
    b->used += n;
    return d;
}

static size_t need(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Makes room in the filling batch for bytes more and one row: the batch goes
 * to the writer when full. */
static int room(struct contact_import *im, size_t bytes)
{
    struct batch *b = im->fill;
    if (b->u.n < CONTACT_IMPORT_BATCH && b->u.noptouts < CONTACT_IMPORT_BATCH &&
        b->used + bytes <= CONTACT_IMPORT_BATCH_BYTES)
        return 0;
    return flush(im);
}

/* A number twice in the file is written once, but an opt-out on any of its
 * rows counts: the later row may be the one that says STOP. */
static int add_optout(struct contact_import *im, const struct csvimport_row *row)
{
    int rc = room(im, STORE_PHONE_SIZE);
    if (rc != 0)
        return rc;
    struct batch *b = im->fill;
    b->optouts[b->u.noptouts++] = keep(b, row->phone.e164);
    return 0;
}

static int add_row(struct contact_import *im, const struct csvimport_row *row)
{
    /* "{}" merges nothing: NULL spares the store a json_patch per row. */
    const char *fields = row->fields && strcmp(row->fields, "{}") != 0 ? row->fields : NULL;
    size_t bytes = need(row->phone.e164) + need(row->email) + need(row->first_name) +
                   need(row->last_name) + need(row->language) + need(fields);
    if (bytes > ROW_BYTES_MAX) /* the parser's caps make this impossible */
        return fail(im, RL_ETOOLONG,
                    &(struct rl_err){RL_ETOOLONG, "row", "a row is over the import's row size"});
    int rc = room(im, bytes);
    if (rc != 0)
        return rc;
    struct batch *b = im->fill;
    struct store_contact_new *n = &b->rows[b->u.n++];
    n->phone = keep(b, row->phone.e164);
    n->phone_type = phone_type_name(row->phone.type); /* static */
    n->email = keep(b, row->email);
    n->first_name = keep(b, row->first_name);
    n->last_name = keep(b, row->last_name);
    n->language = keep(b, row->language);
    n->fields = keep(b, fields);
    if (row->optout) /* room() left a slot */
        b->optouts[b->u.noptouts++] = n->phone;
    return 0;
}

static int on_row(void *ctx, const struct csvimport_row *row)
{
    struct contact_import *im = ctx;
    if (im->rc != 0)
        return im->rc;
    if (row->status == CSVIMPORT_DUPLICATE && row->optout)
        return add_optout(im, row);
    if (row->status != CSVIMPORT_MOBILE && row->status != CSVIMPORT_NON_MOBILE)
        return 0; /* counted by the parser: invalid, or the number's first row wins */
    return add_row(im, row);
}

static int check_list(const char *name, struct rl_err *err)
{
    size_t n = name ? strlen(name) : 0;
    bool ok = n > 0 && n <= STORE_LIST_NAME_MAX && utf8_validate(name, n, NULL) == 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)name[i] >= 0x20 && name[i] != 0x7f;
    if (!ok)
        return rl_err_set(err, RL_EINVAL, "list",
                          "list '%.40s' is not a name of 1 to %d bytes without control characters",
                          name ? name : "", STORE_LIST_NAME_MAX);
    return 0;
}

int contact_import_new(const struct contact_import_opts *o, struct contact_import **out,
                       struct rl_err *err)
{
    *out = NULL;
    int rc = check_list(o->list, err);
    if (rc != 0)
        return rc;
    struct contact_import *im = xcalloc(1, sizeof(*im));
    struct csvimport_opts co = {
        .region = o->region, .on_row = on_row, .ctx = im, .rows_max = o->rows_max};
    if ((rc = csvimport_new(&co, &im->csv, err)) != 0) {
        free(im);
        return rc;
    }
    im->store = o->store;
    im->account_id = o->account_id;
    memcpy(im->list, o->list, strlen(o->list) + 1);
    for (int i = 0; i < 2; i++) {
        im->b[i].rows = xcalloc(CONTACT_IMPORT_BATCH, sizeof(*im->b[i].rows));
        im->b[i].optouts = xcalloc(CONTACT_IMPORT_BATCH, sizeof(*im->b[i].optouts));
        im->b[i].arena = xmalloc(CONTACT_IMPORT_BATCH_BYTES + ROW_BYTES_MAX);
    }
    im->fill = &im->b[0];
    pthread_mutex_init(&im->mu, NULL);
    pthread_cond_init(&im->cv, NULL);
    *out = im;
    return 0;
}

/* The parser's failure, unless it is on_row passing ours back. The rows read
 * whole before the line that stopped the file are written first, so that
 * "the rows before it were imported" is the whole truth. */
static int parse_failed(struct contact_import *im, int rc, const struct rl_err *e)
{
    if (im->rc != 0)
        return im->rc;
    if (((im->fill->u.n == 0 && im->fill->u.noptouts == 0) || flush(im) == 0) &&
        wait_flight(im) != 0)
        return im->rc;
    return fail(im, rc, e);
}

int contact_import_feed(struct contact_import *im, const void *data, size_t len, struct rl_err *err)
{
    struct rl_err e = {0};
    int rc = im->rc;
    if (rc == 0 && (rc = csvimport_feed(im->csv, data, len, &e)) != 0)
        rc = parse_failed(im, rc, &e);
    if (rc != 0 && err)
        *err = im->err;
    return rc;
}

int contact_import_finish(struct contact_import *im, struct rl_err *err)
{
    struct rl_err e = {0};
    int rc = im->rc;
    if (rc == 0 && (rc = csvimport_finish(im->csv, &e)) != 0)
        rc = parse_failed(im, rc, &e);
    /* The last rows; with none ever sent, an empty batch still makes the list. */
    if (rc == 0 && (im->fill->u.n > 0 || im->fill->u.noptouts > 0 || !im->submitted))
        rc = flush(im);
    if (rc == 0)
        rc = wait_flight(im);
    if (rc != 0 && err)
        *err = im->err;
    return rc;
}

const struct csvimport_report *contact_import_report(struct contact_import *im)
{
    return csvimport_report(im->csv);
}

json_t *contact_import_report_json(struct contact_import *im)
{
    return csvimport_report_json(csvimport_report(im->csv));
}

size_t contact_import_written(struct contact_import *im)
{
    return im->written;
}

void contact_import_free(struct contact_import *im)
{
    if (!im)
        return;
    wait_flight(im);
    csvimport_free(im->csv);
    for (int i = 0; i < 2; i++) {
        free(im->b[i].rows);
        free(im->b[i].optouts);
        free(im->b[i].arena);
    }
    pthread_cond_destroy(&im->cv);
    pthread_mutex_destroy(&im->mu);
    free(im);
}
