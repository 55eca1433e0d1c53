#include "smpp/smpp_conn.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/banned.h"

/* Past this much unsent output, sends fail: a peer that does not read must
 * not grow our memory without bound. Far above any window's worth. */
#define OUT_MAX (8u << 20)

struct smpp_conn {
    uv_tcp_t *tcp;
    uv_idle_t flush;
    uv_write_t wreq;
    struct smpp_conn_cbs cbs;
    void *ud;
    size_t max_pdu;
    uint8_t *in; /* read buffer: at most one max-size PDU plus a read's worth */
    size_t in_len, in_cap;
    struct buf out[2]; /* out[cur] fills while out[!cur] is being written */
    int cur;
    bool writing, closing, close_after_flush;
    int close_status;
    int handles_open;
};

static void handle_closed(uv_handle_t *h)
{
    struct smpp_conn *c = h->data;
    if (--c->handles_open > 0)
        return;
    if (c->cbs.on_close)
        c->cbs.on_close(c, c->close_status);
    buf_release(&c->out[0]);
    buf_release(&c->out[1]);
    free(c->in);
    free(c->tcp);
    free(c);
}

static void shut(struct smpp_conn *c, int status)
{
    if (c->handles_open == 0 || uv_is_closing((uv_handle_t *)c->tcp))
        return;
    c->closing = true;
    c->close_status = status;
    uv_read_stop((uv_stream_t *)c->tcp);
    uv_close((uv_handle_t *)&c->flush, handle_closed);
    uv_close((uv_handle_t *)c->tcp, handle_closed);
}

static void start_write(struct smpp_conn *c);

static void write_done(uv_write_t *w, int status)
{
    struct smpp_conn *c = w->data;
    c->writing = false;
    buf_reset(&c->out[!c->cur]);
    if (status < 0) {
        shut(c, status);
        return;
    }
    if (c->out[c->cur].len)
        start_write(c);
    else if (c->close_after_flush)
        shut(c, 0);
}

static void start_write(struct smpp_conn *c)
{
    if (c->writing || c->closing || c->out[c->cur].len == 0)
        return;
    struct buf *b = &c->out[c->cur];
    c->cur = !c->cur;
    c->writing = true;
    uv_buf_t ub = uv_buf_init(b->data, (unsigned)b->len);
    int rc = uv_write(&c->wreq, (uv_stream_t *)c->tcp, &ub, 1, write_done);
    if (rc < 0) {
        c->writing = false;
        shut(c, rc);
    }
}

/* An idle handle, not a prepare handle: while one is active the loop does not
 * block in poll, so output queued in any phase (a prepare callback included,
 * which a prepare handle started then would miss until the next wake-up)
 * leaves within one iteration, still in one write for everything queued. */
static void on_flush(uv_idle_t *p)
{
    struct smpp_conn *c = p->data;
    uv_idle_stop(p);
    start_write(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    struct smpp_conn *c = h->data;
    (void)suggested;
    *out = uv_buf_init((char *)c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

/* Frames and dispatches every complete PDU in the read buffer. Returns 0, or
 * the status to close with. */
static int drain(struct smpp_conn *c)
{
    size_t off = 0;
    while (!c->closing) {
        size_t len = 0;
        int rc = smpp_pdu_frame(c->in + off, c->in_len - off, c->max_pdu, &len);
        if (rc < 0)
            return rc; /* a length we cannot frame: the stream is lost */
        if (rc == SMPP_FRAME_MORE)
            break;
        struct smpp_pdu p;
        struct smpp_decode_err e;
        if (smpp_pdu_decode(c->in + off, len, c->max_pdu, &p, &e) == 0) {
            if (c->cbs.on_pdu)
                c->cbs.on_pdu(c, &p);
        } else if (c->cbs.on_bad_pdu) {
            c->cbs.on_bad_pdu(c, c->in + off, len, &e);
        }
        off += len;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct smpp_conn *c = s->data;
    (void)b;
    if (n < 0) {
        shut(c, (int)n);
        return;
    }
    c->in_len += (size_t)n;
    int rc = drain(c);
    if (rc < 0) {
        log_warn("smpp", "bad_frame", "status=%s", "unframeable_length");
        shut(c, rc);
    }
}

struct smpp_conn *smpp_conn_new(uv_tcp_t *tcp, size_t max_pdu, const struct smpp_conn_cbs *cbs,
                                void *ud)
{
    struct smpp_conn *c = xcalloc(1, sizeof(*c));
    c->tcp = tcp;
    c->cbs = *cbs;
    c->ud = ud;
    c->max_pdu = max_pdu ? max_pdu : SMPP_MAX_PDU_DEFAULT;
    c->in_cap = c->max_pdu + 64 * 1024;
    c->in = xmalloc(c->in_cap);
    buf_init(&c->out[0], OUT_MAX);
    buf_init(&c->out[1], OUT_MAX);
    tcp->data = c;
    c->wreq.data = c;
    uv_idle_init(tcp->loop, &c->flush);
    c->flush.data = c;
    c->handles_open = 2;
    uv_tcp_nodelay(tcp, 1);
    int rc = uv_read_start((uv_stream_t *)tcp, on_alloc, on_read);
    if (rc < 0)
        shut(c, rc);
    return c;
}

int smpp_conn_send(struct smpp_conn *c, const struct smpp_pdu *p)
{
    if (c->closing || c->close_after_flush)
        return RL_EIO;
    uint8_t tmp[SMPP_MAX_PDU_DEFAULT];
    size_t n = 0;
    int rc = smpp_pdu_encode(p, tmp, sizeof(tmp), &n, NULL);
    if (rc)
        return rc;
    if ((rc = buf_add(&c->out[c->cur], tmp, n)) != 0)
        return rc;
    if (!c->writing)
        uv_idle_start(&c->flush, on_flush);
    return 0;
}

size_t smpp_conn_pending(const struct smpp_conn *c)
{
    return c->out[0].len + c->out[1].len;
}

void smpp_conn_close(struct smpp_conn *c)
{
    if (c->closing || c->close_after_flush)
        return;
    c->close_after_flush = true;
    if (!c->writing && c->out[c->cur].len == 0)
        shut(c, 0);
    else if (!c->writing)
        uv_idle_start(&c->flush, on_flush);
}

void smpp_conn_abort(struct smpp_conn *c, int status)
{
    shut(c, status);
}

void *smpp_conn_data(const struct smpp_conn *c)
{
    return c->ud;
}

void smpp_conn_set_data(struct smpp_conn *c, void *ud)
{
    c->ud = ud;
}

uv_tcp_t *smpp_conn_tcp(struct smpp_conn *c)
{
    return c->tcp;
}
