/* The window's commands. Each takes (argc, argv) with argv[0] the command name and
 * returns the exit status: 0 ok, 1 failure, 2 bad usage or input. */
#ifndef UI_UI_H
#define UI_UI_H

/* dropscope open [LESSON] [--presenter] [--seed N] [--speed 0..100]: the window on a
 * lesson (default: lessons/01-which-neurons.lesson). Without a display, says how to use
 * shot/train. */
int ui_cmd_open(int argc, char **argv);
/* dropscope shot LESSON --steps N --out FILE.png [--size WxH] [--example K|all]
 * [--presenter] [--inference] [--seed N]: renders the window without a display.
 * Bad arguments (numbers outside their range, an example beyond the batch, a PNG that
 * cannot be written) exit 2 with one line naming the option or the file. */
int ui_cmd_shot(int argc, char **argv);

#endif
