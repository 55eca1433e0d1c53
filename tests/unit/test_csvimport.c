/* CSV contact import. Every file here is fed whole, byte by byte and in
 * random chunks, and the rows, report and outcome must be the same each time
 * (run_all). Expected values are worked out by hand:
 *  - numbers from ARCEP's plan (06, 07 mobile; 01 Île-de-France; 0800
 *    free to the caller; overseas 0692 La Réunion +262, 0690 Guadeloupe +590,
 *    0696 Martinique +596); E.164 drops the trunk 0 after the country code;
 *  - reasons for invalid numbers follow phone.h's list ("'X' is too short for
 *    FR" when the national number has too few digits for the plan);
 *  - Windows-1252 bytes from its code chart (0xE9 é, 0xE8 è, 0x80 €, 0x9C œ)
 *    and their UTF-8 from RFC 3629 (é = C3 A9, € = E2 82 AC, œ = C5 93);
 *  - line numbers by counting the line breaks in the literal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "core/buf.h"
#include "domain/csvimport.h"
#include "phone/phone.h"

struct got {
    size_t line;
    enum csvimport_status status;
    char raw[160], e164[20], region[4], reason[256], email[300], first[300], last[300], lang[40];
    char fields[600];
    enum phone_type type;
    bool email_dropped, language_dropped, optout;
};

struct run {
    struct got *rows;
    size_t n;
    int rc;
    struct rl_err err;
    struct csvimport_report rep; /* counters only; the list is in invalid_json */
    char *report_json;
    char delim;
    char enc[16];
    struct buf trace; /* everything above, to compare runs */
    size_t stop_at;   /* the callback fails on this row (1-based); 0: never */
};

static const char *status_name(enum csvimport_status s)
{
    static const char *const names[] = {"mobile", "non_mobile", "invalid", "duplicate"};
    return names[s];
}

static int collect(void *ctx, const struct csvimport_row *row)
{
    struct run *r = ctx;
    if (r->stop_at && r->n + 1 == r->stop_at)
        return RL_EIO;
    if ((r->n & (r->n - 1)) == 0) { /* at 0, 1, 2, 4...: doubling */
        r->rows = realloc(r->rows, (r->n ? 2 * r->n : 1) * sizeof(*r->rows));
        assert_non_null(r->rows);
    }
    struct got *g = &r->rows[r->n++];
    memset(g, 0, sizeof(*g));
    g->line = row->line;
    g->status = row->status;
    snprintf(g->raw, sizeof(g->raw), "%s", row->phone_raw);
    snprintf(g->e164, sizeof(g->e164), "%s", row->phone.e164);
    snprintf(g->region, sizeof(g->region), "%s", row->phone.region);
    snprintf(g->reason, sizeof(g->reason), "%s", row->reason);
    snprintf(g->email, sizeof(g->email), "%s", row->email ? row->email : "(null)");
    snprintf(g->first, sizeof(g->first), "%s", row->first_name ? row->first_name : "(null)");
    snprintf(g->last, sizeof(g->last), "%s", row->last_name ? row->last_name : "(null)");
    snprintf(g->lang, sizeof(g->lang), "%s", row->language ? row->language : "(null)");
    snprintf(g->fields, sizeof(g->fields), "%s", row->fields);
    g->type = row->phone.type;
    g->email_dropped = row->email_dropped;
    g->language_dropped = row->language_dropped;
    g->optout = row->optout;
    buf_addf(&r->trace, "%zu|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%d|%d|%d\n", row->line,
             status_name(row->status), row->phone_raw, row->phone.e164,
             phone_type_name(row->phone.type), row->reason, g->email, g->first, g->last, g->lang,
             row->fields, row->email_dropped, row->language_dropped, row->optout);
    return 0;
}

enum split { WHOLE, BYTES, SMALL, LARGE };

/* Feeds csv[0..len) cut as split says (seeded), then finishes. */
static void run_split(const char *csv, size_t len, const char *region, enum split how,
                      unsigned seed, size_t stop_at, struct run *r)
{
    struct csvimport *imp;
    struct csvimport_opts o = {.region = region, .on_row = collect, .ctx = r};
    memset(r, 0, sizeof(*r));
    r->stop_at = stop_at;
    buf_init(&r->trace, 0);
    assert_int_equal(csvimport_new(&o, &imp, NULL), 0);
    size_t i = 0;
    int rc = 0;
    srand(seed);
    while (i < len && rc == 0) {
        size_t k = how == WHOLE   ? len
                   : how == BYTES ? 1
                   : how == SMALL ? (size_t)(rand() % 17) + 1
                                  : (size_t)(rand() % 5000) + 1;
        if (k > len - i)
            k = len - i;
        rc = csvimport_feed(imp, csv + i, k, &r->err);
        i += k;
    }
    if (rc == 0)
        rc = csvimport_finish(imp, &r->err);
    r->rc = rc;
    r->rep = *csvimport_report(imp);
    r->rep.invalid = NULL;
    json_t *j = csvimport_report_json(csvimport_report(imp));
    assert_non_null(j);
    r->report_json = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    r->delim = csvimport_delimiter(imp);
    snprintf(r->enc, sizeof(r->enc), "%s", csvimport_encoding(imp));
    buf_addf(&r->trace, "rc=%d err=%s/%s delim=%d enc=%s report=%s\n", rc, r->err.field, r->err.msg,
             r->delim, r->enc, r->report_json);
    csvimport_free(imp);
}

static void run_free(struct run *r)
{
    free(r->rows);
    free(r->report_json);
    buf_release(&r->trace);
}

/* Runs csv whole into *r, then byte by byte and in random chunks, asserting
 * the same trace each time. */
static void run_all_n(const char *csv, size_t len, const char *region, struct run *r)
{
    static const enum split hows[] = {BYTES, SMALL, SMALL, SMALL, LARGE, LARGE};
    run_split(csv, len, region, WHOLE, 0, 0, r);
    for (size_t h = 0; h < sizeof(hows) / sizeof(hows[0]); h++) {
        struct run other;
        run_split(csv, len, region, hows[h], (unsigned)h + 1, 0, &other);
        if (strcmp(other.trace.data, r->trace.data) != 0)
            print_error("split %zu differs:\n%s\nvs whole:\n%s\n", h, other.trace.data,
                        r->trace.data);
        assert_string_equal(other.trace.data, r->trace.data);
        run_free(&other);
    }
}

static void run_all(const char *csv, const char *region, struct run *r)
{
    run_all_n(csv, strlen(csv), region, r);
}

static void expect_row(const struct run *r, size_t i, size_t line, enum csvimport_status st,
                       const char *e164)
{
    if (i >= r->n)
        print_error("row %zu missing (%zu rows)\n%s", i, r->n, r->trace.data);
    assert_true(i < r->n);
    if (r->rows[i].line != line || r->rows[i].status != st || strcmp(r->rows[i].e164, e164) != 0)
        print_error("row %zu: %s", i, r->trace.data);
    assert_int_equal(r->rows[i].line, line);
    assert_string_equal(status_name(r->rows[i].status), status_name(st));
    assert_string_equal(r->rows[i].e164, e164);
}

/* --- the basics ----------------------------------------------------------------- */

static void french_file(void **state)
{
    (void)state;
    struct run r;
    run_all("Téléphone;Prénom;Nom;E-mail;Ville\n"
            "06 12 34 56 78;Jean;Dupont;jean@example.fr;Paris\n"
            "+33 7 81 23 45 67;Marie;Curie;marie@;Lyon\n"
            "01 23 45 67 89;Paul;;;\n"
            "0612345678;Jean;Dupont;;Nice\n"
            "12;X;Y;;\n",
            "FR", &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.delim, ';');
    assert_string_equal(r.enc, "utf-8");
    assert_int_equal(r.n, 5);
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    assert_string_equal(r.rows[0].raw, "06 12 34 56 78");
    assert_string_equal(r.rows[0].first, "Jean");
    assert_string_equal(r.rows[0].last, "Dupont");
    assert_string_equal(r.rows[0].email, "jean@example.fr");
    assert_string_equal(r.rows[0].fields, "{\"Ville\":\"Paris\"}");
    assert_string_equal(r.rows[0].reason, "");
    /* 078: mobile. The e-mail has no domain: dropped, the row kept. */
    expect_row(&r, 1, 3, CSVIMPORT_MOBILE, "+33781234567");
    assert_string_equal(r.rows[1].email, "(null)");
    assert_true(r.rows[1].email_dropped);
    /* 01: a fixed line in Île-de-France, kept out of SMS. Empty custom
     * values are left out of the object, so a merge keeps what was there. */
    expect_row(&r, 2, 4, CSVIMPORT_NON_MOBILE, "+33123456789");
    assert_int_equal(r.rows[2].type, PHONE_TYPE_FIXED_LINE);
    assert_string_equal(r.rows[2].last, "(null)");
    assert_string_equal(r.rows[2].fields, "{}");
    /* The number of line 2 in another spelling. */
    expect_row(&r, 3, 5, CSVIMPORT_DUPLICATE, "+33612345678");
    expect_row(&r, 4, 6, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[4].reason, "'12' is too short for FR");
    assert_int_equal(r.rep.rows, 5);
    assert_int_equal(r.rep.duplicates_file, 1);
    assert_int_equal(r.rep.non_mobile, 1);
    assert_int_equal(r.rep.invalid_total, 1);
    assert_int_equal(r.rep.emails_dropped, 1);
    assert_string_equal(r.report_json,
                        "{\"rows\":5,\"created\":0,\"updated\":0,\"duplicates\":1,\"invalid\":"
                        "[{\"line\":6,\"value\":\"12\",\"reason\":\"'12' is too short for FR\"}],"
                        "\"non_mobile\":1,\"opted_out\":0}");
    run_free(&r);
}

static void comma_and_tab(void **state)
{
    (void)state;
    struct run r;
    run_all("phone,first_name,last_name\r\n\"0612345678\",\"Anne\",\"Martin\"\r\n", "FR", &r);
    assert_int_equal(r.delim, ',');
    assert_string_equal(r.enc, "ascii");
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    assert_string_equal(r.rows[0].last, "Martin");
    run_free(&r);

    /* TAB, with a trailing empty field and CRLF: the CR is not part of it. */
    run_all("mobile\tnom\tcode\r\n0612345678\tMartin\t\r\n", "FR", &r);
    assert_int_equal(r.delim, '\t');
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    assert_string_equal(r.rows[0].last, "Martin");
    assert_string_equal(r.rows[0].fields, "{}");
    run_free(&r);
}

/* Delimiters inside quotes do not count; the most frequent wins; ties go
 * ';' then ',' then TAB. */
static void delimiter_detection(void **state)
{
    (void)state;
    struct run r;
    run_all("\"a;b;c\",phone,x\n1,0612345678,2\n", "FR", &r);
    assert_int_equal(r.delim, ',');
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    run_free(&r);
    run_all("phone;nom,prénom\n0612345678;a,b\n", "FR", &r); /* 1 and 1 */
    assert_int_equal(r.delim, ';');
    assert_string_equal(r.rows[0].fields, "{\"nom,prénom\":\"a,b\"}");
    run_free(&r);
    run_all("phone,nom\tx\n0612345678,a\tb\n", "FR", &r); /* 1 and 1 */
    assert_int_equal(r.delim, ',');
    run_free(&r);
    run_all("phone\n0612345678\n", "FR", &r); /* no delimiter at all */
    assert_int_equal(r.delim, ';');
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    run_free(&r);
    /* Blank lines before the header: counted from the first line with text. */
    run_all("\n  \r\nphone,nom\n0612345678,x\n", "FR", &r);
    assert_int_equal(r.delim, ',');
    expect_row(&r, 0, 4, CSVIMPORT_MOBILE, "+33612345678");
    run_free(&r);
}

/* RFC 4180: quoted line breaks, doubled quotes, delimiters in quotes; the
 * line of a record is where it starts. */
static void quoting(void **state)
{
    (void)state;
    struct run r;
    run_all("phone;nom;note\n"
            "0612345678;\"Dupont; fils\";\"il a dit \"\"oui\"\"\"\n"
            "0612345679;\"Martin\";\"ligne 1\n"
            "ligne 2\r\n"
            "ligne 3\"\n"
            "\"06 12 34 56 80\";Durand;x\n",
            "FR", &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 3);
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    assert_string_equal(r.rows[0].last, "Dupont; fils");
    assert_string_equal(r.rows[0].fields, "{\"note\":\"il a dit \\\"oui\\\"\"}");
    expect_row(&r, 1, 3, CSVIMPORT_MOBILE, "+33612345679");
    /* The quoted line breaks stay in the value (CRLF as written). */
    assert_string_equal(r.rows[1].fields, "{\"note\":\"ligne 1\\nligne 2\\r\\nligne 3\"}");
    /* Lines 3, 4 and 5 were one record: the next starts on line 6. */
    expect_row(&r, 2, 6, CSVIMPORT_MOBILE, "+33612345680");
    run_free(&r);

    /* A line break inside a quoted name becomes one space. */
    run_all("phone;prénom;nom\n0612345678;\"Jean\r\nPierre\";\" Dupont \"\n", "FR", &r);
    assert_string_equal(r.rows[0].first, "Jean Pierre");
    assert_string_equal(r.rows[0].last, "Dupont");
    run_free(&r);
}

static void line_ends(void **state)
{
    (void)state;
    struct run r;
    /* CRLF, no line break at the end of the file. */
    run_all("phone;nom\r\n0612345678;A\r\n0612345679;B", "FR", &r);
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    expect_row(&r, 1, 3, CSVIMPORT_MOBILE, "+33612345679");
    assert_string_equal(r.rows[1].last, "B");
    run_free(&r);
    /* Lone CRs (classic Mac): lines counted by CR. */
    run_all("phone;nom\r0612345678;A\r\r0612345679;B\r", "FR", &r);
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    expect_row(&r, 1, 4, CSVIMPORT_MOBILE, "+33612345679");
    assert_string_equal(r.rows[1].last, "B");
    run_free(&r);
}

/* Blank lines and rows of empty fields (";;", spreadsheets' blank rows) are
 * skipped and not counted, but still count as lines. */
static void empty_lines(void **state)
{
    (void)state;
    struct run r;
    run_all("phone;nom;ville\n\n0612345678;A;B\n;;\n   \n ; ;\"\"\n\r\n0612345679;C;D\n", "FR", &r);
    assert_int_equal(r.n, 2);
    expect_row(&r, 0, 3, CSVIMPORT_MOBILE, "+33612345678");
    expect_row(&r, 1, 8, CSVIMPORT_MOBILE, "+33612345679");
    assert_int_equal(r.rep.rows, 2);
    run_free(&r);
    /* A header alone: no rows, no error. */
    run_all("phone;nom\n", "FR", &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 0);
    assert_string_equal(r.report_json, "{\"rows\":0,\"created\":0,\"updated\":0,\"duplicates\":0,"
                                       "\"invalid\":[],\"non_mobile\":0,\"opted_out\":0}");
    run_free(&r);
}

/* --- encodings ------------------------------------------------------------------ */

static void bom(void **state)
{
    (void)state;
    struct run r;
    run_all("\xEF\xBB\xBFphone;prénom\n0612345678;Zoé\n", "FR", &r);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.enc, "utf-8");
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    assert_string_equal(r.rows[0].first, "Zo\xC3\xA9");
    run_free(&r);
    /* A BOM then pure ASCII still reads as UTF-8. */
    run_all("\xEF\xBB\xBF"
            "phone\n0612345678\n",
            "FR", &r);
    assert_string_equal(r.enc, "utf-8");
    assert_int_equal(r.n, 1);
    run_free(&r);
    /* UTF-16 (Excel's "Unicode text") is refused with what to do. */
    run_all("\xFF\xFEp\0h\0", NULL, &r);
    assert_int_equal(r.rc, RL_EPARSE);
    assert_string_equal(r.err.msg,
                        "the file is UTF-16: save it as CSV UTF-8 (or CSV with ';' separators)");
    run_free(&r);
}

static void windows_1252(void **state)
{
    (void)state;
    struct run r;
    /* "Téléphone;Prénom;Société" and "Renée;Crème & Cie €" in Windows-1252. */
    run_all("T\xE9l\xE9phone;Pr\xE9nom;Soci\xE9t\xE9\n"
            "0612345678;Ren\xE9"
            "e;Cr\xE8me & C\x9C"
            "ur \x80\n",
            "FR", &r);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.enc, "windows-1252");
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    assert_string_equal(r.rows[0].first, "Ren\xC3\xA9"
                                         "e");
    assert_string_equal(r.rows[0].fields, "{\"Soci\xC3\xA9t\xC3\xA9\":\"Cr\xC3\xA8me & C\xC5\x93"
                                          "ur \xE2\x82\xAC\"}");
    run_free(&r);
}

/* The first non-ASCII byte comes late: the ASCII rows before it read the
 * same in both encodings, and the window after it decides. */
static void encoding_decided_late(void **state)
{
    (void)state;
    struct buf b;
    struct run r;
    buf_init(&b, 0);
    buf_adds(&b, "phone;nom\n");
    for (int i = 0; i < 3000; i++)
        buf_addf(&b, "06%08d;Ascii\n", i);
    buf_adds(&b, "0612345678;Ren\xE9"
                 "e\n"); /* line 3002 */
    run_all_n(b.data, b.len, "FR", &r);
    assert_string_equal(r.enc, "windows-1252");
    assert_int_equal(r.n, 3001);
    assert_string_equal(r.rows[2999].last, "Ascii");
    expect_row(&r, 3000, 3002, CSVIMPORT_MOBILE, "+33612345678");
    assert_string_equal(r.rows[3000].last, "Ren\xC3\xA9"
                                           "e");
    run_free(&r);

    /* UTF-8, then after the window a field in Windows-1252 (files pasted
     * together): that field alone is converted. */
    buf_release(&b);
    buf_adds(&b, "phone;nom\n0612345678;Zoé\n");
    for (int i = 0; i < 5000; i++) /* 5000 x 19 bytes: past the 64 KiB window */
        buf_addf(&b, "06%08d;Durand\n", i + 10);
    buf_adds(&b, "0799999999;Andr\xE9\n0799999998;Anaïs\n");
    run_all_n(b.data, b.len, "FR", &r);
    assert_string_equal(r.enc, "utf-8");
    assert_int_equal(r.n, 5003);
    assert_string_equal(r.rows[0].last, "Zo\xC3\xA9");
    assert_string_equal(r.rows[5001].last, "Andr\xC3\xA9");
    assert_string_equal(r.rows[5002].last, "Ana\xC3\xAFs");
    run_free(&r);
    buf_release(&b);
}

/* --- header --------------------------------------------------------------------- */

/* Which field a header name feeds: a one-column-plus-phone file. */
static const char *role_seen(const char *name)
{
    static char out[64];
    struct run r;
    char csv[256];
    snprintf(csv, sizeof(csv), "tel;%s\n0612345678;v@example.fr\n", name);
    run_split(csv, strlen(csv), "FR", WHOLE, 0, 0, &r);
    if (r.rc != 0)
        snprintf(out, sizeof(out), "error");
    else if (strcmp(r.rows[0].raw, "v@example.fr") == 0)
        snprintf(out, sizeof(out), "number"); /* a mobile column: the number, before tel */
    else if (strncmp(r.rows[0].reason, "column '", 8) == 0 && strstr(r.rows[0].reason, "neither"))
        snprintf(out, sizeof(out), "optout");
    else if (strcmp(r.rows[0].email, "v@example.fr") == 0)
        snprintf(out, sizeof(out), "email");
    else if (strcmp(r.rows[0].first, "v@example.fr") == 0)
        snprintf(out, sizeof(out), "first");
    else if (strcmp(r.rows[0].last, "v@example.fr") == 0)
        snprintf(out, sizeof(out), "last");
    else if (r.rows[0].language_dropped)
        snprintf(out, sizeof(out), "language");
    else if (strcmp(r.rows[0].fields, "{}") != 0)
        snprintf(out, sizeof(out), "custom");
    else
        snprintf(out, sizeof(out), "ignored");
    run_free(&r);
    return out;
}

static void header_names(void **state)
{
    (void)state;
    static const struct {
        const char *name, *role;
    } cases[] = {
        {"email", "email"},
        {"E-mail", "email"},
        {"E-Mail", "email"},
        {"Courriel", "email"},
        {"Mél", "email"},
        {"adresse e-mail", "email"},
        {"prénom", "first"},
        {"Prenom", "first"},
        {"PRÉNOM", "first"},
        {"first_name", "first"},
        {"First Name", "first"},
        {"firstname", "first"},
        {"nom", "last"},
        {"Last Name", "last"},
        {"last_name", "last"},
        {"Surname", "last"},
        {"Langue", "language"},
        {"language", "language"},
        {"Name", "custom"},
        {"Ville", "custom"},
        {"Téléphone fixe", "custom"},
        {"", "ignored"},
        {"\"\"", "ignored"},
        {"tel", "error"},             /* twice */
        {"N° de téléphone", "error"}, /* a second phone column */
        {"Mobile", "number"},         /* a mobile column beside tel: the number */
        {"Portable", "number"},
        {"GSM", "number"},
        {"Tél. portable", "number"},
        {"optout", "optout"},
        {"Opt-out", "optout"},
        {"opt_out", "optout"},
        {"STOP", "optout"},
        {"Unsubscribed", "optout"},
        {"Désinscrit", "optout"},
        {"désabonné", "optout"},
        {"Opted out", "optout"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = role_seen(cases[i].name);
        if (strcmp(got, cases[i].role) != 0)
            print_error("header '%s': %s, expected %s\n", cases[i].name, got, cases[i].role);
        assert_string_equal(got, cases[i].role);
    }
    /* Each phone spelling alone is the phone column. */
    static const char *const phones[] = {
        "phone", "Téléphone",    "TELEPHONE",           "Tél.",      "mobile",     "Portable",
        "GSM",   "Phone Number", "numéro de téléphone", "N° de tél", "Cell Phone", "tel_mobile"};
    for (size_t i = 0; i < sizeof(phones) / sizeof(phones[0]); i++) {
        struct run r;
        char csv[128];
        snprintf(csv, sizeof(csv), "%s;x\n0612345678;1\n", phones[i]);
        run_all(csv, "FR", &r);
        if (r.rc != 0)
            print_error("'%s': %s\n", phones[i], r.err.msg);
        assert_int_equal(r.rc, 0);
        expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
        run_free(&r);
    }
}

static void header_errors(void **state)
{
    (void)state;
    struct run r;
    run_all("Nom;Prénom;Ville\nDupont;Jean;Paris\n", "FR", &r);
    assert_int_equal(r.rc, RL_EPARSE);
    assert_string_equal(r.err.field, "header");
    assert_string_equal(r.err.msg, "line 1: no phone column among 'Nom', 'Prénom', 'Ville'; name "
                                   "it phone, mobile, téléphone or portable");
    assert_int_equal(r.n, 0);
    run_free(&r);
    /* Two columns of one kind: which to take would be a guess. */
    run_all("Tel;Téléphone\n0612345678;0712345678\n", "FR", &r);
    assert_int_equal(r.rc, RL_EPARSE);
    assert_string_equal(r.err.msg, "line 1: columns 'Tel' and 'Téléphone' both read as the "
                                   "phone: rename one");
    run_free(&r);
    run_all("Mobile;Portable\n0612345678;0712345678\n", "FR", &r);
    assert_int_equal(r.rc, RL_EPARSE);
    assert_string_equal(r.err.msg, "line 1: columns 'Mobile' and 'Portable' both read as the "
                                   "mobile number: rename one");
    run_free(&r);
    run_all("phone;stop;désinscrit\n", "FR", &r);
    assert_int_equal(r.rc, RL_EPARSE);
    assert_string_equal(r.err.msg, "line 1: columns 'stop' and 'désinscrit' both read as the "
                                   "opt-out: rename one");
    run_free(&r);
    run_all("phone;Ville;ville;Ville\n", "FR", &r);
    assert_int_equal(r.rc, RL_EPARSE);
    assert_string_equal(r.err.msg, "line 1: column 'Ville' appears twice");
    run_free(&r);
    run_all("", "FR", &r);
    assert_int_equal(r.rc, RL_EPARSE);
    assert_string_equal(r.err.msg, "the file has no header row (it is empty)");
    run_free(&r);
    run_all("\n\r\n  \n", "FR", &r);
    assert_int_equal(r.rc, RL_EPARSE);
    run_free(&r);
    /* UTF-16 without its byte order mark: NUL bytes in the header. */
    run_all_n("p\0h\0o\0n\0e\0\n\0", 12, "FR", &r);
    assert_int_equal(r.rc, RL_EPARSE);
    assert_string_equal(r.err.msg, "line 1: the header holds a NUL byte: save the file as CSV "
                                   "UTF-8 (not UTF-16)");
    run_free(&r);
}

/* --- rows ----------------------------------------------------------------------- */

static void ragged_rows(void **state)
{
    (void)state;
    struct run r;
    run_all("phone;prénom;nom\n"
            "0612345678;Jean\n"
            "0612345679;Jean;Dupont;en trop\n"
            "0612345680;Anne;Martin\n",
            "FR", &r);
    assert_int_equal(r.rc, 0);
    expect_row(&r, 0, 2, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[0].reason, "has 2 fields where the header has 3");
    assert_string_equal(r.rows[0].raw, "0612345678");
    expect_row(&r, 1, 3, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[1].reason, "has 4 fields where the header has 3");
    expect_row(&r, 2, 4, CSVIMPORT_MOBILE, "+33612345680");
    /* An invalid row's number does not count as seen. */
    assert_int_equal(r.rep.duplicates_file, 0);
    assert_int_equal(r.rep.invalid_total, 2);
    run_free(&r);
}

static void invalid_numbers(void **state)
{
    (void)state;
    struct run r;
    run_all("nom;phone\n"
            "a;\n"
            "b;abc\n"
            "c;06 12 34 56\n"
            "d;+33 6 12 34 56 78 90\n"
            "e;06 12 34 56 78 ext. 12\n"
            "f;\"06 12\n34 56 78\"\n"
            "g;0612345678\n",
            "FR", &r);
    assert_int_equal(r.n, 7);
    expect_row(&r, 0, 2, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[0].reason, "no phone number in column 'phone'");
    expect_row(&r, 1, 3, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[1].reason, "'abc' is not a phone number");
    /* Eight digits: the national number 6123456 is 7 digits, France's are 9. */
    expect_row(&r, 2, 4, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[2].reason, "'06 12 34 56' is too short for FR");
    /* Eleven digits after +33. */
    expect_row(&r, 3, 5, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[3].reason, "'+33 6 12 34 56 78 90' is too long for FR");
    expect_row(&r, 4, 6, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[4].reason,
                        "'06 12 34 56 78 ext. 12' has an extension, which SMS cannot reach");
    /* A line break inside the number (quoted): the record starts on line 7. */
    expect_row(&r, 5, 7, CSVIMPORT_INVALID, "");
    expect_row(&r, 6, 9, CSVIMPORT_MOBILE, "+33612345678");
    assert_int_equal(r.rep.invalid_total, 6);
    assert_int_equal(r.rep.invalid_n, 6);
    json_error_t je;
    json_t *j = json_loads(r.report_json, 0, &je);
    assert_non_null(j);
    json_t *inv = json_object_get(j, "invalid");
    assert_int_equal(json_array_size(inv), 6);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(inv, 2), "line")), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(inv, 2), "value")),
                        "06 12 34 56");
    assert_string_equal(json_string_value(json_object_get(json_array_get(inv, 5), "value")),
                        "06 12\n34 56 78");
    json_decref(j);
    run_free(&r);
}

static void non_mobile_and_duplicates(void **state)
{
    (void)state;
    struct run r;
    run_all("phone\n"
            "0800 12 34 56\n"     /* toll-free */
            "09 12 34 56 78\n"    /* VoIP box */
            "+33 1 23 45 67 89\n" /* Paris */
            "01.23.45.67.89\n"    /* the same */
            "06 10 20 30 40\n"
            "0033610203040\n" /* the same mobile, four more ways */
            "33610203040\n"
            "610203040\n"
            "+33610203040\n",
            "FR", &r);
    assert_int_equal(r.n, 9);
    expect_row(&r, 0, 2, CSVIMPORT_NON_MOBILE, "+33800123456");
    assert_int_equal(r.rows[0].type, PHONE_TYPE_TOLL_FREE);
    expect_row(&r, 1, 3, CSVIMPORT_NON_MOBILE, "+33912345678");
    expect_row(&r, 2, 4, CSVIMPORT_NON_MOBILE, "+33123456789");
    expect_row(&r, 3, 5, CSVIMPORT_DUPLICATE, "+33123456789");
    expect_row(&r, 4, 6, CSVIMPORT_MOBILE, "+33610203040");
    for (size_t i = 5; i < 9; i++)
        expect_row(&r, i, i + 2, CSVIMPORT_DUPLICATE, "+33610203040");
    assert_int_equal(r.rep.non_mobile, 3);
    assert_int_equal(r.rep.duplicates_file, 5);
    /* Store-side duplicates add up in the rendering. */
    struct csvimport_report rep = r.rep;
    rep.duplicates_list = 2;
    rep.created = 3;
    rep.updated = 1;
    rep.opted_out = 2;
    json_t *j = csvimport_report_json(&rep);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(s,
                        "{\"rows\":9,\"created\":3,\"updated\":1,\"duplicates\":7,\"invalid\":[],"
                        "\"non_mobile\":3,\"opted_out\":2}");
    free(s);
    json_decref(j);
    run_free(&r);
}

/* A CRM export with a landline and a mobile column: the mobile is the number,
 * the landline its fallback when the mobile cell is empty and a custom field
 * otherwise (01 and 02: fixed lines, 06 and 07: mobiles). */
static void phone_and_mobile_columns(void **state)
{
    (void)state;
    struct run r;
    run_all("Nom;Téléphone;Portable;Ville\n"
            "Dupont;01 23 45 67 89;06 12 34 56 78;Paris\n"
            "Martin;02 98 76 54 32;;Lyon\n"
            "Durand;;07 81 23 45 67;\n"
            "Vide;;;Nice\n"
            "Faux;01 23 45 67 80;12;\n"
            "Bis;01 11 11 11 11;0612345678;\n",
            "FR", &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 6);
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33612345678");
    assert_string_equal(r.rows[0].raw, "06 12 34 56 78");
    assert_string_equal(r.rows[0].fields, "{\"Téléphone\":\"01 23 45 67 89\",\"Ville\":\"Paris\"}");
    /* No mobile: the landline is the number, not also a field. */
    expect_row(&r, 1, 3, CSVIMPORT_NON_MOBILE, "+33298765432");
    assert_string_equal(r.rows[1].raw, "02 98 76 54 32");
    assert_string_equal(r.rows[1].fields, "{\"Ville\":\"Lyon\"}");
    expect_row(&r, 2, 4, CSVIMPORT_MOBILE, "+33781234567");
    assert_string_equal(r.rows[2].fields, "{}");
    expect_row(&r, 3, 5, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[3].reason, "no phone number in columns 'Portable' and 'Téléphone'");
    /* A mobile cell that is wrong is not replaced by the landline. */
    expect_row(&r, 4, 6, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[4].raw, "12");
    assert_string_equal(r.rows[4].reason, "'12' is too short for FR");
    expect_row(&r, 5, 7, CSVIMPORT_DUPLICATE, "+33612345678");
    assert_int_equal(r.rep.non_mobile, 1);
    assert_int_equal(r.rep.invalid_total, 2);
    run_free(&r);
    /* The column's kind decides, not its place; ',' and English names. */
    run_all("tel,mobile phone,first name\n"
            "0123456789,0610,Ann\n"
            "0123456789,0612345679,Bob\n",
            "FR", &r);
    assert_int_equal(r.rc, 0);
    /* 4 digits: too short, landline or not. */
    expect_row(&r, 0, 2, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[0].reason, "'0610' is too short for FR");
    expect_row(&r, 1, 3, CSVIMPORT_MOBILE, "+33612345679");
    assert_string_equal(r.rows[1].fields, "{\"tel\":\"0123456789\"}");
    assert_string_equal(r.rows[1].first, "Bob");
    run_free(&r);
}

/* The opt-out column: yes in any of its spellings opts out, empty or no
 * leaves the number as it is, anything else is a row the user must fix. */
static void optout_column(void **state)
{
    (void)state;
    struct run r;
    run_all("phone;prénom;STOP\n"
            "0612345678;Jean;oui\n"
            "0612345679;Anne;\n"
            "0612345680;Paul;0\n"
            "0612345681;Léa;X\n"
            "06 12 34 56 78;Jean;\n"
            "0612345682;Zoé;peut-être\n"
            "0612345683;Max;TRUE\n"
            "0612345684;Eve;Non\n"
            "0612345679;Anne;yes\n"
            "0612345685;Ugo;1\n"
            "0612345686;Ivy;Désinscrit\n",
            "FR", &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 11);
    static const struct {
        size_t line;
        enum csvimport_status st;
        bool optout;
    } want[] = {
        {2, CSVIMPORT_MOBILE, true},     {3, CSVIMPORT_MOBILE, false},
        {4, CSVIMPORT_MOBILE, false},    {5, CSVIMPORT_MOBILE, true},
        {6, CSVIMPORT_DUPLICATE, false}, {7, CSVIMPORT_INVALID, false},
        {8, CSVIMPORT_MOBILE, true},     {9, CSVIMPORT_MOBILE, false},
        {10, CSVIMPORT_DUPLICATE, true}, {11, CSVIMPORT_MOBILE, true},
        {12, CSVIMPORT_MOBILE, true},
    };
    for (size_t i = 0; i < r.n; i++) {
        assert_int_equal(r.rows[i].line, want[i].line);
        assert_string_equal(status_name(r.rows[i].status), status_name(want[i].st));
        if (r.rows[i].optout != want[i].optout)
            print_error("line %zu: optout %d\n", want[i].line, r.rows[i].optout);
        assert_int_equal(r.rows[i].optout, want[i].optout);
        /* The column is consent, not a custom field. */
        assert_string_equal(r.rows[i].fields, "{}");
    }
    assert_string_equal(r.rows[5].reason, "column 'STOP': 'peut-être' is neither yes (1, yes, oui, "
                                          "true, x) nor no (0, no, non, false, empty)");
    /* The parser leaves opted_out to the store, which knows who was already. */
    assert_int_equal(r.rep.opted_out, 0);
    run_free(&r);
}

static void overseas_numbers(void **state)
{
    (void)state;
    struct run r;
    run_all("phone\n0692 12 34 56\n0690 12 34 56\n06.96.10.12.34\n+262 692 12 34 56\n", "FR", &r);
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+262692123456");
    assert_string_equal(r.rows[0].region, "RE");
    expect_row(&r, 1, 3, CSVIMPORT_MOBILE, "+590690123456");
    expect_row(&r, 2, 4, CSVIMPORT_MOBILE, "+596696101234");
    expect_row(&r, 3, 5, CSVIMPORT_DUPLICATE, "+262692123456");
    run_free(&r);
    /* Without a default region, national forms are invalid. */
    run_all("phone\n0692123456\n+33612345678\n", NULL, &r);
    expect_row(&r, 0, 2, CSVIMPORT_INVALID, "");
    expect_row(&r, 1, 3, CSVIMPORT_MOBILE, "+33612345678");
    run_free(&r);
}

static void email_and_language(void **state)
{
    (void)state;
    struct run r;
    run_all("phone;email;langue\n"
            "0612345678;a@b.fr;FR_fr\n"
            "0612345679;pas un mail;français\n"
            "0612345680;;\n",
            "FR", &r);
    assert_string_equal(r.rows[0].email, "a@b.fr");
    assert_string_equal(r.rows[0].lang, "fr-FR");
    assert_false(r.rows[0].email_dropped || r.rows[0].language_dropped);
    assert_string_equal(r.rows[1].email, "(null)");
    assert_string_equal(r.rows[1].lang, "(null)");
    assert_true(r.rows[1].email_dropped && r.rows[1].language_dropped);
    assert_int_equal(r.rows[1].status, CSVIMPORT_MOBILE);
    assert_false(r.rows[2].email_dropped || r.rows[2].language_dropped);
    assert_int_equal(r.rep.emails_dropped, 1);
    assert_int_equal(r.rep.languages_dropped, 1);
    run_free(&r);
}

static void custom_fields_are_json(void **state)
{
    (void)state;
    struct run r;
    run_all("phone;Clé \"x\";chemin;ctl\n0612345678;a\"b;C:\\tmp;\"1\t2\"\n", "FR", &r);
    assert_string_equal(
        r.rows[0].fields,
        "{\"Clé \\\"x\\\"\":\"a\\\"b\",\"chemin\":\"C:\\\\tmp\",\"ctl\":\"1\\t2\"}");
    json_t *j = json_loads(r.rows[0].fields, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "Clé \"x\"")), "a\"b");
    assert_string_equal(json_string_value(json_object_get(j, "chemin")), "C:\\tmp");
    json_decref(j);
    run_free(&r);
}

/* --- caps ----------------------------------------------------------------------- */

static void caps(void **state)
{
    (void)state;
    struct run r;
    struct buf b;
    buf_init(&b, 0);
    /* A field over 4096 bytes: that row only. */
    buf_adds(&b, "phone;note\n0612345678;");
    for (int i = 0; i < CSVIMPORT_FIELD_MAX + 1; i++)
        buf_addch(&b, 'x');
    buf_adds(&b, "\n0612345679;ok\n");
    run_all_n(b.data, b.len, "FR", &r);
    assert_int_equal(r.rc, 0);
    expect_row(&r, 0, 2, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[0].reason, "column 'note' is over 4096 bytes");
    expect_row(&r, 1, 3, CSVIMPORT_MOBILE, "+33612345679");
    run_free(&r);

    /* 300 fields on a line. */
    buf_release(&b);
    buf_adds(&b, "phone;x\n0612345678");
    for (int i = 0; i < 299; i++)
        buf_addch(&b, ';');
    buf_adds(&b, "\n0612345679;ok\n");
    run_all_n(b.data, b.len, "FR", &r);
    expect_row(&r, 0, 2, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[0].reason, "has 300 fields (at most 256)");
    expect_row(&r, 1, 3, CSVIMPORT_MOBILE, "+33612345679");
    run_free(&r);

    /* Custom fields over 16384 bytes as JSON: 5 x 4000 bytes. */
    buf_release(&b);
    buf_adds(&b, "phone;a;b;c;d;e\n0612345678");
    for (int f = 0; f < 5; f++) {
        buf_addch(&b, ';');
        for (int i = 0; i < 4000; i++)
            buf_addch(&b, 'y');
    }
    buf_adds(&b, "\n");
    run_all_n(b.data, b.len, "FR", &r);
    expect_row(&r, 0, 2, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[0].reason, "custom fields are over 16384 bytes as JSON");
    run_free(&r);

    /* A name over 256 bytes. */
    buf_release(&b);
    buf_adds(&b, "phone;prénom\n0612345678;");
    for (int i = 0; i < 257; i++)
        buf_addch(&b, 'n');
    buf_adds(&b, "\n");
    run_all_n(b.data, b.len, "FR", &r);
    expect_row(&r, 0, 2, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[0].reason, "column 'prénom': first_name is 257 bytes (at most 256)");
    run_free(&r);

    /* A quote never closed: the field grows to the hard cap and stops it. */
    buf_release(&b);
    buf_adds(&b, "phone;nom\n0612345678;ok\n0612345679;\"Dupont\n");
    for (int i = 0; i < 7000; i++)
        buf_addf(&b, "06%08d;Nom\n", i);
    run_all_n(b.data, b.len, "FR", &r);
    assert_int_equal(r.rc, RL_ETOOLONG);
    assert_string_equal(r.err.msg, "line 3: a field is over 65536 bytes: is a quote left open?");
    assert_int_equal(r.n, 1);
    run_free(&r);

    /* A header line that never ends. */
    buf_release(&b);
    for (int i = 0; i < 7000; i++)
        buf_addf(&b, "colonne%d,", i);
    run_all_n(b.data, b.len, "FR", &r);
    assert_int_equal(r.rc, RL_ETOOLONG);
    assert_string_equal(r.err.msg,
                        "the header line is over 65536 bytes (or a quote in it is never closed)");
    run_free(&r);

    /* 257 columns in the header; 65 custom columns. */
    buf_release(&b);
    buf_adds(&b, "phone");
    for (int i = 0; i < 256; i++)
        buf_addf(&b, ";c%d", i);
    buf_adds(&b, "\n");
    run_all_n(b.data, b.len, "FR", &r);
    assert_int_equal(r.rc, RL_ETOOLONG);
    assert_string_equal(r.err.msg, "line 1: the header has 257 columns (at most 256)");
    run_free(&r);
    buf_release(&b);
    buf_adds(&b, "phone");
    for (int i = 0; i < 65; i++)
        buf_addf(&b, ";c%d", i);
    buf_adds(&b, "\n");
    run_all_n(b.data, b.len, "FR", &r);
    assert_int_equal(r.rc, RL_ETOOLONG);
    assert_string_equal(r.err.msg, "line 1: more than 64 custom columns");
    run_free(&r);
    buf_release(&b);
}

static int count_rows(void *ctx, const struct csvimport_row *row)
{
    (void)row;
    (*(size_t *)ctx)++;
    return 0;
}

static void rows_max_and_misuse(void **state)
{
    (void)state;
    size_t n = 0;
    struct rl_err err = {0};
    struct csvimport *imp;
    struct csvimport_opts o = {.region = "fr", .on_row = count_rows, .ctx = &n, .rows_max = 2};
    assert_int_equal(csvimport_new(&o, &imp, NULL), 0);
    const char *csv = "phone\n0612345678\n\n0612345679\n0612345680\n0612345681\n";
    assert_int_equal(csvimport_feed(imp, csv, strlen(csv), &err), RL_ETOOLONG);
    assert_string_equal(err.msg, "line 5: the file has more than 2 rows: split it");
    assert_int_equal(n, 2);
    assert_int_equal(csvimport_report(imp)->rows, 2);
    /* Sticky: later calls give the same answer. */
    memset(&err, 0, sizeof(err));
    assert_int_equal(csvimport_finish(imp, &err), RL_ETOOLONG);
    assert_string_equal(err.msg, "line 5: the file has more than 2 rows: split it");
    csvimport_free(imp);
    csvimport_free(NULL);

    o.region = "XX";
    assert_int_equal(csvimport_new(&o, &imp, &err), RL_EINVAL);
    assert_string_equal(err.field, "region");
    assert_null(imp);
    o.region = NULL;
    o.on_row = NULL;
    assert_int_equal(csvimport_new(&o, &imp, &err), RL_EINVAL);

    o.on_row = count_rows;
    assert_int_equal(csvimport_new(&o, &imp, NULL), 0);
    assert_int_equal(csvimport_feed(imp, "phone\n+33612345678", 18, NULL), 0);
    assert_int_equal(csvimport_finish(imp, NULL), 0);
    assert_int_equal(csvimport_finish(imp, NULL), 0);
    assert_int_equal(csvimport_feed(imp, "x", 1, &err), RL_EINVAL);
    csvimport_free(imp);
}

static void callback_stops_the_import(void **state)
{
    (void)state;
    struct run r;
    const char *csv = "phone\n0612345678\n0612345679\n0612345680\n";
    run_split(csv, strlen(csv), "FR", WHOLE, 0, 2, &r);
    assert_int_equal(r.rc, RL_EIO);
    assert_string_equal(r.err.msg, "line 3: the import stopped: input/output error");
    assert_int_equal(r.n, 1);
    run_free(&r);
}

static void invalid_list_is_capped(void **state)
{
    (void)state;
    struct buf b;
    struct run r;
    buf_init(&b, 0);
    buf_adds(&b, "phone\n");
    for (int i = 0; i < CSVIMPORT_INVALID_MAX + 5; i++)
        buf_adds(&b, "nope\n");
    run_split(b.data, b.len, "FR", WHOLE, 0, 0, &r);
    assert_int_equal(r.rep.invalid_total, CSVIMPORT_INVALID_MAX + 5);
    json_t *j = json_loads(r.report_json, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "invalid")), CSVIMPORT_INVALID_MAX);
    assert_int_equal(json_integer_value(json_object_get(j, "invalid_total")), 1005);
    /* The last listed is the 1000th invalid row, on line 1001. */
    json_t *last = json_array_get(json_object_get(j, "invalid"), CSVIMPORT_INVALID_MAX - 1);
    assert_int_equal(json_integer_value(json_object_get(last, "line")), 1001);
    json_decref(j);
    run_free(&r);

    /* A long value is cut at a character boundary. */
    buf_release(&b);
    buf_adds(&b, "phone\n");
    for (int i = 0; i < 40; i++)
        buf_adds(&b, "é");
    buf_adds(&b, "\n");
    run_split(b.data, b.len, "FR", WHOLE, 0, 0, &r);
    j = json_loads(r.report_json, 0, NULL);
    const char *v = json_string_value(
        json_object_get(json_array_get(json_object_get(j, "invalid"), 0), "value"));
    assert_int_equal(strlen(v), 32 * 2 + 3); /* 32 é of 2 bytes fit in 64, then "..." */
    json_decref(j);
    run_free(&r);
    buf_release(&b);
}

/* --- a large mixed file, split every way ---------------------------------------- */

static void mixed_file_any_split(void **state)
{
    (void)state;
    struct buf b;
    struct run r;
    buf_init(&b, 0);
    buf_adds(&b, "\xEF\xBB\xBF\"Téléphone\";Prénom;Nom;E-mail;Code postal\r\n");
    for (int i = 0; i < 400; i++) {
        switch (i % 8) {
        case 0: /* 0610: mobile */
            buf_addf(&b, "06 10 00 %02d %02d;Jean;Dupont;j%d@example.fr;75001\r\n", i / 100,
                     i % 100, i);
            break;
        case 1: /* 0781: mobile; a line break in the first name */
            buf_addf(&b, "\"+33 7 81 %02d %02d 00\";\"Zoé\nMarie\";\"O\"\"Neil\";;\r\n", i / 100,
                     i % 100);
            break;
        case 2: /* 0140: Paris, fixed */
            buf_addf(&b, "01 40 00 %02d %02d;;;;\r\n", i / 100, i % 100);
            break;
        case 3:
            buf_adds(&b, "0612345678;Double;;;\r\n");
            break;
        case 4:
            buf_addf(&b, "n/a %d;;;;\r\n", i);
            break;
        case 5:
            buf_adds(&b, ";;;;\r\n\r\n");
            break;
        case 6: /* 0692: La Réunion */
            buf_addf(&b, "0692%06d;Réunion;;;97400\r\n", i);
            break;
        default:
            buf_addf(&b, "06%08d;trop;de;champs;ici;là\r\n", i);
        }
    }
    run_all_n(b.data, b.len, "FR", &r);
    assert_int_equal(r.rc, 0);
    /* 400 rows in 8 kinds, 50 each; the blank kind counts nothing. */
    assert_int_equal(r.rep.rows, 350);
    assert_int_equal(r.rep.non_mobile, 50);
    assert_int_equal(r.rep.duplicates_file, 49); /* 0612345678 kept once */
    assert_int_equal(r.rep.invalid_total, 100);  /* n/a and the 6-field rows */
    expect_row(&r, 0, 2, CSVIMPORT_MOBILE, "+33610000000");
    expect_row(&r, 1, 3, CSVIMPORT_MOBILE, "+33781000100"); /* lines 3 and 4 */
    assert_string_equal(r.rows[1].first, "Zoé Marie");
    assert_string_equal(r.rows[1].last, "O\"Neil");
    expect_row(&r, 2, 5, CSVIMPORT_NON_MOBILE, "+33140000002");
    expect_row(&r, 3, 6, CSVIMPORT_MOBILE, "+33612345678");
    expect_row(&r, 4, 7, CSVIMPORT_INVALID, "");
    expect_row(&r, 5, 10, CSVIMPORT_MOBILE, "+262692000006"); /* after ";;;;" and a blank */
    expect_row(&r, 6, 11, CSVIMPORT_INVALID, "");
    assert_string_equal(r.rows[6].reason, "has 6 fields where the header has 5");
    /* A block of 8 takes 10 lines and gives 7 rows: i = 8 is on line 12. */
    expect_row(&r, 7, 12, CSVIMPORT_MOBILE, "+33610000008");
    expect_row(&r, 10, 16, CSVIMPORT_DUPLICATE, "+33612345678");
    run_free(&r);
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(french_file),
        cmocka_unit_test(comma_and_tab),
        cmocka_unit_test(delimiter_detection),
        cmocka_unit_test(quoting),
        cmocka_unit_test(line_ends),
        cmocka_unit_test(empty_lines),
        cmocka_unit_test(bom),
        cmocka_unit_test(windows_1252),
        cmocka_unit_test(encoding_decided_late),
        cmocka_unit_test(header_names),
        cmocka_unit_test(header_errors),
        cmocka_unit_test(ragged_rows),
        cmocka_unit_test(invalid_numbers),
        cmocka_unit_test(non_mobile_and_duplicates),
        cmocka_unit_test(phone_and_mobile_columns),
        cmocka_unit_test(optout_column),
        cmocka_unit_test(overseas_numbers),
        cmocka_unit_test(email_and_language),
        cmocka_unit_test(custom_fields_are_json),
        cmocka_unit_test(caps),
        cmocka_unit_test(rows_max_and_misuse),
        cmocka_unit_test(callback_stops_the_import),
        cmocka_unit_test(invalid_list_is_capped),
        cmocka_unit_test(mixed_file_any_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
