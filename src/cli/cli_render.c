/* relais render: a #field# template filled with JSON data, then inspected. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "text/template.h"
#include "core/banned.h"

#define TEXT_MAX (64 * 1024)   /* template in, rendered text out */
#define DATA_MAX (1024 * 1024) /* --data */

struct render_args {
    const char *tpl;
    const char *data;
    bool smart;
};

/* The lookup context over the --data object. */
struct lookup {
    json_t *root;
    char num[40];  /* a number or boolean as text; get's value points here */
    char why[200]; /* set by get for the field just looked up: a more precise message */
};

static void usage(void)
{
    printf("usage: relais render --template TEXT [--data JSON] [--smart]\n\n"
           "Fills a message template with data and prints one JSON object: the text, then\n"
           "what 'relais inspect' says of it (encoding, units, segments, per_segment,\n"
           "remaining, replaced).\n\n"
           "  -t, --template TEXT  the template; '-' reads it from standard input (64 KiB)\n"
           "  -d, --data JSON      a JSON object holding the fields (default {}); '-' reads\n"
           "                       it from standard input, @FILE from a file (1 MiB)\n"
           "  -s, --smart          replace typographic quotes, dashes and spaces by GSM\n"
           "                       characters when that makes the whole text GSM-7\n\n"
           "Template syntax:\n"
           "  #name#            the field's value; names are case-insensitive, dots reach\n"
           "                    into nested objects: #order.ref#\n"
           "  #name|fallback#   the fallback when the field is missing, null or empty\n"
           "  ##                a literal #\n"
           "A # that opens no placeholder, as in \"Order #123\", is kept as it is. Strings\n"
           "are used as they are, numbers as written, true and false as words.\n\n"
           "Exit status: 0 ok, 1 the template cannot be filled (an unknown field, say),\n"
           "2 bad arguments.\n");
}

static int parse_args(int argc, char **argv, struct render_args *a)
{
    static const struct option opts[] = {{"template", required_argument, NULL, 't'},
                                         {"data", required_argument, NULL, 'd'},
                                         {"smart", no_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+:t:d:s", opts, NULL)) != -1) {
        if (c == 't')
            a->tpl = optarg;
        else if (c == 'd')
            a->data = optarg;
        else if (c == 's')
            a->smart = true;
        else if (c == ':')
            return cli_usage("render", "option '%s' needs an argument", argv[optind - 1]);
        else
            return cli_usage("render", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage("render", "unexpected argument '%s' (the template goes after --template)",
                         argv[optind]);
    if (!a->tpl)
        return cli_usage("render", "missing --template");
    if (a->data && strcmp(a->tpl, "-") == 0 && strcmp(a->data, "-") == 0)
        return cli_usage("render", "--template and --data cannot both read standard input");
    return CLI_OK;
}

/* Returns the file's content (new; free()) or NULL with *errnum set; EFBIG past max. */
static char *read_file(const char *path, size_t max, size_t *len, int *errnum)
{
    struct buf b;
    char chunk[8192];
    size_t n;
    FILE *f = fopen(path, "rb");
    *errnum = 0;
    if (!f) {
        *errnum = errno;
        return NULL;
    }
    buf_init(&b, max);
    while (*errnum == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_add(&b, chunk, n) != 0)
            *errnum = EFBIG;
    }
    if (*errnum == 0 && ferror(f))
        *errnum = errno ? errno : EIO;
    fclose(f);
    if (*errnum) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, len);
}

/* Resolves an argument that may be '-' (standard input) or, if files are allowed,
 * @FILE. *owned gets what was read (free()). Returns CLI_OK or CLI_USAGE. */
static int load_arg(const char *opt, const char *arg, size_t max, bool files, char **owned,
                    const char **text, size_t *len)
{
    int errnum = 0;
    *owned = NULL;
    *text = arg;
    *len = strlen(arg);
    if (strcmp(arg, "-") == 0) {
        *owned = cli_read_stdin(max, len);
        if (!*owned)
            return cli_usage("render",
                             "%s: standard input is unreadable or over the %zu-byte "
                             "limit",
                             opt, max);
    } else if (files && arg[0] == '@') {
        *owned = read_file(arg + 1, max, len, &errnum);
        if (errnum == EFBIG)
            return cli_usage("render", "%s: '%s' is over the %zu-byte limit", opt, arg + 1, max);
        if (errnum)
            return cli_usage("render", "%s: cannot read '%s': %s", opt, arg + 1, strerror(errnum));
    } else if (*len > max) {
        return cli_usage("render", "%s is %zu bytes; the limit is %zu", opt, *len, max);
    }
    if (*owned)
        *text = *owned;
    return CLI_OK;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int parse_data(const char *s, size_t n, json_t **root)
{
    json_error_t je;
    /* Duplicate keys are refused: which one a placeholder gets would be a guess. */
    *root = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    if (!*root)
        return cli_usage("render", "--data: invalid JSON at line %d, column %d: %s", je.line,
                         je.column, je.text);
    if (json_is_object(*root))
        return CLI_OK;
    int rc = cli_usage("render", "--data must be a JSON object, not %s", json_kind(*root));
    json_decref(*root);
    *root = NULL;
    return rc;
}

static bool same_key(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if ((x >= 'A' && x <= 'Z' ? x | 0x20 : x) != (y >= 'A' && y <= 'Z' ? y | 0x20 : y))
            return false;
    }
    return true;
}

/* Finds key k in obj, exactly or else ignoring case. Returns 1 with *v, 0 when
 * absent, or RL_EINVAL when several keys match only ignoring case. */
static int find_key(struct lookup *lk, json_t *obj, const char *k, size_t n, json_t **v)
{
    const char *key, *first = NULL;
    size_t klen;
    json_t *val;
    *v = json_object_getn(obj, k, n);
    if (*v)
        return 1;
    json_object_keylen_foreach(obj, key, klen, val)
    {
        if (klen != n || !same_key(key, k, n))
            continue;
        if (first) {
            snprintf(lk->why, sizeof(lk->why),
                     "keys '%.*s' and '%.*s' in --data differ only in case; which one "
                     "'#%.*s#' means is unclear",
                     (int)n, first, (int)n, key, (int)n, k);
            return RL_EINVAL;
        }
        first = key;
        *v = val;
    }
    return first ? 1 : 0;
}

/* Resolves a dotted name: at each level the rest of the name as one key first
 * (data may have "order.ref" as a key), else the part before the first dot. */
static int resolve(struct lookup *lk, const char *p, size_t n, json_t **v)
{
    json_t *obj = lk->root;
    for (;;) {
        int rc = find_key(lk, obj, p, n, v);
        const char *dot = memchr(p, '.', n);
        if (rc != 0 || !dot)
            return rc;
        rc = find_key(lk, obj, p, (size_t)(dot - p), &obj);
        if (rc <= 0)
            return rc;
        if (!json_is_object(obj))
            return 0;
        n -= (size_t)(dot - p) + 1;
        p = dot + 1;
    }
}

static int get_field(void *ctx, const char *name, size_t n, const char **value, size_t *len)
{
    struct lookup *lk = ctx;
    json_t *v;
    lk->why[0] = '\0';
    int rc = resolve(lk, name, n, &v);
    if (rc <= 0)
        return rc;
    switch (json_typeof(v)) {
    case JSON_STRING:
        *value = json_string_value(v);
        *len = json_string_length(v);
        return 1;
    case JSON_INTEGER:
        snprintf(lk->num, sizeof(lk->num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        /* 15 significant digits: what a double holds exactly, so 19.99 stays 19.99. */
        snprintf(lk->num, sizeof(lk->num), "%.15g", json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        snprintf(lk->num, sizeof(lk->num), "%s", json_is_true(v) ? "true" : "false");
        break;
    case JSON_NULL:
        /* Missing for the template; said here in case there is no fallback, since
         * "unknown field" would be puzzling for a key that is there. */
        snprintf(lk->why, sizeof(lk->why),
                 "field '%.*s' is null in --data; give it a value or a fallback: #%.*s|...#",
                 (int)n, name, (int)n, name);
        return 0;
    default:
        snprintf(lk->why, sizeof(lk->why),
                 "field '%.*s' is %s in --data; only a string, a number or a boolean can fill "
                 "a placeholder",
                 (int)n, name, json_kind(v));
        return RL_EINVAL;
    }
    *value = lk->num;
    *len = strlen(lk->num);
    return 1;
}

/* Lists the leaves as the dotted names a template would use. Recursion is bounded:
 * each level adds at least two bytes to a path capped at TEMPLATE_NAME_MAX. */
static void known_in(json_t *obj, char *path, size_t plen, struct buf *out)
{
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach(obj, key, klen, v)
    {
        size_t n = plen + (plen ? 1 : 0) + klen;
        if (klen == 0 || n > TEMPLATE_NAME_MAX)
            continue;
        if (plen)
            path[plen] = '.';
        memcpy(path + n - klen, key, klen);
        if (json_is_object(v))
            known_in(v, path, n, out);
        else if (!json_is_array(v))
            template_known_add(out, path, n);
    }
}

static void known_fields(void *ctx, struct buf *out)
{
    struct lookup *lk = ctx;
    char path[TEMPLATE_NAME_MAX + 1];
    known_in(lk->root, path, 0, out);
}

static int render_print(const char *tpl, size_t tlen, json_t *root, bool smart)
{
    struct lookup lk = {.root = root};
    struct template_data d = {get_field, known_fields, &lk};
    struct rl_err err = {0};
    struct buf out;
    char *final = NULL;
    json_t *info = NULL, *obj = NULL;
    int rc = template_render(tpl, tlen, &d, TEXT_MAX, &out, &err);
    /* A template that cannot be read is a bad argument; one that cannot be filled
     * from this data is a failure. (Values come from jansson, always UTF-8, so an
     * RL_EUTF8 here is the template's.) */
    if ((rc == RL_EUTF8 || rc == RL_ETOOLONG) && strcmp(err.field, "template") == 0) {
        rc = cli_usage("render", "--template: %s", err.msg);
        goto out;
    }
    if (rc != 0) {
        /* why belongs to the last lookup, which is the failing field's only when
         * the failure is the lookup's. */
        bool lookup = (rc == RL_EFIELD || rc == RL_EINVAL) && lk.why[0];
        rc = cli_fail("render", "%s", lookup ? lk.why : err.msg);
        goto out;
    }
    info = cli_text_json(out.data, out.len, smart, &final, &err);
    if (!info) {
        rc = cli_fail("render", "%s", err.msg);
        goto out;
    }
    obj = json_object();
    json_object_set_new(obj, "text", json_string(final));
    json_object_update(obj, info);
    cli_print_json(obj);
    rc = CLI_OK;
out:
    json_decref(obj);
    json_decref(info);
    free(final);
    buf_release(&out);
    return rc;
}

int cli_render(int argc, char **argv)
{
    struct render_args a = {0};
    char *tpl_owned = NULL, *data_owned = NULL;
    const char *tpl, *data;
    size_t tlen, dlen;
    json_t *root = NULL;
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_OK;
    }
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK)
        return rc;
    rc = load_arg("--template", a.tpl, TEXT_MAX, false, &tpl_owned, &tpl, &tlen);
    if (rc == CLI_OK)
        rc = load_arg("--data", a.data ? a.data : "{}", DATA_MAX, true, &data_owned, &data, &dlen);
    if (rc == CLI_OK)
        rc = parse_data(data, dlen, &root);
    if (rc == CLI_OK)
        rc = render_print(tpl, tlen, root, a.smart);
    json_decref(root);
    free(tpl_owned);
    free(data_owned);
    return rc;
}
