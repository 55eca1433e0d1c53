/* relais migrate: applies the schema's migrations and prints the version. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "store/store.h"
#include "core/banned.h"

static void usage(void)
{
    printf("usage: relais migrate [--config FILE] [--db PATH]\n\n"
           "Creates the store if missing and applies every migration this relais knows,\n"
           "each in its own transaction; then prints the schema version. A store written\n"
           "by a newer relais is refused. 'relais serve' does the same at start.\n\n"
           "  -c, --config FILE  configuration (default: relais.conf here if present)\n"
           "      --db PATH      overrides store.path\n");
}

int cli_migrate(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *db = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        if (c == 'h')
            return usage(), CLI_OK;
        if (c == 'c')
            config = optarg;
        else if (c == 'd')
            db = optarg;
        else if (c == '?' && optopt)
            return cli_usage("migrate", "option '%s' needs a value", argv[optind - 1]);
        else
            return cli_usage("migrate", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage("migrate", "unexpected argument '%s'", argv[optind]);
    struct cfg cf;
    struct store *s = NULL;
    cfg_init(&cf);
    int rc = cli_load_config("migrate", config, &cf, NULL);
    if (rc == CLI_OK) {
        log_set_level(cfg_log_level(&cf));
        rc = cli_open_store("migrate", &cf, db, &s);
    }
    if (rc == CLI_OK)
        printf("schema_version=%u path=%s backend=%s\n", store_schema_version(s), store_path(s),
               store_backend(s));
    store_close(s);
    cfg_release(&cf);
    return rc;
}
