/* The CSV contact import's parser on a large file: N rows (default
 * 1,000,000) generated on the fly and fed in 64 KiB chunks, as an upload
 * arrives, through csvimport to a callback that only counts, so the figures
 * are the parser's (the store is bench/store's). The mix is what a French
 * customer file looks like: mobiles in the usual spellings (spaced, dotted,
 * +33, 0033, 33..., and 612345678 as a spreadsheet keeps it), some 07, fixed
 * lines, overseas mobiles, a few foreign and invalid numbers, repeats, and a
 * custom column. Prints rows/s, seconds, peak RSS, and where the time goes:
 * generating the text, the phone check (fast path and libphonenumber each
 * timed alone) and the rest. Figures only, never a pass/fail. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/buf.h"
#include "domain/csvimport.h"
#include "phone/phone.h"
#include "core/banned.h"

#define CHUNK 65536

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A small deterministic generator (xorshift), so every run sees one file. */
static uint64_t rng = 88172645463325252ULL;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

static const char *const first_names[] = {"Jean", "Marie", "Zoé", "Loïc", "Anne", "Hélène"};
static const char *const last_names[] = {"Dupont", "Martin", "Lefèvre", "N'Diaye", "Moreau"};
static const char *const cities[] = {"Paris", "Lyon", "Saint-Denis", "Fort-de-France", "Nantes"};

/* Writes row i's phone number into out; the mix in percent is in the cases. */
static void phone_of(uint64_t i, char *out, size_t size)
{
    uint32_t r = next() % 100;
    uint64_t j = i;
    if (r < 5 && i > 1000) { /* row i - 997's digits again, in any 06 spelling */
        j = i - 997;
        r = 5 + next() % 59;
    }
    uint32_t n = (uint32_t)(j * 2654435761u % 100000000u); /* 8 digits, spread */
    unsigned a = n / 1000000, b = n / 10000 % 100, c = n / 100 % 100, d = n % 100;
    if (r < 20)
        snprintf(out, size, "06 %02u %02u %02u %02u", a % 80 + 10, b, c, d);
    else if (r < 32)
        snprintf(out, size, "06%02u%02u%02u%02u", a % 80 + 10, b, c, d);
    else if (r < 44)
        snprintf(out, size, "+33 6 %02u %02u %02u %02u", a % 80 + 10, b, c, d);
    else if (r < 52)
        snprintf(out, size, "06.%02u.%02u.%02u.%02u", a % 80 + 10, b, c, d);
    else if (r < 58)
        snprintf(out, size, "6%02u%02u%02u%02u", a % 80 + 10, b, c, d);
    else if (r < 62)
        snprintf(out, size, "0033 6 %02u %02u %02u %02u", a % 80 + 10, b, c, d);
    else if (r < 64)
        snprintf(out, size, "33 6%02u%02u%02u%02u", a % 80 + 10, b, c, d);
    else if (r < 76)
        snprintf(out, size, "07 %02u %02u %02u %02u", a % 60 + 40, b, c, d);
    else if (r < 86)
        snprintf(out, size, "0%u %02u %02u %02u %02u", 1 + a % 5, a, b, c, d);
    else if (r < 89)
        snprintf(out, size, "0692 %02u %02u %02u", b, c, d);
    else if (r < 91)
        snprintf(out, size, "+32 470 %02u %02u %02u", b, c, d);
    else if (r < 94)
        snprintf(out, size, "06 %02u %02u %02u", b, c, d); /* too short */
    else if (r < 96)
        snprintf(out, size, "n/a");
    else if (r < 98)
        snprintf(out, size, "0%u %02u %02u %02u %02u", 8 + a % 2, b, b, c, d); /* 08, 09 */
    else
        snprintf(out, size, "%s", "");
}

/* Appends row i to b. */
static void add_row(struct buf *b, uint64_t i)
{
    char phone[40];
    phone_of(i, phone, sizeof(phone));
    const char *fn = first_names[next() % 6], *ln = last_names[next() % 5];
    buf_addf(b, "%s;%s;%s;%s.%llu@example.fr;%s\r\n", phone, fn, ln, fn, (unsigned long long)i,
             cities[next() % 5]);
}

struct counts {
    size_t by_status[4];
};

static int count(void *ctx, const struct csvimport_row *row)
{
    ((struct counts *)ctx)->by_status[row->status]++;
    return 0;
}

/* Generates the file in CHUNK pieces, feeding each to imp (NULL: generate only). */
static void run(struct csvimport *imp, uint64_t rows)
{
    struct buf b;
    buf_init(&b, 0);
    rng = 88172645463325252ULL;
    buf_adds(&b, "\xEF\xBB\xBFTéléphone;Prénom;Nom;E-mail;Ville\r\n");
    for (uint64_t i = 0; i < rows; i++) {
        add_row(&b, i);
        if (b.len >= CHUNK || i + 1 == rows) {
            if (imp && csvimport_feed(imp, b.data, b.len, NULL) != 0) {
                fprintf(stderr, "feed failed\n");
                exit(1);
            }
            buf_reset(&b);
        }
    }
    if (imp && csvimport_finish(imp, NULL) != 0) {
        fprintf(stderr, "finish failed\n");
        exit(1);
    }
    buf_release(&b);
}

/* ns per number for check() over the first n numbers of the file. */
static double phone_cost(int (*check)(const char *, size_t, const char *, struct phone_info *,
                                      struct rl_err *),
                         size_t n)
{
    char phone[40];
    struct phone_info info;
    rng = 88172645463325252ULL;
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        phone_of(i, phone, sizeof(phone));
        next(), next(), next(); /* as add_row draws */
        check(phone, strlen(phone), "FR", &info, NULL);
    }
    return (now() - t0) / (double)n * 1e9;
}

int main(int argc, char **argv)
{
    uint64_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    struct counts c = {0};
    struct csvimport *imp;
    struct csvimport_opts o = {.region = "FR", .on_row = count, .ctx = &c};
    if (rows == 0 || csvimport_new(&o, &imp, NULL) != 0)
        return 1;
    /* The phone library and the fast path's table, built once per process,
     * timed apart. */
    struct phone_info info;
    double t0 = now();
    phone_parse("0612345678", 10, "FR", &info, NULL);
    double lib_init = now() - t0;
    t0 = now();
    phone_parse_typed("0612345678", 10, "FR", &info, NULL);
    double table_init = now() - t0;

    t0 = now();
    run(imp, rows);
    double total = now() - t0;
    long rss = peak_rss_kib();
    const struct csvimport_report *r = csvimport_report(imp);

    if (argc > 2 && strcmp(argv[2], "--import-only") == 0) { /* for perf record */
        printf("%.2f s, peak RSS %.1f MiB\n", total, (double)rss / 1024.0);
        csvimport_free(imp);
        return 0;
    }
    t0 = now();
    run(NULL, rows);
    double gen = now() - t0;
    size_t sample = rows < 100000 ? (size_t)rows : 100000;
    double fast_ns = phone_cost(phone_parse_typed, (size_t)rows);
    double lib_ns = phone_cost(phone_parse_with_overseas, sample);

    printf("csv import parser, %llu rows fed in %d KiB chunks, default region FR\n",
           (unsigned long long)rows, CHUNK / 1024);
    printf("  rows %zu: mobile %zu, non_mobile %zu, duplicates %zu, invalid %zu\n", r->rows,
           c.by_status[CSVIMPORT_MOBILE], c.by_status[CSVIMPORT_NON_MOBILE],
           c.by_status[CSVIMPORT_DUPLICATE], c.by_status[CSVIMPORT_INVALID]);
    printf("  %-44s %7.2f s (libphonenumber's first call: %.2f s)\n",
           "fast-path table, once per process", table_init, lib_init);
    printf("  %-44s %7.2f s %10.0f rows/s  peak RSS %.1f MiB\n", "import (generation included)",
           total, (double)rows / total, (double)rss / 1024.0);
    printf("  %-44s %7.2f s\n", "  of which generating the text", gen);
    printf("  %-44s %7.2f s %10.0f rows/s\n", "parser alone (import - generation)", total - gen,
           (double)rows / (total - gen));
    printf("  %-44s %7.0f ns/number (%.2f s for the file)\n", "phone check as imported (fast path)",
           fast_ns, fast_ns * (double)rows / 1e9);
    printf("  %-44s %7.0f ns/number (%.2f s for the file, estimated from %zu)\n",
           "phone check by libphonenumber only", lib_ns, lib_ns * (double)rows / 1e9, sample);
    csvimport_free(imp);
    return 0;
}
