/* Subcommands of `carm board` that live outside cmd_board.c (the case
 * store, src/cli/board_store.c). Each has the signature of a command:
 * argv[0] is the subcommand name. */
#ifndef CARM_CLI_BOARD_H
#define CARM_CLI_BOARD_H

/* Usage lines for the store subcommands, spliced into `carm board --help`. */
#define BOARD_STORE_USAGE ""

/* Rows spliced into the dispatcher table of cmd_board.c. */
#define BOARD_STORE_SUBCOMMANDS

#endif
