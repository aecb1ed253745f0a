/* carm info FILE...: what an image (or geometry) file holds. */
#include "cli/cli.h"
#include "cli/info_geometry.h"

#include <stdio.h>
#include <string.h>

const char carm_cmd_info_summary[] = "describe image files (dims, spacing, direction, values)";
const char carm_cmd_info_usage[] =
    "usage: carm info FILE...\n"
    "\n"
    "Print, for each image (MetaImage .mha/.mhd, NIfTI .nii/.nii.gz): format,\n"
    "element type on disk, dims, spacing (mm), origin (mm, LPS), direction\n"
    "(3 rows; columns are the axis directions), value range and size in MiB as\n"
    "float32 in memory. A file ending in .xml is described as an RTK geometry.\n"
    "\n"
    "example:\n"
    "  carm info ct.nii.gz head.mha\n";

static int info_image(const char *cmd, const char *path) {
  carm_volume *v = NULL;
  carm_image_info info;
  carm_status st = carm_image_read(&v, &info, path);
  if (st != CARM_OK) {
    return cli_status(cmd, "read", st);
  }
  double lo = 0.0, hi = 0.0;
  carm_volume_range(v, &lo, &hi);
  printf("%s\n", path);
  printf("  format:    %s%s\n", info.format, info.compressed ? " (compressed)" : "");
  printf("  dtype:     %s\n", carm_dtype_name(info.dtype));
  if (info.scl_slope != 1.0 || info.scl_inter != 0.0) {
    printf("  scaling:   value * %.9g + %.9g\n", info.scl_slope, info.scl_inter);
  }
  printf("  dims:      %lld x %lld x %lld\n", (long long)v->dims[0], (long long)v->dims[1],
         (long long)v->dims[2]);
  printf("  spacing:   %.9g %.9g %.9g mm\n", v->spacing[0], v->spacing[1], v->spacing[2]);
  printf("  origin:    %.9g %.9g %.9g mm (LPS)\n", v->origin[0], v->origin[1], v->origin[2]);
  for (int r = 0; r < 3; r++) {
    printf("  %s %10.6f %10.6f %10.6f\n", r == 0 ? "direction:" : "          ",
           v->direction[r][0] + 0.0, v->direction[r][1] + 0.0, v->direction[r][2] + 0.0);
  }
  printf("  range:     %.9g .. %.9g\n", lo, hi);
  printf("  size:      %.2f MiB (float32)\n",
         (double)carm_volume_count(v) * 4.0 / (1024.0 * 1024.0));
  carm_volume_destroy(v);
  return CLI_OK;
}

int carm_cmd_info(int argc, char **argv) {
  const char *cmd = argv[0];
  if (argc < 2) {
    return cli_fail(CLI_USAGE, cmd, "give at least one file (see carm info --help)");
  }
  int rc = CLI_OK;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return cli_fail(CLI_USAGE, cmd, "unknown option %s", argv[i]);
    }
  }
  for (int i = 1; i < argc; i++) {
    int r = cli_has_suffix(argv[i], ".xml") ? cli_info_geometry(cmd, argv[i])
                                            : info_image(cmd, argv[i]);
    if (r != CLI_OK) {
      rc = r;
    }
  }
  return rc;
}
