/* dropscope help [COMMAND] and COMMAND --help: each command's usage and options, one
 * line each. The one place the options are described for people (the man page,
 * data/dropscope.1.scd, says the same at length). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"

typedef struct {
    const char *name, *usage, *what;
    const char *opts[16];   /* "OPTION  what it does", NULL-terminated */
} cmd_help;

static const cmd_help helps[] = {
    {"open", "[LESSON] [--presenter] [--seed S] [--speed STEPS_PER_S]", "the window on a lesson (the default lesson without one)",
     {"LESSON               a .lesson or Keras .py file, or a course lesson by name (02-frozen-base)",
      "--presenter          fullscreen presenter mode with large type",
      "--seed S             the seed of every weight, batch and mask (0..2^64-1; default: the lesson's)",
      "--speed STEPS_PER_S  training speed while playing (0: as fast as it goes)", NULL}},
    {"train", "[LESSON] [--steps N] [--seed S] [--every K] [--batch B] [--record DIR] [--save-lesson FILE] [--verbose] [--data DIR] [--memory-budget MiB]",
     "headless training: a table of loss, accuracy, dropped units and frozen drift",
     {"--steps N            optimizer steps (default 300)",
      "--seed S             the seed of every weight, batch and mask (default: the lesson's)",
      "--every K            a row (and a validation) every K steps (default: steps / 20)",
      "--batch B            examples per step, 1..4096 (default: the lesson's)",
      "--record DIR         write metrics.csv and .npy masks, activations, weights (docs/record-format.md)",
      "--save-lesson FILE   save the state at the end as a lesson that reopens at the same step",
      "--verbose            list every frozen layer and its drift in the closing lines",
      "--data DIR           where the Fashion-MNIST files are",
      "--memory-budget MiB  the most memory the model may use", NULL}},
    {"summary", "[LESSON] [--expand-nested]", "Keras-style model.summary() of the lesson's model, with a Trainable column",
     {"LESSON               a .lesson or Keras .py file, or a course lesson by name",
      "--expand-nested      a model inside the model (a base called as a layer, a Sequential",
      "                     called on a tensor) as its layers, not as one row", NULL}},
    {"check", "[--data DIR] [--memory-budget MiB] LESSON...", "run lessons headless and verify their expectations (exit 1 at the first unmet)",
     {"--data DIR           where the Fashion-MNIST files are",
      "--memory-budget MiB  the most memory the model may use", NULL}},
    {"shot", "LESSON [--steps N] [--keys \"N N I\"] --out FILE.png [--describe FILE.json] [--size WxH] [--example K|all] [--presenter] [--inference] [--seed S]",
     "render the window after N steps to a PNG, without a display",
     {"--steps N            steps to train before the picture",
      "--out FILE.png       where the picture goes",
      "--size WxH           the window's size (default 1280x800; 320x240..8192x8192)",
      "--example K|all      the example the mask view shows, or the whole batch",
      "--presenter          presenter mode (large type)",
      "--inference          then one inference forward: the grid shows no mask",
      "--seed S             the seed (default: the lesson's)",
      "--keys \"K1 K2 ...\"   then press these keys (SDL key names: N, Space, I, Left, Shift+L), each done before the next",
      "--describe FILE.json what was drawn: panels and their steps, mask counts, cut text, smallest text", NULL}},
    {"film", "LESSON --steps N --out CLIP.gif [--size WxH] [--example K|all] [--presenter] [--seed S] [--delay-ms D]",
     "render the window once per training step into an animated GIF",
     {"--steps N            frames: one per step, 1..10000",
      "--out CLIP.gif       where the clip goes",
      "--size WxH           the window's size (default 1280x800; 320x240..8192x8192)",
      "--example K|all      the example the mask view shows, or the whole batch",
      "--presenter          presenter mode (large type)",
      "--seed S             the seed (default: the lesson's)",
      "--delay-ms D         time per frame, 10..60000 ms (default 200; GIF counts in 10 ms)", NULL}},
    {"import", "MODEL.py [-o OUT.lesson]", "a Keras script (the model it builds) as a lesson; never runs it",
     {"-o, --output FILE    write the lesson there (default: standard output)", NULL}},
    {"pretrain", "[--out DIR] [--epochs E] [--seed S] [--data DIR] [--train N]", "rebuild the shipped pretrained base",
     {"--out DIR            where the weights go",
      "--epochs E           training epochs",
      "--seed S             the seed",
      "--data DIR           where the Fashion-MNIST files are",
      "--train N            training images to use", NULL}},
    {"help", "[COMMAND]", "the commands, or one command's options",
     {"COMMAND              a command above; 'dropscope COMMAND --help' says the same", NULL}},
};

#define N_HELPS (sizeof helps / sizeof helps[0])

static const cmd_help *find(const char *name)
{
    for (size_t i = 0; i < N_HELPS; i++)
        if (!strcmp(helps[i].name, name))
            return &helps[i];
    return NULL;
}

int ds_cli_command_help(const char *name)
{
    const cmd_help *h = find(name);
    if (!h) {
        fprintf(stderr, "dropscope help: unknown command '%s' (commands:", name);
        for (size_t i = 0; i < N_HELPS; i++)
            fprintf(stderr, " %s", helps[i].name);
        fprintf(stderr, ")\n");
        return 2;
    }
    printf("usage: dropscope %s %s\n%s\n", h->name, h->usage, h->what);
    if (h->opts[0])
        printf("\n");
    for (int i = 0; h->opts[i]; i++)
        printf("  %s\n", h->opts[i]);
    return 0;
}

int ds_cmd_help(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "dropscope help: one command at a time ('%s' and '%s')\n", argv[1], argv[2]);
        return 2;
    }
    if (argc == 2)
        return ds_cli_command_help(argv[1]);
    printf("dropscope %s - a visual debugger for dropout and layer freezing\n\n", DROPSCOPE_VERSION);
    printf("usage: dropscope [COMMAND] [ARGS]\n\n");
    for (size_t i = 0; i < N_HELPS; i++)
        printf("  dropscope %-9s %s\n", helps[i].name, helps[i].what);
    printf("\nWith no command, opens the default lesson in a window.\n"
           "'dropscope help COMMAND' or 'dropscope COMMAND --help' lists a command's options;\n"
           "'dropscope --version' prints the version.\n");
    return 0;
}
