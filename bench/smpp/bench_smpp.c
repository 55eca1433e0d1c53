/* Our SMPP connector against an SMSC on loopback: N single-part messages to
 * unique recipients, receipts requested, window W, no throughput cap. Counts
 * from the bind to the last receipt, so the figure is messages/s with every
 * receipt received. Prints figures only. Usage: bench_smpp HOST PORT N [WINDOW] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#include "smpp/smpp_session.h"

struct bench {
    uv_loop_t *loop;
    struct smpp_session *s;
    uv_prepare_t feed;
    uint64_t n, sent, done, delivered, failed;
    double t_up, t_end;
    bool up;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_state(void *ud, const struct smpp_session_event *ev)
{
    struct bench *b = ud;
    if (ev->up && !b->up) {
        b->up = true;
        b->t_up = now();
    }
}

static void on_done(void *ud, uint64_t ref, enum smpp_msg_result r, unsigned dlv, unsigned parts)
{
    struct bench *b = ud;
    (void)ref, (void)dlv, (void)parts;
    b->done++;
    if (r == SMPP_MSG_DELIVERED)
        b->delivered++;
    else
        b->failed++;
    if (b->done == b->n) {
        b->t_end = now();
        uv_prepare_stop(&b->feed);
        smpp_session_stop(b->s);
    }
}

/* Keeps the connector's queue topped up without holding all N messages at once. */
static void feed(uv_prepare_t *p)
{
    struct bench *b = p->data;
    struct smpp_session_stats st;
    if (!b->up)
        return;
    smpp_session_get_stats(b->s, &st);
    for (size_t k = st.queued; k < 2000 && b->sent < b->n; k++) {
        char to[20], text[64];
        snprintf(to, sizeof(to), "+3361%07llu", (unsigned long long)(b->sent % 10000000));
        snprintf(text, sizeof(text), "Bench message %llu", (unsigned long long)b->sent);
        if (smpp_session_submit(b->s, b->sent + 1, "relais", to, text, NULL, NULL) < 0)
            break; /* the tracking table is full: try again next iteration */
        b->sent++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_smpp HOST PORT N [WINDOW]\n");
        return 2;
    }
    struct bench b = {.loop = uv_default_loop(), .n = strtoull(argv[3], NULL, 10)};
    struct smpp_route_opts o;
    smpp_route_opts_default(&o);
    snprintf(o.name, sizeof(o.name), "bench");
    snprintf(o.host, sizeof(o.host), "%s", argv[1]);
    o.port = (uint16_t)strtoul(argv[2], NULL, 10);
    snprintf(o.system_id, sizeof(o.system_id), "relais");
    snprintf(o.password, sizeof(o.password), "relais");
    o.window = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 100;
    o.track_max = 1u << 20;
    struct smpp_session_cbs cbs = {.on_state = on_state, .on_message_done = on_done};
    b.s = smpp_session_new(b.loop, &o, &cbs, &b);
    uv_prepare_init(b.loop, &b.feed);
    b.feed.data = &b;
    uv_prepare_start(&b.feed, feed);
    smpp_session_start(b.s);
    uv_run(b.loop, UV_RUN_DEFAULT);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    double el = b.t_end - b.t_up;
    printf("  messages %llu (delivered %llu, failed %llu), window %u\n", (unsigned long long)b.done,
           (unsigned long long)b.delivered, (unsigned long long)b.failed, o.window);
    printf("  %.0f messages/s with every receipt received (%.2f s)\n", (double)b.done / el, el);
    printf("  connector CPU %.2f s (%.0f%% of one core), peak RSS %ld MB\n", cpu, 100.0 * cpu / el,
           ru.ru_maxrss / 1024);
    smpp_session_free(b.s);
    uv_close((uv_handle_t *)&b.feed, NULL);
    uv_run(b.loop, UV_RUN_DEFAULT);
    return b.done == b.n ? 0 : 1;
}
