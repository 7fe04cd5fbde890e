/* dropscope: subcommand dispatch. Only main decides to print and exit; each command
 * returns its exit status (0 ok, 1 a failed check, 2 bad input or usage). */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cli/cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    const char *usage;
} command;

static int cmd_help(int argc, char **argv);

static const command commands[] = {
    /* COMMANDS-BEGIN: one line per command; each module owns its own line. */
    {"help", cmd_help, "help                          this text"},
    {"train", ds_cmd_train, "train [LESSON] [--steps N] [--seed S] [--every K] [--record DIR]  headless training table"},
    {"summary", ds_cmd_summary, "summary [LESSON]              Keras-style model.summary()"},
    {"check", ds_cmd_check, "check LESSON...               run lessons headless and verify their expectations"},
    {"pretrain", ds_cmd_pretrain, "pretrain [--epochs E] [--out DIR]  rebuild the shipped pretrained base"},
    {"open", ds_cmd_open, "open [LESSON] [--presenter]   the window (default lesson without arguments)"},
    {"shot", ds_cmd_shot, "shot LESSON --steps N --out FILE.png [--size WxH] [--example K|all] [--seed S] [--presenter] [--inference]  render the window to a PNG"},
    {"import", ds_cmd_import, "import MODEL.py [-o OUT.lesson]  a Keras file (the model it builds) as a lesson"},
    /* COMMANDS-END */
};

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("dropscope %s - a visual debugger for dropout and layer freezing\n\n", DROPSCOPE_VERSION);
    printf("usage: dropscope [COMMAND] [ARGS]\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  dropscope %s\n", commands[i].usage);
    printf("\nWith no command, opens the default lesson in a window.\n");
    return 0;
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
        if (!strcmp(name, commands[i].name))
            return commands[i].run(argc > 1 ? argc - 1 : 1, argc > 1 ? argv + 1 : argv);
    }
    fprintf(stderr, "dropscope: unknown command '%s' (try 'dropscope help')\n", name);
    return 2;
}
