/* The receive journal (see store.h): records appended to segment files in
 * <store.path>.journal/, fsynced in groups by one thread, dropped once the
 * writer has applied them, replayed after a crash.
 *
 * A segment is named after the number of its first record (16 hex digits,
 * ".rxj") and holds records back to back:
 *
 *   u32 length | u32 crc32 | payload[length]
 *   payload = u64 seq | u8 kind | body          (little-endian throughout)
 *
 * A crash can leave the last record of the last segment cut short or
 * half-written; its CRC (zlib's crc32) tells, and replay stops there: such a
 * record was never reported durable, so nothing acknowledged is in it.
 *
 * Written here rather than kept in a second SQLite database: the records are
 * written once, read only after a crash, and dropped a whole file at a time,
 * which an append-only file does with one write and one fdatasync per group
 * and no b-tree; SQLite would add an insert and a delete per record on top. */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/banned.h"

#define SEG_MAX       ((size_t)4 << 20) /* a segment is closed past this */
#define SEG_READ_MAX  ((size_t)256 << 20)
#define REC_MAX       ((uint32_t)64 << 20)
#define QUEUE_MAX     ((size_t)64 << 20) /* bytes waiting for the thread */
#define HEADER_LEN    8
#define PAYLOAD_FIXED 9 /* seq and kind */

struct jrec {
    struct jrec *next;
    uint64_t ticket;
    size_t len; /* payload */
    uint8_t hdr[HEADER_LEN];
    uint8_t payload[]; /* seq, kind, body */
};

struct store_journal {
    char *dir;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;  /* the thread waits: records, or closing */
    pthread_cond_t space; /* the producer waits: the queue's bytes */
    struct jrec *head, *tail;
    size_t queued;
    bool closing;
    uint64_t next_seq; /* the producer's; read under mu by nobody else */
    uint64_t applied;  /* under mu: the writer's last committed record */
    store_durable_fn durable;
    void *durable_ud;
    /* the thread's own */
    int fd;
    uint64_t seg_first, written;
    size_t seg_bytes;
    uint64_t *closed; /* first numbers of the closed segments, oldest first */
    size_t nclosed, closed_cap;
    bool broken;  /* a write failed: durable_fn is called no more */
    bool stopped; /* under mu: submits go straight to the writer */
};

/* --- encoding -------------------------------------------------------------------- */

struct enc {
    uint8_t *p;
    size_t len, cap;
};

static void put(struct enc *e, const void *v, size_t n)
{
    if (e->len + n > e->cap) {
        while (e->len + n > e->cap)
            e->cap = e->cap ? e->cap * 2 : 256;
        e->p = xrealloc(e->p, e->cap);
    }
    memcpy(e->p + e->len, v, n);
    e->len += n;
}

static void put_u64(struct enc *e, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(e, b, 8);
}

static void put_u32(struct enc *e, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(e, b, 4);
}

/* A string: u32 length + 1 (0 for NULL), then its bytes. */
static void put_str(struct enc *e, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(e, s ? (uint32_t)n + 1 : 0);
    if (n)
        put(e, s, n);
}

uint8_t *store_jrec_outcomes(const struct store_outcome *o, size_t n, int64_t now, size_t *len)
{
    struct enc e = {0};
    put_u32(&e, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        const struct store_outcome *x = &o[i];
        uint8_t kind = (uint8_t)x->kind, state = (uint8_t)x->state;
        put(&e, &kind, 1);
        put(&e, &state, 1);
        put_u64(&e, (uint64_t)x->message_id);
        put_u32(&e, (uint32_t)x->part);
        put_u64(&e, (uint64_t)(x->at ? x->at : now)); /* "now" is the time it came */
        put_u64(&e, (uint64_t)x->retry_at);
        put_u64(&e, (uint64_t)x->refund);
        put_u32(&e, (uint32_t)x->nparts);
        put_u32(&e, x->operator_ids ? (uint32_t)x->nparts : 0);
        for (size_t k = 0; x->operator_ids && k < x->nparts; k++)
            put_str(&e, x->operator_ids[k]);
        put_str(&e, x->route);
        put_str(&e, x->error);
        put_str(&e, x->operator_id);
        put_str(&e, x->raw);
        put_str(&e, x->reason);
        put_str(&e, x->detail);
    }
    *len = e.len;
    return e.p;
}

uint8_t *store_jrec_inbound(const struct store_inbound *in, int64_t now, size_t *len)
{
    struct enc e = {0};
    put_str(&e, in->route);
    put_str(&e, in->from);
    put_str(&e, in->to);
    put_str(&e, in->text);
    put_u32(&e, (uint32_t)in->parts);
    put_u64(&e, (uint64_t)(in->at ? in->at : now));
    *len = e.len;
    return e.p;
}

/* --- decoding (replay) ----------------------------------------------------------- */

/* Reads from a record held in memory; every read is checked against its end.
 * Strings point into a copy made NUL-terminated in `arena`. */
struct dec {
    const uint8_t *p, *end;
    bool bad;
    char **owned;
    size_t nowned, owned_cap;
};

static bool take(struct dec *d, void *out, size_t n)
{
    if (d->bad || (size_t)(d->end - d->p) < n) {
        d->bad = true;
        memset(out, 0, n);
        return false;
    }
    memcpy(out, d->p, n);
    d->p += n;
    return true;
}

static uint64_t get_u64(struct dec *d)
{
    uint8_t b[8];
    uint64_t v = 0;
    if (take(d, b, 8))
        for (int i = 7; i >= 0; i--)
            v = (v << 8) | b[i];
    return v;
}

static uint32_t get_u32(struct dec *d)
{
    uint8_t b[4];
    return take(d, b, 4)
               ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
               : 0;
}

static void own(struct dec *d, void *p)
{
    if (d->nowned == d->owned_cap)
        d->owned = xrealloc(d->owned, (d->owned_cap = d->owned_cap ? 2 * d->owned_cap : 32) *
                                          sizeof(*d->owned));
    d->owned[d->nowned++] = p;
}

static const char *get_str(struct dec *d)
{
    uint32_t n = get_u32(d);
    if (n == 0 || d->bad)
        return NULL;
    if ((size_t)(d->end - d->p) < n - 1) {
        d->bad = true;
        return NULL;
    }
    char *s = xmalloc(n);
    memcpy(s, d->p, n - 1);
    s[n - 1] = '\0';
    d->p += n - 1;
    own(d, s);
    return s;
}

static void dec_release(struct dec *d)
{
    for (size_t i = 0; i < d->nowned; i++)
        free(d->owned[i]);
    free(d->owned);
}

static struct store_outcome *decode_outcomes(struct dec *d, size_t *n)
{
    uint32_t count = get_u32(d);
    if (d->bad || count > (size_t)(d->end - d->p) / 16) { /* 16: below any outcome's size */
        d->bad = true;
        return NULL;
    }
    struct store_outcome *o = xcalloc(count ? count : 1, sizeof(*o));
    own(d, o);
    for (uint32_t i = 0; i < count && !d->bad; i++) {
        uint8_t kind, state;
        take(d, &kind, 1);
        take(d, &state, 1);
        o[i].kind = (enum store_outcome_kind)kind;
        o[i].state = (enum msg_state)state;
        o[i].message_id = (int64_t)get_u64(d);
        o[i].part = (int)get_u32(d);
        o[i].at = (int64_t)get_u64(d);
        o[i].retry_at = (int64_t)get_u64(d);
        o[i].refund = (int64_t)get_u64(d);
        o[i].nparts = get_u32(d);
        uint32_t nids = get_u32(d);
        if (nids > 0) {
            if (nids != o[i].nparts || nids > (size_t)(d->end - d->p) / 4) {
                d->bad = true;
                break;
            }
            const char **ids = xcalloc(nids, sizeof(*ids));
            own(d, ids);
            for (uint32_t k = 0; k < nids; k++)
                ids[k] = get_str(d);
            o[i].operator_ids = ids;
        }
        o[i].route = get_str(d);
        o[i].error = get_str(d);
        o[i].operator_id = get_str(d);
        o[i].raw = get_str(d);
        o[i].reason = get_str(d);
        o[i].detail = get_str(d);
        if (kind > STORE_OUTCOME_RECEIPT || state >= MSG_STATE_COUNT)
            d->bad = true;
    }
    *n = count;
    return o;
}

static void decode_inbound(struct dec *d, struct store_inbound *in)
{
    memset(in, 0, sizeof(*in));
    in->route = get_str(d);
    in->from = get_str(d);
    in->to = get_str(d);
    in->text = get_str(d);
    in->parts = (int)get_u32(d);
    in->at = (int64_t)get_u64(d);
}

/* --- files ---------------------------------------------------------------------------- */

static void seg_path(const struct store_journal *j, uint64_t first, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%016llx.rxj", j->dir, (unsigned long long)first);
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

/* Opens a new segment for records from `first` on; its name is made durable
 * before any record in it is reported so. */
static int seg_open(struct store_journal *j, uint64_t first)
{
    char path[PATH_MAX];
    seg_path(j, first, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = sync_dir(j->dir);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    j->fd = fd;
    j->seg_first = first;
    j->seg_bytes = 0;
    return 0;
}

static void seg_unlink(const struct store_journal *j, uint64_t first)
{
    char path[PATH_MAX];
    seg_path(j, first, path, sizeof(path));
    if (unlink(path) != 0 && errno != ENOENT)
        log_warn("store", "journal_unlink_failed", "path=%s error=\"%s\"", path, strerror(errno));
}

/* Removes the closed segments whose every record is applied: a segment ends
 * where the next one begins. */
static void drop_applied(struct store_journal *j, uint64_t applied)
{
    size_t k = 0;
    while (k < j->nclosed) {
        uint64_t next = k + 1 < j->nclosed ? j->closed[k + 1] : j->seg_first;
        if (next - 1 > applied)
            break;
        seg_unlink(j, j->closed[k++]);
    }
    if (k == 0)
        return;
    memmove(j->closed, j->closed + k, (j->nclosed - k) * sizeof(*j->closed));
    j->nclosed -= k;
}

static void rotate(struct store_journal *j)
{
    int old = j->fd;
    if (j->nclosed == j->closed_cap)
        j->closed = xrealloc(j->closed, (j->closed_cap = j->closed_cap ? 2 * j->closed_cap : 8) *
                                            sizeof(*j->closed));
    j->closed[j->nclosed++] = j->seg_first;
    int rc = seg_open(j, j->written + 1);
    if (rc != 0) {
        log_error("store", "journal_failed", "dir=%s error=\"cannot open a segment: %s\"", j->dir,
                  strerror(-rc));
        j->nclosed--;
        j->broken = true;
        return;
    }
    close(old);
}

/* --- the thread ------------------------------------------------------------------ */

/* Writes the list in as few writev calls as IOV_MAX allows; 0 or -errno. */
static int write_all(int fd, struct jrec *list)
{
    struct iovec iov[IOV_MAX];
    int n = 0;
    for (struct jrec *r = list;; r = r->next) {
        if (r) {
            iov[n++] = (struct iovec){r->hdr, HEADER_LEN};
            iov[n++] = (struct iovec){r->payload, r->len};
        }
        if (n && (!r || n + 2 > IOV_MAX)) {
            for (int i = 0; i < n;) {
                ssize_t w = writev(fd, iov + i, n - i);
                if (w < 0) {
                    if (errno == EINTR)
                        continue;
                    return -errno;
                }
                for (; i < n && (size_t)w >= iov[i].iov_len; i++)
                    w -= (ssize_t)iov[i].iov_len;
                if (i < n) {
                    iov[i].iov_base = (uint8_t *)iov[i].iov_base + w;
                    iov[i].iov_len -= (size_t)w;
                }
            }
            n = 0;
        }
        if (!r)
            return 0;
    }
}

static void write_batch(struct store_journal *j, struct jrec *list)
{
    uint64_t ticket = 0, last = j->written;
    size_t bytes = 0;
    for (struct jrec *r = list; r; r = r->next) {
        uint32_t len = (uint32_t)r->len, crc = (uint32_t)crc32(0L, r->payload, (uInt)r->len);
        for (int i = 0; i < 4; i++) {
            r->hdr[i] = (uint8_t)(len >> (8 * i));
            r->hdr[4 + i] = (uint8_t)(crc >> (8 * i));
        }
        last = 0; /* the record's number, little-endian at the payload's start */
        for (int i = 7; i >= 0; i--)
            last = (last << 8) | r->payload[i];
        ticket = r->ticket > ticket ? r->ticket : ticket;
        bytes += HEADER_LEN + r->len;
    }
    int rc = write_all(j->fd, list);
    if (rc == 0 && fdatasync(j->fd) != 0)
        rc = -errno;
    if (rc != 0) {
        /* Nothing more is reported durable: the resps wait for the writer. */
        log_error("store", "journal_failed", "dir=%s error=\"%s\"", j->dir, strerror(-rc));
        j->broken = true;
        return;
    }
    j->written = last;
    j->seg_bytes += bytes;
    /* Under the lock, so that store_journal_on_durable(NULL) returning means
     * no call is running or to come. */
    pthread_mutex_lock(&j->mu);
    if (j->durable)
        j->durable(j->durable_ud, ticket);
    pthread_mutex_unlock(&j->mu);
}

void store_journal_on_durable(struct store *s, store_durable_fn durable, void *ud)
{
    struct store_journal *j = s->journal;
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->durable = durable;
    j->durable_ud = ud;
    pthread_mutex_unlock(&j->mu);
}

static void *journal_main(void *arg)
{
    struct store_journal *j = arg;
    pthread_setname_np(pthread_self(), "rl-journal");
    pthread_mutex_lock(&j->mu);
    for (;;) {
        while (!j->head && !j->closing)
            pthread_cond_wait(&j->cond, &j->mu);
        struct jrec *list = j->head;
        if (!list)
            break; /* closing, and everything written */
        j->head = j->tail = NULL;
        j->queued = 0;
        pthread_cond_broadcast(&j->space);
        pthread_mutex_unlock(&j->mu);
        if (!j->broken)
            write_batch(j, list);
        for (struct jrec *r = list, *next; r; r = next) {
            next = r->next;
            free(r);
        }
        if (!j->broken && j->seg_bytes >= SEG_MAX)
            rotate(j);
        pthread_mutex_lock(&j->mu);
        uint64_t applied = j->applied;
        pthread_mutex_unlock(&j->mu);
        drop_applied(j, applied);
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* --- the producer's side ------------------------------------------------------ */

bool store_journal_active(struct store *s)
{
    struct store_journal *j = s->journal;
    if (!j)
        return false;
    pthread_mutex_lock(&j->mu);
    bool on = !j->stopped;
    pthread_mutex_unlock(&j->mu);
    return on;
}

int store_journal_submit(struct store *s, struct store_op *op, enum store_jrec_kind kind,
                         const void *body, size_t len, uint64_t ticket, bool try_only)
{
    struct store_journal *j = s->journal;
    if (!store_journal_active(s))
        return store_writer_submit(s, op, try_only);
    /* One producer: the number is taken now and given to the record only if
     * the op is queued, so that records and ops stay in the same order. */
    uint64_t seq = j->next_seq;
    op->jseq = seq;
    int rc = store_writer_submit(s, op, try_only); /* op is the writer's from here */
    if (rc != 0)
        return rc;
    struct jrec *r = xmalloc(sizeof(*r) + PAYLOAD_FIXED + len);
    r->next = NULL;
    r->ticket = ticket;
    r->len = PAYLOAD_FIXED + len;
    for (int i = 0; i < 8; i++)
        r->payload[i] = (uint8_t)(seq >> (8 * i));
    r->payload[8] = (uint8_t)kind;
    memcpy(r->payload + PAYLOAD_FIXED, body, len);
    pthread_mutex_lock(&j->mu);
    j->next_seq = seq + 1;
    /* The writer holds the op already: waiting here for the journal's room
     * delays the resps, never the data. */
    while (j->queued && j->queued + r->len > QUEUE_MAX && !j->closing)
        pthread_cond_wait(&j->space, &j->mu);
    if (j->tail)
        j->tail->next = r;
    else
        j->head = r;
    j->tail = r;
    j->queued += r->len;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->mu);
    return 0;
}

int store_inbound_op_submit(struct store *s, struct store_op *op, const struct store_inbound *in,
                            bool try_only)
{
    if (!in->journal || !store_journal_active(s)) {
        op->jseq = in->jseq;
        return store_writer_submit(s, op, try_only);
    }
    size_t len;
    uint8_t *body = store_jrec_inbound(in, store_now_ms(), &len);
    int rc = store_journal_submit(s, op, STORE_JREC_INBOUND, body, len, in->ticket, try_only);
    free(body);
    return rc;
}

void store_journal_applied(struct store *s, uint64_t seq)
{
    struct store_journal *j = s->journal;
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    if (seq > j->applied)
        j->applied = seq;
    pthread_mutex_unlock(&j->mu);
}

/* --- start, replay, stop ------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The segments in dir, by first record number; *n of them (new array). */
static int list_segments(const char *dir, uint64_t **out, size_t *n, struct rl_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return rl_err_set(err, RL_EIO, "store.path", "%s: cannot read: %s", dir, strerror(errno));
    uint64_t *v = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned long long first;
        char tail[8];
        if (strlen(e->d_name) != 20 || sscanf(e->d_name, "%16llx%7s", &first, tail) != 2 ||
            strcmp(tail, ".rxj") != 0)
            continue;
        if (*n == cap)
            v = xrealloc(v, (cap = cap ? 2 * cap : 8) * sizeof(*v));
        v[(*n)++] = first;
    }
    closedir(d);
    if (*n > 1)
        qsort(v, *n, sizeof(*v), cmp_u64);
    *out = v;
    return 0;
}

static int read_file(const char *path, uint8_t **out, size_t *len, struct rl_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size > SEG_READ_MAX) {
        int e = fd < 0 ? errno : EFBIG;
        if (fd >= 0)
            close(fd);
        return rl_err_set(err, RL_EIO, "store.path", "%s: cannot read: %s", path, strerror(e));
    }
    uint8_t *b = xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *out = b;
    *len = got;
    return 0;
}

/* Replays one record's payload if it is beyond applied; *seq gets its number. */
static int replay_one(const uint8_t *p, size_t len, uint64_t applied, store_replay_fn fn, void *ud,
                      uint64_t *seq, size_t *replayed, struct rl_err *err)
{
    struct dec d = {.p = p, .end = p + len};
    *seq = get_u64(&d);
    uint8_t kind = 0;
    take(&d, &kind, 1);
    if (d.bad || *seq <= applied)
        return 0;
    struct store_jrec r = {.seq = *seq, .kind = (enum store_jrec_kind)kind};
    struct store_inbound in;
    if (kind == STORE_JREC_OUTCOMES) {
        r.o = decode_outcomes(&d, &r.n);
    } else if (kind == STORE_JREC_INBOUND) {
        decode_inbound(&d, &in);
        in.jseq = *seq;
        r.in = &in;
    } else {
        d.bad = true;
    }
    int rc = 0;
    if (d.bad)
        log_error("store", "journal_record_unreadable", "seq=%llu", (unsigned long long)*seq);
    else if ((rc = fn(ud, &r)) != 0)
        rl_err_set(err, RL_EIO, "store.journal", "journal record %llu could not be applied: %s",
                   (unsigned long long)*seq, rl_strerror(rc));
    else
        (*replayed)++;
    dec_release(&d);
    return rc ? RL_EIO : 0;
}

/* Replays the records of one segment; a record cut short or whose CRC fails
 * ends it (a write the crash interrupted, never reported durable). */
static int replay_segment(const char *path, uint64_t applied, store_replay_fn fn, void *ud,
                          uint64_t *max_seq, size_t *replayed, struct rl_err *err)
{
    uint8_t *b = NULL;
    size_t len = 0, off = 0;
    int rc = read_file(path, &b, &len, err);
    while (rc == 0 && off + HEADER_LEN <= len) {
        uint32_t n = (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
                     (uint32_t)b[off + 3] << 24;
        uint32_t crc = (uint32_t)b[off + 4] | (uint32_t)b[off + 5] << 8 |
                       (uint32_t)b[off + 6] << 16 | (uint32_t)b[off + 7] << 24;
        if (n < PAYLOAD_FIXED || n > REC_MAX || n > len - off - HEADER_LEN ||
            (uint32_t)crc32(0L, b + off + HEADER_LEN, n) != crc) {
            log_warn("store", "journal_tail_dropped", "path=%s offset=%zu bytes=%zu", path, off,
                     len - off);
            break;
        }
        uint64_t seq;
        rc = replay_one(b + off + HEADER_LEN, n, applied, fn, ud, &seq, replayed, err);
        if (seq > *max_seq)
            *max_seq = seq;
        off += HEADER_LEN + n;
    }
    free(b);
    return rc;
}

/* The last record number the database applied (journal_state). */
static int applied_get(struct store *s, uint64_t *out, struct rl_err *err)
{
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_JOURNAL_APPLIED);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc == SQLITE_ROW ? 0 : rl_err_set(err, RL_EIO, "store", "cannot read journal_state");
}

static int replay_all(struct store *s, struct store_journal *j, store_replay_fn fn, void *ud,
                      size_t *replayed, struct rl_err *err)
{
    uint64_t applied = 0, max_seq;
    uint64_t *segs = NULL;
    size_t n = 0;
    int rc = applied_get(s, &applied, err);
    if (rc == 0)
        rc = list_segments(j->dir, &segs, &n, err);
    max_seq = applied;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char path[PATH_MAX];
        seg_path(j, segs[i], path, sizeof(path));
        rc = replay_segment(path, applied, fn, ud, &max_seq, replayed, err);
    }
    /* Applied, each in a commit that also moved journal_state: the files go. */
    for (size_t i = 0; rc == 0 && i < n; i++)
        seg_unlink(j, segs[i]);
    free(segs);
    j->next_seq = max_seq + 1;
    j->written = max_seq;
    j->applied = max_seq;
    return rc;
}

static void journal_free(struct store_journal *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    pthread_cond_destroy(&j->cond);
    pthread_cond_destroy(&j->space);
    pthread_mutex_destroy(&j->mu);
    free(j->closed);
    free(j->dir);
    free(j);
}

int store_journal_start(struct store *s, store_replay_fn replay, void *replay_ud,
                        store_durable_fn durable, void *durable_ud, size_t *replayed,
                        struct rl_err *err)
{
    size_t count = 0;
    if (replayed)
        *replayed = 0;
    if (s->journal)
        return rl_err_set(err, RL_EINVAL, "store", "the journal is running already");
    struct store_journal *j = xcalloc(1, sizeof(*j));
    j->fd = -1;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cond, NULL);
    pthread_cond_init(&j->space, NULL);
    size_t dl = strlen(s->path) + sizeof(".journal");
    j->dir = xmalloc(dl);
    snprintf(j->dir, dl, "%s.journal", s->path);
    int rc = 0;
    if (mkdir(j->dir, 0700) != 0 && errno != EEXIST)
        rc =
            rl_err_set(err, RL_EIO, "store.path", "%s: cannot create: %s", j->dir, strerror(errno));
    if (rc == 0)
        rc = replay_all(s, j, replay, replay_ud, &count, err);
    if (rc == 0 && (rc = seg_open(j, j->next_seq)) != 0)
        rc = rl_err_set(err, RL_EIO, "store.path", "%s: cannot open a segment: %s", j->dir,
                        strerror(-rc));
    if (rc == 0 && (rc = pthread_create(&j->thread, NULL, journal_main, j)) != 0)
        rc = rl_err_set(err, RL_EIO, "store", "cannot start the journal thread: %s",
                        rl_strerror(-rc));
    if (rc != 0) {
        journal_free(j);
        return rc;
    }
    j->durable = durable;
    j->durable_ud = durable_ud;
    s->journal = j;
    if (replayed)
        *replayed = count;
    if (count)
        log_info("store", "journal_replayed", "records=%zu", count);
    return 0;
}

/* The thread is stopped and joined here; the struct stays until store_close
 * (store_journal_free), because the writer's thread may still report what
 * it applied. */
void store_journal_stop(struct store *s)
{
    struct store_journal *j = s->journal;
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    bool was = j->stopped;
    j->stopped = j->closing = true;
    pthread_cond_broadcast(&j->cond);
    pthread_cond_broadcast(&j->space);
    pthread_mutex_unlock(&j->mu);
    if (!was)
        pthread_join(j->thread, NULL);
}

/* After the writer's last commit: the files whose every record it applied
 * go, the current one too when nothing in it waits (a clean stop leaves
 * none behind). */
void store_journal_free(struct store *s)
{
    struct store_journal *j = s->journal;
    if (!j)
        return;
    store_journal_stop(s);
    drop_applied(j, j->applied);
    if (j->applied >= j->written && j->nclosed == 0 && j->fd >= 0) {
        close(j->fd);
        j->fd = -1;
        seg_unlink(j, j->seg_first);
    }
    journal_free(j);
    s->journal = NULL;
}
