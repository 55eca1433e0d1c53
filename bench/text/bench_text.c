/* The text core on the fan-out hot path: every message of a campaign is
 * rendered from its template, analysed, and split into parts. Prints
 * messages/s and ns per message for each step on typical texts; figures only,
 * never a pass/fail. Compare the rows as ratios: the machine is shared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text/segment.h"
#include "text/smartenc.h"
#include "text/template.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sample {
    const char *name;
    const char *text;
};

static const struct sample samples[] = {
    {"gsm short (55 chars)", "Bonjour Marie, votre colis arrive demain. STOP au 36180"},
    {"gsm long (3 parts)",
     "Bonjour Marie, -20 % sur toute la boutique ce week-end avec le code PRINTEMPS: robes, "
     "chaussures et accessoires. Offre valable jusqu'a dimanche minuit dans nos magasins et "
     "sur le site. Livraison offerte des 50 EUR d'achat. Pour ne plus recevoir nos offres, "
     "repondez STOP au 36180. A tres bientot, l'equipe Lumiere. Merci de votre fidelite!"},
    {"ucs2 short (ç, emoji)", "Votre commande est prête ! Merci, à bientôt 😀 STOP au 36180"},
    {"smart (quotes, dash)", "C’est confirmé – rendez-vous demain à 9h… l’équipe"},
};

static int get(void *ctx, const char *name, size_t n, const char **v, size_t *vl)
{
    (void)ctx;
    if (n == 9 && memcmp(name, "firstname", 9) == 0)
        *v = "Marie";
    else if (n == 4 && memcmp(name, "shop", 4) == 0)
        *v = "Boutique Lumière";
    else
        return 0;
    *vl = strlen(*v);
    return 1;
}

struct ctx {
    const char *text;
    size_t len;
    struct seg_opts opts;
};

static void do_analyze(struct ctx *c)
{
    struct seg_info info;
    seg_analyze(c->text, c->len, NULL, &info, NULL);
}

static void do_split(struct ctx *c)
{
    struct seg_msg m;
    seg_split(c->text, c->len, &c->opts, &m, NULL);
    seg_msg_release(&m);
}

static void do_smart(struct ctx *c)
{
    struct smartenc_result r;
    smartenc_apply(c->text, c->len, &r, NULL);
    smartenc_release(&r);
}

static void do_render(struct ctx *c)
{
    struct template_data data = {get, NULL, NULL};
    struct buf out;
    template_render(c->text, c->len, &data, 0, &out, NULL);
    buf_release(&out);
}

static void do_render_analyze(struct ctx *c)
{
    struct template_data data = {get, NULL, NULL};
    struct buf out;
    struct seg_info info;
    template_render(c->text, c->len, &data, 0, &out, NULL);
    seg_analyze(out.data, out.len, NULL, &info, NULL);
    buf_release(&out);
}

/* Calls fn until about a second has passed; prints calls/s and ns per call. */
static void measure(const char *label, void (*fn)(struct ctx *), struct ctx *c)
{
    long n = 0;
    double t0 = now(), el;
    do {
        for (int k = 0; k < 1000; k++, n++)
            fn(c);
        el = now() - t0;
    } while (el < 1.0);
    printf("  %-28s %12.0f msg/s %8.0f ns/msg\n", label, (double)n / el, el * 1e9 / (double)n);
}

int main(void)
{
    printf("text core, one thread\n");
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        struct ctx c = {samples[i].text, strlen(samples[i].text), {8, 10, false, 1}};
        printf("%s\n", samples[i].name);
        measure("analyze", do_analyze, &c);
        measure("split (unpacked)", do_split, &c);
        c.opts.pack = true;
        measure("split (packed)", do_split, &c);
        measure("smart encoding", do_smart, &c);
    }
    const char *tpl = "Bonjour #firstname|client#, -20 % chez #shop# ce week-end. STOP au 36180";
    struct ctx c = {tpl, strlen(tpl), {8, 10, false, 1}};
    printf("template with 2 fields\n");
    measure("render", do_render, &c);
    measure("render + analyze", do_render_analyze, &c);
    return 0;
}
