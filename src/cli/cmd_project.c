/* carm project: forward-project a volume (Joseph) into a projection stack. */
#include "carm/project.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

const char carm_cmd_project_summary[] = "forward-project a volume into projections (Joseph)";
const char carm_cmd_project_usage[] =
    "usage: carm project VOLUME --geometry G.xml (--size NU,NV --spacing DU,DV | --like P.mha)\n"
    "                    -o P.mha [--threads N]\n"
    "\n"
    "Compute the line integrals of VOLUME (its values times mm) along every ray of\n"
    "the views of an RTK geometry file: a projection stack, one slice per view,\n"
    "x = detector u, y = detector v, in mm of GEOMETRY.md.\n"
    "\n"
    "  --geometry G.xml   RTK circular geometry (version 2 or 3)\n"
    "  --size NU,NV       detector pixels (columns, rows)\n"
    "  --spacing DU,DV    detector pixel pitch in mm; the detector is centred on\n"
    "                     detector point (0, 0)\n"
    "  --like P.mha       take the detector grid (pixels, pitch, origin) of an\n"
    "                     existing projection stack instead\n"
    "  -o, --output P     output stack (.mha, .mhd, .nii, .nii.gz), written\n"
    "                     atomically\n"
    "  --threads N        OpenMP threads (default: all)\n"
    "\n"
    "example:\n"
    "  carm project phantom.mha --geometry geometry.xml --size 512,384 --spacing 0.8,0.8 \\\n"
    "      -o projections.mha\n";

int carm_cmd_project(int argc, char **argv) {
  const char *cmd = "project";
  const char *input = NULL;
  const char *geometry = NULL;
  const char *output = NULL;
  cli_detector det = CLI_DETECTOR_INIT;
  int64_t threads = 0;
  for (int i = 1; i < argc; i++) {
    int r = cli_detector_parse(cmd, argc, argv, &i, &det);
    if (r < 0) {
      return CLI_USAGE;
    }
    if (r > 0) {
      continue;
    }
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--geometry") == 0 && v != NULL) {
      geometry = v;
      i++;
    } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && v != NULL) {
      output = v;
      i++;
    } else if (strcmp(a, "--threads") == 0 && v != NULL) {
      if (cli_parse_int64(v, &threads) != 0 || threads < 1 || threads > 4096) {
        return cli_fail(CLI_USAGE, cmd, "--threads must be 1..4096, got '%s'", v);
      }
      i++;
    } else if (a[0] == '-' && a[1] != '\0') {
      return cli_fail(CLI_USAGE, cmd, "unknown or incomplete option '%s' (see carm project --help)",
                      a);
    } else if (input == NULL) {
      input = a;
    } else {
      return cli_fail(CLI_USAGE, cmd, "unexpected argument '%s'", a);
    }
  }
  if (input == NULL || geometry == NULL || output == NULL) {
    return cli_fail(CLI_USAGE, cmd, "needs VOLUME, --geometry and -o (see carm project --help)");
  }
  const char *const inputs[] = {input, geometry, det.like};
  int chk = cli_detector_check(cmd, &det);
  if (chk == CLI_OK) {
    chk = cli_check_output(cmd, output, inputs, 3);
  }
  if (chk != CLI_OK) {
    return chk;
  }

  int rc = CLI_FAIL;
  carm_volume *vol = NULL;
  carm_volume *proj = NULL;
  carm_geometry *geo = NULL;
  carm_status st = carm_geometry_read_rtk(&geo, geometry);
  if (st != CARM_OK) {
    rc = cli_status(cmd, geometry, st);
    goto cleanup;
  }
  st = carm_image_read(&vol, NULL, input);
  if (st != CARM_OK) {
    rc = cli_status(cmd, input, st);
    goto cleanup;
  }
  rc = cli_detector_create(cmd, &det, geo->n_views, &proj);
  if (rc != CLI_OK) {
    goto cleanup;
  }
  rc = CLI_FAIL;
  carm_project_opts opts = CARM_PROJECT_INIT;
  opts.threads = (int)threads;
  opts.progress.fn = cli_progress;
  opts.progress.user = (void *)cmd;
  st = carm_project_forward(vol, geo, proj, &opts);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "forward projection", st);
    goto cleanup;
  }
  st = carm_image_write(proj, output, NULL);
  if (st != CARM_OK) {
    rc = cli_status(cmd, output, st);
    goto cleanup;
  }
  fprintf(stderr, "carm project: wrote %s (%lld x %lld x %lld views)\n", output,
          (long long)proj->dims[0], (long long)proj->dims[1], (long long)proj->dims[2]);
  rc = CLI_OK;
cleanup:
  carm_volume_destroy(vol);
  carm_volume_destroy(proj);
  carm_geometry_destroy(geo);
  return rc;
}
