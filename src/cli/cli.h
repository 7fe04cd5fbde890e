/* The commands. Each takes (argc, argv) with argv[0] the command name, prints its own
 * messages, and returns the process exit status: 0 success, 1 a failed check or a
 * failure, 2 bad input or usage. main.c dispatches to them. */
#ifndef DS_CLI_CLI_H
#define DS_CLI_CLI_H

/* train.c: dropscope train [LESSON] [--steps N] [--seed S] [--every K] [--batch B]
 * [--record DIR] [--data DIR] [--memory-budget MiB]: the training table. */
int ds_cmd_train(int argc, char **argv);
/* summary.c: dropscope summary [LESSON]: Keras's model.summary() of the lesson's model. */
int ds_cmd_summary(int argc, char **argv);
/* check.c: dropscope check [--data DIR] [--memory-budget MiB] LESSON...: runs each
 * lesson and verifies its expectations; stops at the first that is not met (exit 1). */
int ds_cmd_check(int argc, char **argv);
/* pretrain.c: dropscope pretrain [--out DIR] [--epochs E] [--seed S] [--data DIR]
 * [--train N]: rebuilds the shipped pretrained base. */
int ds_cmd_pretrain(int argc, char **argv);
/* import.c: dropscope import MODEL.py [-o OUT.lesson]: a Keras script as a lesson. */
int ds_cmd_import(int argc, char **argv);
/* open.c: dropscope open [LESSON] [--presenter] [--seed N] [--speed 0..100]: the window
 * on a lesson (default: lessons/01-which-neurons.lesson). Without a display, says how
 * to use shot/train. */
int ds_cmd_open(int argc, char **argv);
/* shot.c: dropscope shot LESSON --steps N --out FILE.png [--size WxH] [--example K|all]
 * [--presenter] [--inference] [--seed N]: renders the window without a display.
 * Bad arguments (numbers outside their range, an example beyond the batch, a PNG that
 * cannot be written) exit 2 with one line naming the option or the file. */
int ds_cmd_shot(int argc, char **argv);

/* film.c: dropscope film LESSON --steps N --out CLIP.gif [--size WxH] [--example K|all]
 * [--presenter] [--seed S] [--delay-ms D]: the window rendered once per training step
 * into an animated GIF (src/data/gif.h) with the theme's palette. Bad arguments exit 2
 * with one line naming the option or the file. */
int ds_cmd_film(int argc, char **argv);
/* help.c: dropscope help [COMMAND]: the commands, or one command's usage and options. */
int ds_cmd_help(int argc, char **argv);
/* Prints command name's usage and its options, one line each, on stdout: 0; 2 after
 * "dropscope help: unknown command" when there is no such command. */
int ds_cli_command_help(const char *name);

#endif
