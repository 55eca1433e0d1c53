#ifndef RL_SMPP_CONN_H
#define RL_SMPP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "smpp/smpp_pdu.h"

/* One SMPP TCP connection on a libuv loop, both sides (the connector and the
 * simulator): frames the byte stream into PDUs with a hard cap on their size,
 * decodes them, and sends encoded PDUs. Writes are coalesced: PDUs queued in
 * one loop iteration leave in one write at the start of the next (an idle
 * handle keeps the loop from blocking meanwhile), so a window of 100 submits
 * costs one syscall, not 100. TCP_NODELAY is set,
 * since SMPP is request/response and Nagle would hold the last PDU back. */

struct smpp_conn;

struct smpp_conn_cbs {
    /* A decoded PDU; p and its TLV values are valid during the call only. */
    void (*on_pdu)(struct smpp_conn *c, const struct smpp_pdu *p);
    /* Bytes that framed but did not decode: e says why, and which status and
     * reply the specification names (smpp_decode_err_status/_reply_id). raw
     * holds the header at least, so the sequence number can be read. */
    void (*on_bad_pdu)(struct smpp_conn *c, const uint8_t *raw, size_t len,
                       const struct smpp_decode_err *e);
    /* The connection is gone: status 0 after smpp_conn_close, else a negative
     * libuv or RL_E* code (RL_ESMPP: the peer sent a length we cannot frame).
     * The struct is freed right after this returns. */
    void (*on_close)(struct smpp_conn *c, int status);
};

/* Takes an accepted or connected stream (initialised with uv_tcp_init, owned
 * from now on; closed and freed with the conn). max_pdu 0: the default 64 KiB.
 * ud is the caller's, returned by smpp_conn_data. Starts reading. */
struct smpp_conn *smpp_conn_new(uv_tcp_t *tcp, size_t max_pdu, const struct smpp_conn_cbs *cbs,
                                void *ud);

/* Encodes p and queues it. Returns 0, or an RL_E* code from the encoder (p is
 * not sent), or RL_EIO when the connection is closing. */
int smpp_conn_send(struct smpp_conn *c, const struct smpp_pdu *p);

/* Octets queued or in flight: a peer that stops reading shows here. */
size_t smpp_conn_pending(const struct smpp_conn *c);

/* Flushes what is queued, then closes; on_close(c, 0) follows. Idempotent. */
void smpp_conn_close(struct smpp_conn *c);
/* Closes at once, dropping what is queued (a fault test, or a peer gone bad). */
void smpp_conn_abort(struct smpp_conn *c, int status);

void *smpp_conn_data(const struct smpp_conn *c);
void smpp_conn_set_data(struct smpp_conn *c, void *ud);
uv_tcp_t *smpp_conn_tcp(struct smpp_conn *c);

#endif
