/* relais inspect: how a text travels and how it is billed. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "text/segment.h"
#include "text/smartenc.h"
#include "text/utf8.h"
#include "core/banned.h"

#define TEXT_MAX (64 * 1024)

static json_t *replaced_json(const struct smartenc_result *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < r->nrepl; i++) {
        char from[4];
        size_t k = utf8_encode(r->repl[i].from, from);
        json_array_append_new(arr, json_pack("{s:s%, s:s, s:I}", "from", from, k, "to",
                                             r->repl[i].to, "count", (json_int_t)r->repl[i].count));
    }
    return arr;
}

json_t *cli_text_json(const char *text, size_t len, bool smart, char **final, struct rl_err *err)
{
    struct smartenc_result sm;
    struct seg_info info;
    json_t *obj = NULL;
    const char *t = text;
    size_t n = len;
    memset(&sm, 0, sizeof(sm));
    if (smart) {
        if (smartenc_apply(text, len, &sm, err) != 0)
            goto out;
        t = sm.text;
        n = sm.len;
    }
    if (seg_analyze(t, n, NULL, &info, err) != 0)
        goto out;
    obj = json_object();
    json_object_set_new(obj, "encoding", json_string(seg_encoding_name(info.encoding)));
    json_object_set_new(obj, "units", json_integer((json_int_t)info.units));
    json_object_set_new(obj, "segments", json_integer((json_int_t)info.segments));
    json_object_set_new(obj, "per_segment", json_integer((json_int_t)info.per_segment));
    json_object_set_new(obj, "remaining", json_integer((json_int_t)info.remaining));
    json_object_set_new(obj, "replaced", replaced_json(&sm));
    if (final)
        *final = xstrndup(t, n);
out:
    smartenc_release(&sm);
    return obj;
}

void cli_print_json(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s) {
        puts(s);
        free(s);
    }
}

static void usage(void)
{
    printf("usage: relais inspect [--smart] TEXT\n\n"
           "Prints how TEXT travels as SMS, as one JSON object:\n"
           "  encoding     gsm7 (GSM 03.38) or ucs2 (one character outside it is enough)\n"
           "  units        septets (escaped characters such as EUR [ ] { } count 2) or\n"
           "               UTF-16 units (an emoji counts 2)\n"
           "  segments     parts billed: 160 / 153 per part (gsm7), 70 / 67 (ucs2)\n"
           "  per_segment  capacity of one part for this text\n"
           "  remaining    units still free in the last part\n"
           "  replaced     look-alikes replaced with --smart\n\n"
           "  --smart      replace typographic quotes, dashes, ellipses and special spaces\n"
           "               by GSM characters when that makes the whole text GSM-7\n"
           "TEXT '-' reads the text from standard input (at most 64 KiB).\n");
}

int cli_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"smart", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool smart = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+sh", opts, NULL)) != -1) {
        if (c == 's')
            smart = true;
        else if (c == 'h')
            return usage(), CLI_OK;
        else
            return cli_usage("inspect", "unknown option '%s'", argv[optind - 1]);
    }
    if (argc - optind != 1)
        return cli_usage("inspect", "expected one TEXT argument, got %d (quote the text)",
                         argc - optind);
    const char *text = argv[optind];
    char *owned = NULL;
    size_t len = strlen(text);
    if (strcmp(text, "-") == 0) {
        owned = cli_read_stdin(TEXT_MAX, &len);
        if (!owned)
            return cli_usage("inspect", "standard input is over the %d-byte limit", TEXT_MAX);
        text = owned;
    }
    struct rl_err err = {0};
    json_t *obj = cli_text_json(text, len, smart, NULL, &err);
    free(owned);
    if (!obj)
        return cli_usage("inspect", "TEXT: %s", err.msg);
    cli_print_json(obj);
    json_decref(obj);
    return CLI_OK;
}
