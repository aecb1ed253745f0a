/* Helpers shared by the guide subcommands of `carm plan` (feeders,
 * ablation, couinaud). */
#ifndef CARM_CLI_PLAN_GUIDE_H
#define CARM_CLI_PLAN_GUIDE_H

#include <jansson.h>
#include <stdint.h>

/** Write `doc` to `path` atomically (temporary name, rename); "-" writes
 * to stdout. 0 on success, -1 after printing "carm CMD: ...". */
int plan_write_json(const char *cmd, json_t *doc, const char *path);

/** [[x, y, z], ...] from n points. */
json_t *plan_points_json(const double (*p)[3], int64_t n);

/** [x, y, z] */
json_t *plan_vec3_json(const double v[3]);

int carm_plan_feeders(int argc, char **argv);
int carm_plan_ablation(int argc, char **argv);
int carm_plan_couinaud(int argc, char **argv);
int carm_plan_views(int argc, char **argv);

#endif
