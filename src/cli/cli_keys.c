/* relais keys create: a new API key for an account, printed once. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/log.h"
#include "store/store.h"
#include "core/banned.h"

static void usage(void)
{
    printf("usage: relais keys create --account NAME [--config FILE] [--db PATH]\n\n"
           "Creates an API key for account NAME (creating the account, with a zero\n"
           "balance, if it does not exist). The key is printed once, on the first line:\n"
           "only its hash is stored, so it cannot be shown again. The second line says\n"
           "account=NAME prefix=FIRST8 key_id=N; the prefix identifies the key later.\n\n"
           "  -a, --account NAME  the account (1 to 64 bytes)\n"
           "  -c, --config FILE   configuration (default: relais.conf here if present)\n"
           "      --db PATH       overrides store.path\n");
}

struct keys_args {
    const char *account, *config, *db;
};

static int parse_args(int argc, char **argv, struct keys_args *a)
{
    static const struct option opts[] = {{"account", required_argument, NULL, 'a'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 2; /* argv[1] is the action */
    while ((c = getopt_long(argc, argv, "+a:c:h", opts, NULL)) != -1) {
        if (c == 'h')
            return usage(), -1;
        if (c == 'a')
            a->account = optarg;
        else if (c == 'c')
            a->config = optarg;
        else if (c == 'd')
            a->db = optarg;
        else if (c == '?' && optopt)
            return cli_usage("keys", "option '%s' needs a value", argv[optind - 1]);
        else
            return cli_usage("keys", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage("keys", "unexpected argument '%s'", argv[optind]);
    if (!a->account)
        return cli_usage("keys", "--account NAME is required");
    return CLI_OK;
}

/* Finds the account or creates it; a concurrent creation is not an error. */
static int account_id(struct store *s, const char *name, int64_t *id, struct rl_err *err)
{
    struct store_account acc;
    int rc = store_account_find(s, name, &acc, err);
    if (rc == 0) {
        *id = acc.id;
        return 0;
    }
    if (rc != RL_ENOTFOUND)
        return rc;
    rc = store_account_create(s, name, 0, id, err);
    if (rc == 0)
        log_info("keys", "account_created", "account=%s id=%lld", name, (long long)*id);
    else if (rc == -EEXIST && store_account_find(s, name, &acc, err) == 0)
        *id = acc.id, rc = 0;
    return rc;
}

static int create(struct cfg *cf, const struct keys_args *a)
{
    struct store *s = NULL;
    struct rl_err err = {0};
    char key[STORE_KEY_SIZE], prefix[STORE_KEY_PREFIX_LEN + 1];
    int64_t acc = 0, kid = 0;
    int rc = cli_open_store("keys", cf, a->db, &s);
    if (rc != CLI_OK)
        return rc;
    if (account_id(s, a->account, &acc, &err) != 0 ||
        store_key_create(s, acc, key, &kid, prefix, &err) != 0) {
        rc = cli_fail("keys", "%s", err.msg);
    } else {
        /* The key goes to stdout once and nowhere else: not to the log. */
        printf("%s\naccount=%s prefix=%s key_id=%lld\n", key, a->account, prefix, (long long)kid);
        fflush(stdout);
        log_info("keys", "key_created", "account=%s prefix=%s key_id=%lld", a->account, prefix,
                 (long long)kid);
        sodium_memzero(key, sizeof(key));
    }
    store_close(s);
    return rc;
}

int cli_keys(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage();
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "create") != 0)
        return cli_usage("keys", "unknown action '%s' (known: create)", argv[1]);
    struct keys_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        return CLI_OK;
    if (rc != CLI_OK)
        return rc;
    struct cfg cf;
    cfg_init(&cf);
    rc = cli_load_config("keys", a.config, &cf, NULL);
    if (rc == CLI_OK) {
        log_set_level(cfg_log_level(&cf));
        rc = create(&cf, &a);
    }
    cfg_release(&cf);
    return rc;
}
