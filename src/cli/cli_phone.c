/* relais phone: normalise phone numbers, one JSON line per input, so that a
 * contact list can be checked (or piped into jq) before it is imported. */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "phone/phone.h"
#include "text/utf8.h"
#include "core/banned.h"

#define CMD       "phone"
#define STDIN_MAX ((size_t)64 << 20)

static void usage(void)
{
    printf("usage: relais phone [--region CC] NUMBER...\n"
           "       relais phone [--region CC] - < numbers.txt\n\n"
           "Prints one JSON object per NUMBER, in input order:\n"
           "  input    the NUMBER as given\n"
           "  e164     the number in E.164 form (\"+33610203040\"), or null when not valid\n"
           "  valid    true when the number exists in its country's numbering plan\n"
           "  type     mobile, fixed_line, fixed_line_or_mobile, toll_free, premium_rate,\n"
           "           shared_cost, voip, personal_number, pager, uan, voicemail or unknown\n"
           "  region   the country the number belongs to (\"FR\", \"BE\"; \"001\" for\n"
           "           non-geographic numbers), or null\n"
           "  error    why the number is not valid (only then)\n\n"
           "  --region CC  country of numbers written without their country code, such\n"
           "               as 06 10 20 30 40 (ISO 3166 code; default FR)\n"
           "NUMBER '-' alone reads numbers from standard input, one per line (at most\n"
           "64 MiB; blank lines skipped). Each NUMBER is at most %d bytes.\n\n"
           "Exit status: 0 when every NUMBER was checked, even if some are not valid;\n"
           "1 when standard input cannot be read; 2 for a usage error.\n",
           PHONE_INPUT_MAX);
}

/* jansson refuses invalid UTF-8, yet every input must get its line: bad bytes
 * are shown as U+FFFD (the "error" says the input was not UTF-8). */
static json_t *input_json(const char *s, size_t n)
{
    if (utf8_validate(s, n, NULL) == 0)
        return json_stringn(s, n);
    struct buf b;
    buf_init(&b, 0);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k == 0) {
            buf_adds(&b, "\xEF\xBF\xBD");
            i++;
        } else {
            buf_add(&b, s + i, k);
            i += k;
        }
    }
    json_t *j = json_stringn(b.data, b.len);
    buf_release(&b);
    return j;
}

static void print_one(const char *s, size_t n, const char *region)
{
    struct phone_info info;
    struct rl_err err = {0};
    /* As the API and imports read it: 0692… with FR is La Réunion's mobile. */
    int rv = phone_parse_with_overseas(s, n, region, &info, &err);
    json_t *o = json_object();
    json_object_set_new(o, "input", input_json(s, n));
    json_object_set_new(o, "e164", info.valid ? json_string(info.e164) : json_null());
    json_object_set_new(o, "valid", json_boolean(info.valid));
    json_object_set_new(o, "type", json_string(phone_type_name(info.type)));
    json_object_set_new(o, "region", info.region[0] ? json_string(info.region) : json_null());
    if (rv != 0) {
        json_t *msg = json_string(err.msg);
        json_object_set_new(o, "error", msg ? msg : json_string(rl_strerror(rv)));
    }
    cli_print_json(o);
    json_decref(o);
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    }
    return true;
}

static int run_stdin(const char *region)
{
    size_t len = 0;
    char *data = cli_read_stdin(STDIN_MAX, &len);
    if (!data)
        return cli_fail(CMD, "standard input cannot be read or is over the 64 MiB limit");
    const char *p = data, *end = data + len;
    /* Spreadsheets export "UTF-8" with a byte-order mark; it is no part of the first number. */
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (!blank(p, n))
            print_one(p, n, region);
        p = nl ? nl + 1 : end;
    }
    free(data);
    return CLI_OK;
}

int cli_phone(int argc, char **argv)
{
    static const struct option opts[] = {{"region", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *region = "FR";
    int c;
    opterr = 0;
    optind = 0; /* GNU getopt re-initialises fully only from 0 */
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'r')
            region = optarg;
        else if (c == 'h')
            return usage(), CLI_OK;
        else if (c == ':')
            return cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
        else
            return cli_usage(CMD, "unknown option '%s'", argv[optind - 1]);
    }
    if (!phone_region_valid(region))
        return cli_usage(CMD, "unknown region '%s' (expected an ISO 3166 code such as FR or BE)",
                         region);
    int n = argc - optind;
    char **nums = argv + optind;
    if (n == 0)
        return cli_usage(CMD, "expected at least one NUMBER, or '-' to read standard input");
    for (int i = 0; i < n && n > 1; i++) {
        if (strcmp(nums[i], "-") == 0)
            return cli_usage(CMD, "'-' (standard input) must be the only NUMBER");
    }
    int rc = CLI_OK;
    if (n == 1 && strcmp(nums[0], "-") == 0) {
        rc = run_stdin(region);
    } else {
        for (int i = 0; i < n; i++)
            print_one(nums[i], strlen(nums[i]), region);
    }
    /* A full disk or a closed pipe must not look like success to a script. */
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = cli_fail(CMD, "cannot write standard output");
    return rc;
}
