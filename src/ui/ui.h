/* The window's commands (open, shot) are declared in src/cli/cli.h, with the others. */
#ifndef UI_UI_H
#define UI_UI_H

#endif
