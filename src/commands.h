/* Subcommands. Each takes (argc, argv) with argv[0] the command name and returns the
 * process exit status: 0 success, 1 a failed check, 2 bad input or usage. */
#ifndef DS_COMMANDS_H
#define DS_COMMANDS_H

/* COMMAND-DECLS-BEGIN: each module declares its own commands here. */
/* COMMAND-DECLS-END */

#endif
