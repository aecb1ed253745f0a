/* The table of `carm plan` subcommands implemented in their own files. */
#include "cli/plan_cli.h"
#include "cli/plan_guide.h"

const cli_subcommand cli_plan_subcommands[] = {{"feeders", carm_plan_feeders},
                                               {"ablation", carm_plan_ablation},
                                               {"couinaud", carm_plan_couinaud},
                                               {"views", carm_plan_views}};
const size_t cli_plan_n_subcommands = sizeof cli_plan_subcommands / sizeof cli_plan_subcommands[0];
