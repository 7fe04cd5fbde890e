/* Subcommands. Each takes (argc, argv) with argv[0] the command name and returns the
 * process exit status: 0 success, 1 a failed check, 2 bad input or usage. */
#ifndef DS_COMMANDS_H
#define DS_COMMANDS_H

/* COMMAND-DECLS-BEGIN: each module declares its own commands here. */
/* src/lesson/commands.c */
int ls_cmd_train(int argc, char **argv);
int ls_cmd_summary(int argc, char **argv);
int ls_cmd_check(int argc, char **argv);
int ls_cmd_pretrain(int argc, char **argv);
/* src/lesson/import_cmd.c */
int ls_cmd_import(int argc, char **argv);
/* src/ui/ui.h */
int ui_cmd_open(int argc, char **argv);
int ui_cmd_shot(int argc, char **argv);
/* COMMAND-DECLS-END */

#endif
