/* relais contacts import: a CSV file into a list of an account, read as a
 * stream (a file of a million rows takes flat memory), with the same report
 * as POST /v1/contacts/import. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "domain/contact_import.h"
#include "phone/phone.h"
#include "store/store.h"
#include "core/banned.h"

#define CHUNK (256 * 1024)

static void usage(void)
{
    printf("usage: relais contacts import FILE --list NAME [--region CC] [--account NAME]\n"
           "                             [--config FILE] [--db PATH]\n\n"
           "Imports the contacts of a CSV file (or '-' for standard input) into list NAME\n"
           "of the account, creating the list if needed. The header row names the columns\n"
           "(phone or mobile, email, first name, last name, language, optout, in French or\n"
           "English; any other column becomes a custom field); ';' ',' or tab, UTF-8 or\n"
           "Windows-1252. With both a phone and a mobile column, the mobile is the number\n"
           "(the phone when the mobile cell is empty) and the other is kept as a custom\n"
           "field. An optout cell of 1, yes, oui, true or x opts the number out of\n"
           "marketing; an import never opts anyone back in. A number already in the\n"
           "account updates its contact; a number twice in the file is imported once.\n"
           "Prints the report as one JSON line: {rows, created, updated, duplicates,\n"
           "invalid:[{line, value, reason}], non_mobile, opted_out}.\n"
           "Invalid rows are reported, not fatal: the exit status is 0 unless the file as a\n"
           "whole is refused (no phone column...) or the store fails.\n\n"
           "  -l, --list NAME     the list (1 to 100 bytes)\n"
           "  -r, --region CC     region of national numbers (default phone.default_region)\n"
           "  -a, --account NAME  the account (default: the store's only account)\n"
           "  -c, --config FILE   configuration (default: relais.conf here if present)\n"
           "      --db PATH       overrides store.path\n");
}

struct import_args {
    const char *file, *list, *region, *account, *config, *db;
};

static int parse_args(int argc, char **argv, struct import_args *a)
{
    static const struct option opts[] = {{"list", required_argument, NULL, 'l'},
                                         {"region", required_argument, NULL, 'r'},
                                         {"account", required_argument, NULL, 'a'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 2; /* argv[1] is the action */
    /* Options may come before or after FILE: getopt permutes, as users expect. */
    while ((c = getopt_long(argc, argv, "l:r:a:c:h", opts, NULL)) != -1) {
        const char **slot = c == 'l'   ? &a->list
                            : c == 'r' ? &a->region
                            : c == 'a' ? &a->account
                            : c == 'c' ? &a->config
                            : c == 'd' ? &a->db
                                       : NULL;
        if (c == 'h')
            return usage(), -1;
        if (slot)
            *slot = optarg;
        else if (c == '?' && optopt)
            return cli_usage("contacts", "option '%s' needs a value", argv[optind - 1]);
        else
            return cli_usage("contacts", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind == argc)
        return cli_usage("contacts", "the CSV FILE to import is missing ('-' reads stdin)");
    a->file = argv[optind++];
    if (optind < argc)
        return cli_usage("contacts", "unexpected argument '%s'", argv[optind]);
    if (!a->list)
        return cli_usage("contacts", "--list NAME is required: the list the contacts join");
    if (a->region && !phone_region_valid(a->region))
        return cli_usage("contacts", "--region '%s' is not a region code such as FR or BE",
                         a->region);
    return CLI_OK;
}

static int find_account(struct store *s, const char *name, struct store_account *acc)
{
    struct rl_err err = {0};
    int rc = name ? store_account_find(s, name, acc, &err) : store_account_sole(s, acc, &err);
    if (rc == 0)
        return CLI_OK;
    if (name && rc == RL_ENOTFOUND)
        return cli_fail("contacts", "no account '%s' (relais keys create --account %s makes one)",
                        name, name);
    if (rc == RL_ENOTFOUND)
        return cli_fail("contacts", "the store has no account yet: relais keys create --account "
                                    "NAME makes one");
    if (rc == RL_EINVAL)
        return cli_fail("contacts", "the store has several accounts: say which with --account");
    return cli_fail("contacts", "%s", err.msg);
}

/* Streams the file through the import; returns CLI_OK or CLI_FAIL after
 * printing why (naming the line), and how many rows were stored before. */
static int stream(FILE *f, const char *file, struct contact_import *im)
{
    static char chunk[CHUNK];
    struct rl_err err = {0};
    int rc = 0;
    size_t n;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = contact_import_feed(im, chunk, n, &err);
    if (rc == 0 && ferror(f))
        return cli_fail("contacts", "%s: cannot read: %s", file, strerror(errno));
    if (rc == 0)
        rc = contact_import_finish(im, &err);
    if (rc == 0)
        return CLI_OK;
    size_t done = contact_import_written(im);
    if (done)
        return cli_fail("contacts", "%s: %s (the %zu rows before were imported)", file, err.msg,
                        done);
    return cli_fail("contacts", "%s: %s (nothing was imported)", file, err.msg);
}

static int import(struct cfg *cf, const struct import_args *a)
{
    struct store *s = NULL;
    struct store_account acc = {0};
    struct contact_import *im = NULL;
    struct rl_err err = {0};
    bool is_stdin = strcmp(a->file, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(a->file, "rb");
    if (!f)
        return cli_fail("contacts", "%s: cannot open: %s", a->file, strerror(errno));
    int rc = cli_open_store("contacts", cf, a->db, &s);
    if (rc == CLI_OK)
        rc = find_account(s, a->account, &acc);
    const char *dflt =
        cf->phone_default_region && *cf->phone_default_region ? cf->phone_default_region : NULL;
    struct contact_import_opts o = {
        .store = s, .account_id = acc.id, .list = a->list, .region = a->region ? a->region : dflt};
    if (rc == CLI_OK && contact_import_new(&o, &im, &err) != 0)
        rc = cli_usage("contacts", "%s", err.msg);
    if (rc == CLI_OK)
        rc = stream(f, a->file, im);
    if (rc == CLI_OK) {
        const struct csvimport_report *r = contact_import_report(im);
        json_t *report = contact_import_report_json(im);
        cli_print_json(report);
        json_decref(report);
        log_info("contacts", "imported",
                 "account=%s list=\"%s\" rows=%zu created=%zu updated=%zu duplicates=%zu "
                 "invalid=%zu non_mobile=%zu opted_out=%zu",
                 acc.name, a->list, r->rows, r->created, r->updated,
                 r->duplicates_file + r->duplicates_list, r->invalid_total, r->non_mobile,
                 r->opted_out);
    }
    contact_import_free(im);
    store_close(s);
    if (!is_stdin)
        fclose(f);
    return rc;
}

int cli_contacts(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage();
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "import") != 0)
        return cli_usage("contacts", "unknown action '%s' (known: import)", argv[1]);
    struct import_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        return CLI_OK;
    if (rc != CLI_OK)
        return rc;
    struct cfg cf;
    cfg_init(&cf);
    rc = cli_load_config("contacts", a.config, &cf, NULL);
    if (rc == CLI_OK) {
        log_set_level(cfg_log_level(&cf));
        rc = import(&cf, &a);
    }
    cfg_release(&cf);
    return rc;
}
