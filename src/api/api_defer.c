#include "api/api_defer.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/mem.h"
#include "core/banned.h"

struct api_deferred {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    api_finish_fn finish;
    void *ctx;
    bool ready;
    void (*wake)(void *ud); /* set once parked */
    void *wake_ud;
};

struct api_deferred *api_defer(struct api_response *rs, api_finish_fn finish, void *ctx)
{
    struct api_deferred *d = xcalloc(1, sizeof(*d));
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cond, NULL);
    d->finish = finish;
    d->ctx = ctx;
    rs->deferred = d;
    return d;
}

void api_deferred_ready(struct api_deferred *d)
{
    pthread_mutex_lock(&d->mu);
    d->ready = true;
    if (d->wake)
        d->wake(d->wake_ud);
    pthread_cond_broadcast(&d->cond);
    /* Past this unlock d may be freed by the woken request. */
    pthread_mutex_unlock(&d->mu);
}

void api_deferred_park(struct api_deferred *d, void (*park)(void *ud), void (*wake)(void *ud),
                       void *ud)
{
    pthread_mutex_lock(&d->mu);
    park(ud);
    d->wake = wake;
    d->wake_ud = ud;
    if (d->ready)
        wake(ud);
    pthread_mutex_unlock(&d->mu);
}

void api_deferred_wait(struct api_deferred *d)
{
    pthread_mutex_lock(&d->mu);
    while (!d->ready)
        pthread_cond_wait(&d->cond, &d->mu);
    pthread_mutex_unlock(&d->mu);
}

void api_deferred_finish(struct api_deferred *d, struct api_response *rs)
{
    /* The lock orders this after api_deferred_ready's last touch of d. */
    pthread_mutex_lock(&d->mu);
    pthread_mutex_unlock(&d->mu);
    rs->deferred = NULL;
    d->finish(d->ctx, rs);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
