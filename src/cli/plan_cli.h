/* Subcommands of `carm plan` that live in their own files. */
#ifndef CARM_CLI_PLAN_CLI_H
#define CARM_CLI_PLAN_CLI_H

#include <stddef.h>

typedef struct cli_subcommand {
  const char *name;
  int (*run)(int argc, char **argv);
} cli_subcommand;

extern const cli_subcommand cli_plan_subcommands[];
extern const size_t cli_plan_n_subcommands;

#endif
