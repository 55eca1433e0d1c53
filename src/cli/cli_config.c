/* relais config: check a configuration file, print it, or document every key. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/cfg.h"
#include "core/banned.h"

#define SETS_MAX 64

enum action { ACT_CHECK, ACT_PRINT, ACT_DOC };

struct config_args {
    enum action action;
    const char *action_opt; /* the option that chose it, for the exclusive-options message */
    const char *file;       /* NULL: relais.conf if present, else the defaults */
    const char *sets[SETS_MAX];
    size_t nsets;
};

static void usage(void)
{
    printf("usage: relais config [--config FILE] [--set KEY=VALUE]... [--check | --print | --doc]\n"
           "\n"
           "Reads a configuration file and checks every key against what it allows.\n"
           "\n"
           "  -c, --config FILE    the file to read (default: relais.conf in the current\n"
           "                       directory if there is one, else the built-in defaults)\n"
           "  -s, --set KEY=VALUE  override one key after the file, as http.port=9000 or\n"
           "                       route.NAME.window=20 (repeatable)\n"
           "  -k, --check          print 'ok: FILE' when the file is valid (the default)\n"
           "  -p, --print          print the effective configuration, defaults filled in,\n"
           "                       each key with its description; secrets are masked\n"
           "  -d, --doc            print the reference of every key as markdown\n"
           "                       (docs/configuration.md); reads no file\n"
           "\n"
           "Exit status: 0 ok, 1 the file is invalid or unreadable (the message names\n"
           "FILE:LINE), 2 bad arguments.\n");
}

static int choose(struct config_args *a, enum action act, const char *opt)
{
    if (a->action_opt && a->action != act)
        return cli_usage("config", "%s and %s cannot be used together", a->action_opt, opt);
    a->action = act;
    a->action_opt = opt;
    return CLI_OK;
}

static int parse_args(int argc, char **argv, struct config_args *a)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"set", required_argument, NULL, 's'},
                                         {"check", no_argument, NULL, 'k'},
                                         {"print", no_argument, NULL, 'p'},
                                         {"doc", no_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c, rc = CLI_OK;
    opterr = 0;
    optind = 1;
    while (rc == CLI_OK && (c = getopt_long(argc, argv, "+:c:s:kpdh", opts, NULL)) != -1) {
        if (c == 'c')
            a->file = optarg;
        else if (c == 's' && a->nsets == SETS_MAX)
            rc = cli_usage("config", "more than %d --set options", SETS_MAX);
        else if (c == 's')
            a->sets[a->nsets++] = optarg;
        else if (c == 'k' || c == 'p' || c == 'd')
            rc = choose(a, c == 'k' ? ACT_CHECK : c == 'p' ? ACT_PRINT : ACT_DOC, argv[optind - 1]);
        else if (c == 'h')
            rc = -1;
        else if (c == ':')
            rc = cli_usage("config", "option '%s' needs an argument", argv[optind - 1]);
        else
            rc = cli_usage("config", "unknown option '%s'", argv[optind - 1]);
    }
    if (rc == CLI_OK && optind < argc)
        rc = cli_usage("config", "unexpected argument '%s'", argv[optind]);
    if (rc == CLI_OK && a->action == ACT_DOC && (a->file || a->nsets))
        rc = cli_usage("config", "--doc reads no configuration: drop --config and --set");
    return rc;
}

/* --set KEY=VALUE, after the file: a bad override is a bad argument. */
static int apply_sets(struct cfg *c, const struct config_args *a)
{
    for (size_t i = 0; i < a->nsets; i++) {
        const char *eq = strchr(a->sets[i], '=');
        char key[128];
        struct rl_err err = {0};
        if (!eq || eq == a->sets[i] || (size_t)(eq - a->sets[i]) >= sizeof(key))
            return cli_usage("config", "--set '%s': expected KEY=VALUE", a->sets[i]);
        memcpy(key, a->sets[i], (size_t)(eq - a->sets[i]));
        key[eq - a->sets[i]] = '\0';
        if (cfg_set(c, key, eq + 1, &err) != 0)
            return cli_usage("config", "--set: %s", err.msg);
    }
    return CLI_OK;
}

int cli_config(int argc, char **argv)
{
    struct config_args a = {0};
    struct cfg c;
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        return usage(), CLI_OK;
    if (rc != CLI_OK)
        return rc;
    if (a.action == ACT_DOC)
        return cfg_doc_markdown(stdout) == 0 ? CLI_OK : cli_fail("config", "cannot write");
    cfg_init(&c);
    rc = cli_load_config("config", a.file, &c, &a.file);
    if (rc == CLI_OK && a.nsets && (rc = apply_sets(&c, &a)) == CLI_OK)
        rc = cli_check_config("config", a.file, &c);
    if (rc == CLI_OK && a.action == ACT_PRINT && cfg_print(&c, stdout) != 0)
        rc = cli_fail("config", "cannot write the configuration");
    if (rc == CLI_OK && a.action == ACT_CHECK)
        printf("ok: %s\n", a.file ? a.file : "built-in defaults (no relais.conf here)");
    cfg_release(&c);
    return rc;
}
