#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "domain/billing.h"
#include "domain/rules.h"
#include "store/store.h"
#include "core/banned.h"

__attribute__((format(printf, 2, 0))) static void vreport(const char *cmd, const char *fmt,
                                                          va_list ap)
{
    fprintf(stderr, "relais %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    fprintf(stderr, "try 'relais %s --help'\n", cmd);
    return CLI_USAGE;
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    return CLI_FAIL;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

char *cli_read_stdin(size_t max, size_t *len)
{
    struct buf b;
    char chunk[8192];
    buf_init(&b, max);
    for (;;) {
        ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (n == 0)
            break;
        if (n < 0 || buf_add(&b, chunk, (size_t)n) != 0) {
            buf_release(&b);
            return NULL;
        }
    }
    return buf_detach(&b, len);
}

int cli_load_config(const char *cmd, const char *path, struct cfg *c, const char **used)
{
    struct rl_err err = {0};
    if (!path && access(CLI_DEFAULT_CONFIG, F_OK) == 0)
        path = CLI_DEFAULT_CONFIG;
    if (used)
        *used = path;
    if (path && cfg_load_file(c, path, &err) != 0)
        return cli_fail(cmd, "%s", err.msg);
    return cli_check_config(cmd, path, c);
}

int cli_check_config(const char *cmd, const char *path, const struct cfg *c)
{
    struct rl_err err = {0};
    /* [rules] values are window specs, a language cfg.c does not speak: checked
     * here so that a bad one stops every command, config --check included. */
    struct rules_config rc;
    if (rules_config_init(&rc, c, &err) != 0)
        return cli_fail(cmd, "%s: %s", path ? path : "built-in defaults", err.msg);
    rules_config_release(&rc);
    /* [billing] amounts and price lists, likewise. */
    struct billing_table bt;
    if (billing_table_init_cfg(&bt, c, &err) != 0)
        return cli_fail(cmd, "%s: %s", path ? path : "built-in defaults", err.msg);
    billing_table_release(&bt);
    return CLI_OK;
}

void cli_store_tune(const struct cfg *c, struct store *s)
{
    int64_t low = 0;
    /* Checked with the rest of [billing] when the configuration was loaded. */
    if (billing_amount_parse(c->billing_low_balance, strlen(c->billing_low_balance),
                             BILLING_AMOUNT_MAX, &low) == 0)
        store_set_low_balance(s, low);
    store_set_idempotency_ttl(s, c->api_idempotency_ttl_ms);
}

int cli_open_store(const char *cmd, const struct cfg *c, const char *db, struct store **out)
{
    struct rl_err err = {0};
    struct store_opts so = {db ? db : c->store_path,
                            c->store_synchronous == CFG_STORE_SYNCHRONOUS_FULL};
    if (store_open(&so, out, &err) != 0)
        return cli_fail(cmd, "%s", err.msg);
    cli_store_tune(c, *out);
    return CLI_OK;
}
