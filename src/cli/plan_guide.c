/* Helpers shared by the guide subcommands of `carm plan`. */
#include "cli/plan_guide.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int plan_write_json(const char *cmd, json_t *doc, const char *path) {
  if (strcmp(path, "-") == 0) {
    json_dumpf(doc, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(8));
    fputc('\n', stdout);
    return 0;
  }
  carm_status st = cli_write_json(doc, path, JSON_INDENT(1) | JSON_REAL_PRECISION(8));
  if (st != CARM_OK) {
    cli_status(cmd, "cannot write", st);
    return -1;
  }
  return 0;
}

json_t *plan_vec3_json(const double v[3]) { return json_pack("[f, f, f]", v[0], v[1], v[2]); }

json_t *plan_points_json(const double (*p)[3], int64_t n) {
  json_t *a = json_array();
  for (int64_t i = 0; i < n; i++) {
    json_array_append_new(a, plan_vec3_json(p[i]));
  }
  return a;
}
