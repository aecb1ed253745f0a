/* The table of `carm plan` subcommands implemented in their own files. */
#include "cli/plan_cli.h"

const cli_subcommand cli_plan_subcommands[] = {{"", 0}};
const size_t cli_plan_n_subcommands = 0;
