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
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  if (json_dump_file(doc, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(8)) != 0 ||
      rename(tmp, path) != 0) {
    unlink(tmp);
    cli_fail(CLI_FAIL, cmd, "cannot write %s", path);
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
