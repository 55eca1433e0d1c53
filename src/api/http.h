#ifndef RL_HTTP_H
#define RL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The HTTP surface: libmicrohttpd's own threads (an epoll loop and a small
 * pool, never a thread per connection) call into the api handlers. */

struct cfg;
struct store;
struct http_server;
struct dispatch;

struct http_opts {
    const char *listen;    /* IPv4 or IPv6 address */
    uint16_t port;         /* 0: an ephemeral port (see http_server_port) */
    unsigned threads;      /* polling threads in the pool */
    size_t max_body;       /* bytes; a larger body gets 413 (0: 1 MiB) */
    size_t max_batch_body; /* the same for POST /v1/messages/batch (0: 16 MiB) */
    struct store *store;   /* borrowed; must outlive the server */
    /* Borrowed for the call: the API reads the keys it needs (phone, text,
     * billing, dispatch.validity) into its own struct api_config at start.
     * NULL: the built-in defaults. */
    const struct cfg *cfg;
    /* Borrowed, for GET /metrics; NULL when no route is configured. Must
     * outlive the server (stop the server before freeing it). */
    struct dispatch *dispatch;
};

/* Starts serving. Returns 0 and *out (stop with http_server_stop), or an
 * error naming the address, or RL_ECONFIG naming a [billing] key. */
int http_server_start(const struct http_opts *o, struct http_server **out, struct rl_err *err);
/* The port actually bound. */
uint16_t http_server_port(const struct http_server *h);
/* Stops accepting, finishes requests in progress, frees h; NULL is a no-op. */
void http_server_stop(struct http_server *h);

#endif
