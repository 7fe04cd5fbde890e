/* dropscope: subcommand dispatch. Only main decides to print and exit; each command
 * returns its exit status (0 ok, 1 a failed check, 2 bad input or usage). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cli/cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} command;

static const command commands[] = {
    /* COMMANDS-BEGIN: one line per command; its usage and options are in src/cli/help.c. */
    {"help", ds_cmd_help},
    {"train", ds_cmd_train},
    {"summary", ds_cmd_summary},
    {"check", ds_cmd_check},
    {"pretrain", ds_cmd_pretrain},
    {"open", ds_cmd_open},
    {"shot", ds_cmd_shot},
    {"film", ds_cmd_film},
    {"import", ds_cmd_import},
    /* COMMANDS-END */
};

/* COMMAND --help (or -h) anywhere among its arguments: its usage and options. */
static bool asks_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "open";
    if (!strcmp(name, "-h") || !strcmp(name, "--help"))
        name = "help";
    if (!strcmp(name, "--version")) {
        printf("dropscope %s\n", DROPSCOPE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name))
            continue;
        if (strcmp(name, "help") && asks_help(argc, argv))
            return ds_cli_command_help(name);
        return commands[i].run(argc > 1 ? argc - 1 : 1, argc > 1 ? argv + 1 : argv);
    }
    fprintf(stderr, "dropscope: unknown command '%s' (try 'dropscope help')\n", name);
    return 2;
}
