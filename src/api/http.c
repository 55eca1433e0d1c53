#include "api/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_config.h"
#include "api/api_defer.h"
#include "api/api_contacts.h"
#include "api/api_messages.h"
#include "api/router.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "core/banned.h"

struct http_server {
    struct MHD_Daemon *daemon;
    struct store *store;
    struct dispatch *dispatch;
    struct api_config cfg;
    size_t max_body;
    size_t max_batch_body;
    uint16_t port;
    /* Connections parked for a deferred answer: MHD_stop_daemon must not
     * find one suspended, so the stop waits for them. */
    pthread_mutex_t mu;
    pthread_cond_t idle;
    size_t parked;
};

/* One request in flight: its body, gathered up to the cap. */
struct request {
    struct buf body;
    size_t cap;      /* the body's limit: http.max_body, or api.max_batch_body for a batch */
    const char *key; /* the configuration key that sets cap, for the 413 */
    bool too_big;
    struct api_import *import;     /* a body streamed chunk by chunk (api_import_streams) */
    struct api_msg_hold hold;      /* an Idempotency-Key in flight (api_messages_hold) */
    struct api_deferred *deferred; /* parked until its answer is ready */
};

static enum MHD_Result respond(struct MHD_Connection *c, struct api_response *rs)
{
    struct MHD_Response *r;
    if (rs->type && rs->raw_owned) {
        r = MHD_create_response_from_buffer(rs->raw_len, rs->raw_owned, MHD_RESPMEM_MUST_FREE);
        rs->raw_owned = NULL;
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->type);
    } else if (rs->type) {
        r = MHD_create_response_from_buffer(rs->raw_len, (void *)rs->raw, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->type);
    } else {
        char *s = json_dumps(rs->body, JSON_COMPACT | JSON_PRESERVE_ORDER);
        r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    }
    if (rs->status == 405)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow);
    for (size_t i = 0; i < rs->nheaders; i++)
        MHD_add_response_header(r, rs->headers[i].name, rs->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(c, rs->status, r);
    MHD_destroy_response(r);
    json_decref(rs->body);
    return ret;
}

static enum MHD_Result add_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    struct api_request *rq = cls;
    (void)kind;
    if (rq->nquery == API_QUERY_MAX) {
        rq->query_overflow = true;
        return MHD_NO;
    }
    rq->query[rq->nquery].key = key;
    rq->query[rq->nquery++].value = value ? value : "";
    return MHD_YES;
}

/* Headers and query strings are borrowed from libmicrohttpd, valid until the
 * response is queued. */
static void dispatch(struct http_server *h, struct MHD_Connection *c, const char *method,
                     const char *url, struct request *q, struct api_response *rs)
{
    struct api_request rq = {
        .method = method, .path = url, .store = h->store, .cfg = &h->cfg, .dispatch = h->dispatch};
    if (q->too_big) {
        api_error(rs, 413, "body_too_large", NULL,
                  "the request body is over the %zu-byte limit (%s)", q->cap, q->key);
        return;
    }
    rq.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    rq.idempotency_key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    rq.accept_language = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language");
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_query, &rq);
    rq.body = q->body.len ? q->body.data : NULL;
    rq.body_len = q->body.len;
    api_handle(&rq, rs);
}

/* A contacts import reads its body as it comes, whatever its size, instead of
 * gathering it under http.max_body. Its key, query and declared length are
 * checked on the headers: a refusal is answered before the body is read. */
static bool stream_begin(struct http_server *h, struct MHD_Connection *c, const char *method,
                         const char *url, struct request *q, struct api_response *rs)
{
    struct api_request rq = {
        .method = method, .path = url, .store = h->store, .cfg = &h->cfg, .dispatch = h->dispatch};
    const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    rq.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_query, &rq);
    q->import =
        api_import_begin(&rq, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
                         len ? strtoll(len, NULL, 10) : -1, rs);
    return q->import != NULL;
}

/* A message with an Idempotency-Key is in flight from its headers on: a
 * second request with the key is answered 409 before its body is read. */
static bool hold_begin(struct http_server *h, struct MHD_Connection *c, const char *method,
                       const char *url, struct request *q, struct api_response *rs)
{
    struct api_request rq = {.method = method, .path = url, .store = h->store, .cfg = &h->cfg};
    rq.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    rq.idempotency_key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    return !rq.idempotency_key || api_messages_hold(&rq, &q->hold, rs);
}

/* --- deferred answers (api_defer.h) ------------------------------------------ */

static void suspend_cb(void *ud)
{
    MHD_suspend_connection(ud);
}

static void resume_cb(void *ud)
{
    MHD_resume_connection(ud);
}

/* The connection waits for its answer without holding this thread; the
 * answer's readiness resumes it and on_request is called again. */
static void park(struct http_server *h, struct MHD_Connection *c, struct request *q,
                 struct api_deferred *d)
{
    pthread_mutex_lock(&h->mu);
    h->parked++;
    pthread_mutex_unlock(&h->mu);
    q->deferred = d;
    api_deferred_park(d, suspend_cb, resume_cb, c);
}

static void unparked(struct http_server *h)
{
    pthread_mutex_lock(&h->mu);
    if (--h->parked == 0)
        pthread_cond_broadcast(&h->idle);
    pthread_mutex_unlock(&h->mu);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **req)
{
    struct http_server *h = cls;
    struct request *q = *req;
    (void)version;
    if (!q) { /* first call: headers only */
        q = xcalloc(1, sizeof(*q));
        /* A batch of 10,000 messages is about 2 MB: it gets its own limit. */
        bool batch = api_messages_batch_route(method, url);
        q->cap = batch ? h->max_batch_body : h->max_body;
        q->key = batch ? "api.max_batch_body" : "http.max_body";
        buf_init(&q->body, q->cap);
        *req = q;
        struct api_response rs;
        memset(&rs, 0, sizeof(rs));
        if (api_import_streams(method, url) && !stream_begin(h, c, method, url, q, &rs))
            return respond(c, &rs);
        if (!hold_begin(h, c, method, url, q, &rs))
            return respond(c, &rs);
        return MHD_YES;
    }
    if (*upload_size && q->import) {
        /* After a failure the rest is read and dropped; finish answers why. */
        api_import_feed(q->import, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        /* Past the cap the rest is read and dropped: the answer is a 413, and
         * memory stays bounded whatever the client sends. */
        if (!q->too_big && buf_add(&q->body, upload_data, *upload_size) != 0)
            q->too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }
    struct api_response rs;
    memset(&rs, 0, sizeof(rs));
    if (q->deferred) {
        /* Woken: the answer is ready. */
        struct api_deferred *d = q->deferred;
        q->deferred = NULL;
        api_deferred_finish(d, &rs);
        unparked(h);
    } else if (q->import) {
        api_import_finish(q->import, &rs);
        q->import = NULL;
    } else {
        dispatch(h, c, method, url, q, &rs);
        if (rs.deferred) {
            park(h, c, q, rs.deferred);
            return MHD_YES;
        }
    }
    /* Released before the answer leaves: a client that resends on reading
     * it finds the message committed, not the key still held. */
    api_messages_unhold(&h->cfg, &q->hold);
    return respond(c, &rs);
}

static void on_done(void *cls, struct MHD_Connection *c, void **req,
                    enum MHD_RequestTerminationCode why)
{
    struct http_server *h = cls;
    struct request *q = *req;
    (void)c, (void)why;
    if (q) {
        if (q->deferred) {
            /* Ended while parked, which http_server_stop's wait should rule
             * out: the write still completes, its answer goes nowhere. */
            struct api_response rs;
            memset(&rs, 0, sizeof(rs));
            api_deferred_wait(q->deferred);
            api_deferred_finish(q->deferred, &rs);
            json_decref(rs.body);
            free(rs.raw_owned);
            unparked(h);
        }
        api_messages_unhold(&h->cfg, &q->hold); /* a connection lost midway */
        api_import_abort(q->import);
        buf_release(&q->body);
        free(q);
        *req = NULL;
    }
}

static int parse_addr(const char *listen, uint16_t port, struct sockaddr_storage *ss)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, listen, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        return AF_INET;
    }
    if (inet_pton(AF_INET6, listen, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        return AF_INET6;
    }
    return -1;
}

int http_server_start(const struct http_opts *o, struct http_server **out, struct rl_err *err)
{
    struct sockaddr_storage ss;
    int family = parse_addr(o->listen, o->port, &ss);
    *out = NULL;
    if (family < 0)
        return rl_err_set(err, RL_EINVAL, "http.listen",
                          "http.listen = '%s': not an IPv4 or IPv6 address", o->listen);
    struct http_server *h = xcalloc(1, sizeof(*h));
    if (api_config_init(&h->cfg, o->cfg, err) != 0) {
        free(h);
        return RL_ECONFIG;
    }
    h->store = o->store;
    h->dispatch = o->dispatch;
    h->max_body = o->max_body ? o->max_body : (size_t)1 << 20;
    h->max_batch_body = o->max_batch_body ? o->max_batch_body : (size_t)16 << 20;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->idle, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
                     (family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->daemon = MHD_start_daemon(flags, o->port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
                                 o->threads ? o->threads : 2u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_done, h, MHD_OPTION_END);
    if (!h->daemon) {
        api_config_release(&h->cfg);
        pthread_cond_destroy(&h->idle);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return rl_err_set(err, RL_EIO, "http.port", "cannot listen on %s port %u (in use?)",
                          o->listen, o->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : o->port;
    *out = h;
    return 0;
}

uint16_t http_server_port(const struct http_server *h)
{
    return h->port;
}

void http_server_stop(struct http_server *h)
{
    if (!h)
        return;
    /* No new connection; the parked ones get their answers (the writer
     * still runs) and leave before the daemon stops. */
    MHD_socket ls = MHD_quiesce_daemon(h->daemon);
    if (ls != MHD_INVALID_SOCKET)
        close(ls); /* quiesce hands the listening socket over */
    pthread_mutex_lock(&h->mu);
    while (h->parked)
        pthread_cond_wait(&h->idle, &h->mu);
    pthread_mutex_unlock(&h->mu);
    MHD_stop_daemon(h->daemon);
    api_config_release(&h->cfg);
    pthread_cond_destroy(&h->idle);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
