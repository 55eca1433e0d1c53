#include "api/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "core/version.h"
#include "core/banned.h"

struct http_server {
    struct MHD_Daemon *daemon;
    struct store *store;
    uint16_t port;
};

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    size_t n = strlen(s);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The one error shape of the API: {"error":{"code":…,"message":…}}. */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code,
                                  const char *msg)
{
    return send_json(c, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

static enum MHD_Result health(struct http_server *h, struct MHD_Connection *c)
{
    return send_json(c, MHD_HTTP_OK,
                     json_pack("{s:s,s:s,s:{s:s,s:s,s:i}}", "status", "ok", "version",
                               RELAIS_VERSION, "store", "backend", store_backend(h->store), "path",
                               store_path(h->store), "schema_version",
                               (int)store_schema_version(h->store)));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **req)
{
    struct http_server *h = cls;
    (void)version;
    (void)upload_data;
    if (*req == NULL) { /* first call: headers only; answer on the next */
        *req = h;
        return MHD_YES;
    }
    if (*upload_size) { /* no route takes a body yet: drop it */
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/v1/health") == 0) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                              "/v1/health takes GET");
        return health(h, c);
    }
    char msg[256];
    snprintf(msg, sizeof(msg), "no route for %s %.200s", method, url);
    return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", msg);
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
    h->store = o->store;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
                     MHD_USE_ERROR_LOG | (family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->daemon = MHD_start_daemon(flags, o->port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
                                 o->threads ? o->threads : 2u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
                                 MHD_OPTION_END);
    if (!h->daemon) {
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
    MHD_stop_daemon(h->daemon);
    free(h);
}
