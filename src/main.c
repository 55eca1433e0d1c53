/* relais: startup and subcommand dispatch. Each subcommand lives in src/cli/. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/version.h"
#include "core/banned.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct command commands[] = {
    {"help", cmd_help, "list the commands"},
    {"version", cmd_version, "print the version"},
    {"config", cli_config, "check a configuration file, print it or its documentation"},
    {"inspect", cli_inspect, "encoding, units and segments of a text, as carriers bill it"},
    {"render", cli_render, "fill a #field# template with JSON data and inspect the result"},
    {"phone", cli_phone, "normalise phone numbers to E.164 with validity, type and region"},
    {"when", cli_when, "next time a message may be sent to a number, and the rule that moved it"},
    {"serve", cli_serve, "run the HTTP service on the configured store"},
    {"migrate", cli_migrate, "create or upgrade the store's schema and print its version"},
    {"keys", cli_keys, "create an API key for an account (printed once)"},
    {"contacts", cli_contacts, "import a CSV file of contacts into a list"},
    {"smsc-sim", cli_smsc_sim, "run the built-in SMSC simulator (an SMPP 3.4 server)"},
    {"accounts", cli_accounts, "show an account's balance, or credit it"},
    {"smpp-send", cli_smpp_send, "send one SMS over SMPP and wait for its receipt"},
};

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: relais [-v|-q] COMMAND [ARGS]\n\n"
           "relais is a self-hosted SMS campaign, survey and two-way messaging server.\n\n"
           "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\n  -v  log at debug level    -q  log warnings and errors only\n"
           "\n'relais COMMAND --help' tells more about one command.\n");
    return CLI_OK;
}

static int cmd_version(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: relais version\n\nPrints the version of this relais binary.\n");
        return CLI_OK;
    }
    if (argc > 1)
        return cli_usage("version", "unexpected argument '%s'", argv[1]);
    printf("relais %s\n", RELAIS_VERSION);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    /* Global flags before the command: -v for debug lines, -q for warnings only. */
    while (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "-q") == 0)) {
        log_pin_level(argv[1][1] == 'v' ? LOG_DEBUG : LOG_WARN);
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    if (argc < 2) {
        cmd_help(0, NULL);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return cmd_help(0, NULL);
    if (strcmp(name, "--version") == 0)
        return cmd_version(1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "relais: unknown command '%s'\ntry 'relais help'\n", name);
    return CLI_USAGE;
}
