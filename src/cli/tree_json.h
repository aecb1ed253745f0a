/* Loading centreline polylines from a tree JSON (the schema of
 * docs/formats.md: {"segments": [{"id", "parent", "points": [[x,y,z]...],
 * "radius": [...] }]}), for commands that only draw or project them. */
#ifndef CARM_CLI_TREE_JSON_H
#define CARM_CLI_TREE_JSON_H

#include <stdint.h>

typedef struct cli_polyline {
  int64_t id;
  int64_t n;
  double (*points)[3];
} cli_polyline;

/** Load every segment's points; prints "carm CMD: ..." and returns -1 on a
 * bad file. Free with cli_tree_free. */
int cli_tree_load(const char *cmd, const char *path, cli_polyline **out, int64_t *n_out);
void cli_tree_free(cli_polyline *lines, int64_t n);

#endif
