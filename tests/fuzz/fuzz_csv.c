/* Arbitrary bytes as an uploaded contact file. Byte 0 picks how the rest is
 * cut into chunks (and bit 7 the default region: FR or none); the file is
 * parsed whole and again in those chunks. Invariants: both runs give the same
 * rows, report and outcome; every string handed out is valid UTF-8, the custom
 * fields a JSON object; records start on increasing lines; a status agrees
 * with its number; the report counts what the rows said; an error explains
 * itself in valid UTF-8. libphonenumber is not instrumented: only our side is
 * checked for memory errors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "domain/csvimport.h"
#include "text/utf8.h"
#include "core/banned.h"

struct seen {
    struct buf trace;
    size_t rows, invalid, duplicates, non_mobile, last_line;
};

static void valid_text(const char *s)
{
    if (s && utf8_validate(s, strlen(s), NULL) != 0)
        abort();
}

static int on_row(void *ctx, const struct csvimport_row *row)
{
    struct seen *s = ctx;
    if (row->line <= s->last_line)
        abort();
    s->last_line = row->line;
    s->rows++;
    valid_text(row->phone_raw);
    valid_text(row->reason);
    valid_text(row->email);
    valid_text(row->first_name);
    valid_text(row->last_name);
    valid_text(row->language);
    json_t *f = json_loads(row->fields, 0, NULL);
    if (!json_is_object(f))
        abort();
    json_decref(f);
    bool usable = row->phone.valid && row->phone.e164[0] == '+';
    switch (row->status) {
    case CSVIMPORT_MOBILE:
        if (!usable || !phone_is_mobile_type(row->phone.type) || row->reason[0])
            abort();
        break;
    case CSVIMPORT_NON_MOBILE:
        s->non_mobile++;
        if (!usable || phone_is_mobile_type(row->phone.type) || row->reason[0])
            abort();
        break;
    case CSVIMPORT_DUPLICATE:
        s->duplicates++;
        if (!usable)
            abort();
        break;
    case CSVIMPORT_INVALID:
        s->invalid++;
        if (row->reason[0] == '\0' || row->phone.valid || row->phone.e164[0])
            abort();
        break;
    default:
        abort();
    }
    buf_addf(&s->trace, "%zu %d %s %s %s|%s|%s|%s|%s|%s\n", row->line, (int)row->status,
             row->phone.e164, row->reason, row->phone_raw, row->email ? row->email : "-",
             row->first_name ? row->first_name : "-", row->last_name ? row->last_name : "-",
             row->language ? row->language : "-", row->fields);
    return 0;
}

/* Feeds data whole (seed 0) or in chunks of 1 to 64 bytes drawn from seed. */
static void run(const uint8_t *data, size_t size, const char *region, uint32_t seed, struct seen *s)
{
    struct csvimport *imp;
    struct rl_err err = {0};
    struct csvimport_opts o = {.region = region, .on_row = on_row, .ctx = s};
    uint32_t lcg = seed;
    int rc = 0;
    memset(s, 0, sizeof(*s));
    buf_init(&s->trace, 0);
    if (csvimport_new(&o, &imp, NULL) != 0)
        abort();
    for (size_t i = 0; i < size && rc == 0;) {
        size_t k = size - i;
        if (seed != 0) {
            lcg = lcg * 1103515245u + 12345u;
            k = (lcg >> 16) % 64 + 1;
            if (k > size - i)
                k = size - i;
        }
        rc = csvimport_feed(imp, data + i, k, &err);
        i += k;
    }
    if (rc == 0)
        rc = csvimport_finish(imp, &err);
    if (rc != 0 && (err.msg[0] == '\0' || utf8_validate(err.msg, strlen(err.msg), NULL) != 0))
        abort();
    const struct csvimport_report *r = csvimport_report(imp);
    if (r->rows != s->rows || r->invalid_total != s->invalid ||
        r->duplicates_file != s->duplicates || r->non_mobile != s->non_mobile ||
        r->invalid_n > CSVIMPORT_INVALID_MAX || r->invalid_n > r->invalid_total)
        abort();
    json_t *j = csvimport_report_json(r);
    if (!j)
        abort();
    char *text = json_dumps(j, JSON_COMPACT);
    buf_addf(&s->trace, "rc=%d %s %c %s %s\n", rc, err.msg, csvimport_delimiter(imp),
             csvimport_encoding(imp), text);
    free(text);
    json_decref(j);
    csvimport_free(imp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen whole, cut;
    if (size < 1)
        return 0;
    const char *region = data[0] & 0x80 ? NULL : "FR";
    run(data + 1, size - 1, region, 0, &whole);
    run(data + 1, size - 1, region, (uint32_t)data[0] | 0x100, &cut);
    if (strcmp(whole.trace.data, cut.trace.data) != 0) {
        fprintf(stderr, "whole:\n%s\nchunked:\n%s\n", whole.trace.data, cut.trace.data);
        abort();
    }
    buf_release(&whole.trace);
    buf_release(&cut.trace);
    return 0;
}
