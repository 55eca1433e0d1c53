/* relais accounts: an account's balance, and credits (or debits) to it. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "domain/billing.h"
#include "store/store.h"
#include "core/banned.h"

static void usage(void)
{
    printf("usage: relais accounts show --account NAME [--config FILE] [--db PATH]\n"
           "       relais accounts credit --account NAME --amount AMOUNT [--config FILE] "
           "[--db PATH]\n\n"
           "show prints the account's balance; credit adds AMOUNT (a decimal in the\n"
           "account's currency, e.g. 25 or 12.50; negative to debit, never below zero)\n"
           "and prints the new balance. Accounts are created by 'relais keys create'.\n"
           "The output is one line: account=NAME balance=AMOUNT.\n");
}

struct acc_args {
    const char *account, *amount, *config, *db;
};

static int parse_args(int argc, char **argv, struct acc_args *a)
{
    static const struct option opts[] = {
        {"account", required_argument, NULL, 'a'}, {"amount", required_argument, NULL, 'm'},
        {"config", required_argument, NULL, 'c'},  {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 2; /* argv[1] is the action */
    while ((c = getopt_long(argc, argv, "+a:m:c:h", opts, NULL)) != -1) {
        const char **slot = c == 'a'   ? &a->account
                            : c == 'm' ? &a->amount
                            : c == 'c' ? &a->config
                            : c == 'd' ? &a->db
                                       : NULL;
        if (c == 'h')
            return usage(), -1;
        if (slot)
            *slot = optarg;
        else if (c == '?' && optopt)
            return cli_usage("accounts", "option '%s' needs a value", argv[optind - 1]);
        else
            return cli_usage("accounts", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage("accounts", "unexpected argument '%s'", argv[optind]);
    if (!a->account)
        return cli_usage("accounts", "--account NAME is required");
    return CLI_OK;
}

/* "-12.50" → -12,500,000 micro-units; the sign is ours, the digits billing's. */
static int parse_amount(const char *s, int64_t *out)
{
    bool neg = s[0] == '-';
    int64_t v;
    if (billing_amount_parse(s + neg, strlen(s + neg), BILLING_AMOUNT_MAX, &v) != 0 || v == 0)
        return cli_usage("accounts",
                         "--amount '%s' is not a non-zero amount such as 25 or 12.50 (at most "
                         "6 decimals)",
                         s);
    *out = neg ? -v : v;
    return CLI_OK;
}

static int run(struct store *s, const struct acc_args *a, bool credit, int64_t amount)
{
    struct store_account acc;
    struct rl_err err = {0};
    char shown[32];
    int64_t balance;
    if (store_account_find(s, a->account, &acc, &err) != 0)
        return cli_fail("accounts", "no account '%s' (relais keys create makes one)", a->account);
    balance = acc.balance;
    billing_amount_format(balance, shown, sizeof(shown));
    if (credit && store_account_credit(s, acc.id, amount, false, &balance, &err) != 0)
        return err.code == RL_ERANGE ? cli_fail("accounts",
                                                "a debit of %s would take account '%s' below "
                                                "zero (balance %s); nothing changed",
                                                a->amount + 1, a->account, shown)
                                     : cli_fail("accounts", "%s", err.msg);
    billing_amount_format(balance, shown, sizeof(shown));
    printf("account=%s balance=%s\n", a->account, shown);
    if (credit)
        log_info("accounts", "credited", "account=%s amount=%s", a->account, a->amount);
    return CLI_OK;
}

int cli_accounts(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage();
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    bool credit = strcmp(argv[1], "credit") == 0;
    if (!credit && strcmp(argv[1], "show") != 0)
        return cli_usage("accounts", "unknown action '%s' (known: show, credit)", argv[1]);
    struct acc_args a = {0};
    int64_t amount = 0;
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        return CLI_OK;
    if (rc == CLI_OK && credit && !a.amount)
        rc = cli_usage("accounts", "--amount AMOUNT is required to credit");
    if (rc == CLI_OK && credit)
        rc = parse_amount(a.amount, &amount);
    if (rc != CLI_OK)
        return rc;
    struct cfg cf;
    struct store *s = NULL;
    cfg_init(&cf);
    rc = cli_load_config("accounts", a.config, &cf, NULL);
    if (rc == CLI_OK && (rc = cli_open_store("accounts", &cf, a.db, &s)) == CLI_OK) {
        log_set_level(cfg_log_level(&cf));
        rc = run(s, &a, credit, amount);
    }
    store_close(s);
    cfg_release(&cf);
    return rc;
}
