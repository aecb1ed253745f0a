/* carm sim: simulation subcommands, dispatched from one small table.
 *
 * To add a subcommand, write `int sim_NAME(int argc, char **argv)` (argv[0]
 * is the subcommand's name; exit codes as for commands) in this file or in
 * its own src/cli/sim_NAME.c (declared below), and add one row to
 * `sim_commands`. */
#include "carm/phantom.h"
#include "carm/project.h"
#include "cli/cli.h"
#include "cli/sim_twin.h"

#include <stdio.h>
#include <string.h>

typedef struct sim_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
  const char *usage;
} sim_command;

static int sim_phantom(int argc, char **argv);
static int sim_project_analytic(int argc, char **argv);

static const char sim_phantom_usage[] =
    "usage: carm sim phantom (--shepp-logan [--scale MM] | --scene S.json)\n"
    "                        --size NX,NY,NZ --spacing SX,SY,SZ [--origin X,Y,Z]\n"
    "                        [--supersample K] -o V.mha\n"
    "       carm sim phantom --liver [options] -o DIR\n"
    "                        (the digital liver phantom: carm sim phantom --liver --help)\n"
    "\n"
    "Voxelise an analytic phantom: each voxel holds the mean of the scene's value\n"
    "at K^3 points of a regular sub-grid (default K = 2).\n"
    "\n"
    "  --shepp-logan   RTK's 3D Shepp-Logan phantom (ten ellipsoids, densities\n"
    "                  2, -0.98, ...; y is the long axis), lengths x --scale\n"
    "  --scale MM      phantom scale in mm (default 128, RTK's PhantomScale)\n"
    "  --scene S.json  a scene of ellipsoids and cylinders (docs: phantom.h)\n"
    "  --size          voxels; --spacing: mm; --origin: centre of voxel 0 in mm\n"
    "                  (default: the volume is centred on the isocentre)\n"
    "\n"
    "example:\n"
    "  carm sim phantom --shepp-logan --size 256,256,256 --spacing 1,1,1 -o shepp.mha\n";

static const char sim_project_analytic_usage[] =
    "usage: carm sim project-analytic (--shepp-logan [--scale MM] | --scene S.json)\n"
    "                 --geometry G.xml (--size NU,NV --spacing DU,DV | --like P.mha)\n"
    "                 -o P.mha\n"
    "\n"
    "Exact projections of an analytic phantom: each pixel is the exact line\n"
    "integral along the ray from the source to the pixel centre (density x mm),\n"
    "the same rays as `carm project`.\n"
    "\n"
    "example:\n"
    "  carm sim project-analytic --shepp-logan --geometry geometry.xml \\\n"
    "      --size 512,384 --spacing 0.8,0.8 -o exact.mha\n";

static const sim_command sim_commands[] = {
    {"phantom", sim_phantom, "voxelise an analytic phantom (Shepp-Logan, JSON scene)",
     sim_phantom_usage},
    {"project-analytic", sim_project_analytic, "exact projections of an analytic phantom",
     sim_project_analytic_usage},
    {"sweep", sim_sweep, sim_sweep_summary, sim_sweep_usage},
};

static const size_t n_sim_commands = sizeof sim_commands / sizeof sim_commands[0];

const char carm_cmd_sim_summary[] = "simulate phantoms and their projections";
const char carm_cmd_sim_usage[] =
    "usage: carm sim SUBCOMMAND [options]   (carm sim SUBCOMMAND --help)\n"
    "\n"
    "subcommands:\n"
    "  phantom           voxelise an analytic phantom (Shepp-Logan, JSON scene)\n"
    "  project-analytic  exact projections of an analytic phantom\n"
    "  sweep             C-arm sweeps of the digital liver phantom (contrast, noise)\n"
    "\n"
    "example:\n"
    "  carm sim phantom --shepp-logan --size 128,128,128 --spacing 2,2,2 -o shepp.mha\n"
    "  carm sim sweep --liver --seed 7 --dual-phase --mask -o case7\n";

int carm_cmd_sim(int argc, char **argv) {
  if (argc < 2) {
    fputs(carm_cmd_sim_usage, stderr);
    return CLI_USAGE;
  }
  for (size_t i = 0; i < n_sim_commands; i++) {
    if (strcmp(argv[1], sim_commands[i].name) == 0) {
      if (cli_wants_help(argc - 1, argv + 1)) {
        int liver = sim_commands[i].run == sim_phantom && sim_twin_wanted(argc - 1, argv + 1);
        fputs(liver ? sim_twin_phantom_usage : sim_commands[i].usage, stdout);
        return CLI_OK;
      }
      return sim_commands[i].run(argc - 1, argv + 1);
    }
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    fputs(carm_cmd_sim_usage, stdout);
    return CLI_OK;
  }
  return cli_fail(CLI_USAGE, "sim", "unknown subcommand '%s' (see carm sim --help)", argv[1]);
}

/* ---- shared option parsing ---------------------------------------------- */

/* The scene options: --shepp-logan [--scale MM] | --scene S.json. Returns 1
 * when argv[*i] was one of them (consumed), 0 when not, -1 on bad usage
 * (message printed). */
typedef struct scene_opts {
  int shepp_logan;
  double scale_mm;
  int have_scale;
  const char *scene;
} scene_opts;

static int parse_scene_opt(const char *cmd, int argc, char **argv, int *i, scene_opts *s) {
  const char *a = argv[*i];
  const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (strcmp(a, "--shepp-logan") == 0) {
    s->shepp_logan = 1;
    return 1;
  }
  if (strcmp(a, "--scale") == 0 && v != NULL) {
    if (cli_parse_double(v, &s->scale_mm) != 0 || !(s->scale_mm > 0.0)) {
      cli_fail(CLI_USAGE, cmd, "--scale must be a positive number of mm, got '%s'", v);
      return -1;
    }
    s->have_scale = 1;
    (*i)++;
    return 1;
  }
  if (strcmp(a, "--scene") == 0 && v != NULL) {
    s->scene = v;
    (*i)++;
    return 1;
  }
  return 0;
}

/* Build the scene; returns a CLI code (CLI_OK on success). */
static int load_scene(const char *cmd, const scene_opts *s, carm_phantom **out) {
  if (s->shepp_logan == (s->scene != NULL)) {
    return cli_fail(CLI_USAGE, cmd, "give exactly one of --shepp-logan and --scene S.json");
  }
  if (s->have_scale && !s->shepp_logan) {
    return cli_fail(CLI_USAGE, cmd, "--scale goes with --shepp-logan");
  }
  carm_status st;
  if (s->scene != NULL) {
    st = carm_phantom_read_json(out, s->scene);
    return st == CARM_OK ? CLI_OK : cli_status(cmd, s->scene, st);
  }
  carm_phantom *ph = NULL;
  st = carm_phantom_create(&ph);
  if (st == CARM_OK) {
    st = carm_phantom_add_shepp_logan(ph, s->have_scale ? s->scale_mm : 128.0);
  }
  if (st != CARM_OK) {
    carm_phantom_destroy(ph);
    return cli_status(cmd, "shepp-logan", st);
  }
  *out = ph;
  return CLI_OK;
}

/* ---- carm sim phantom ---------------------------------------------------- */

static int sim_phantom(int argc, char **argv) {
  if (sim_twin_wanted(argc, argv)) {
    return sim_twin_phantom(argc, argv); /* the digital liver phantom */
  }
  const char *cmd = "sim phantom";
  scene_opts so = {0, 0.0, 0, NULL};
  int64_t size[3] = {0, 0, 0};
  double spacing[3] = {0.0, 0.0, 0.0};
  double origin[3] = {0.0, 0.0, 0.0};
  int have_size = 0;
  int have_spacing = 0;
  int have_origin = 0;
  int64_t supersample = 2;
  const char *output = NULL;
  for (int i = 1; i < argc; i++) {
    int r = parse_scene_opt(cmd, argc, argv, &i, &so);
    if (r < 0) {
      return CLI_USAGE;
    }
    if (r > 0) {
      continue;
    }
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--size") == 0 && v != NULL) {
      if (cli_parse_int64s(v, size, 3) != 0 || size[0] < 1 || size[1] < 1 || size[2] < 1) {
        return cli_fail(CLI_USAGE, cmd, "--size needs three positive integers, got '%s'", v);
      }
      have_size = 1;
      i++;
    } else if (strcmp(a, "--spacing") == 0 && v != NULL) {
      if (cli_parse_doubles(v, spacing, 3) != 0 || !(spacing[0] > 0.0) || !(spacing[1] > 0.0) ||
          !(spacing[2] > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--spacing needs three positive numbers, got '%s'", v);
      }
      have_spacing = 1;
      i++;
    } else if (strcmp(a, "--origin") == 0 && v != NULL) {
      if (cli_parse_doubles(v, origin, 3) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--origin needs three numbers X,Y,Z, got '%s'", v);
      }
      have_origin = 1;
      i++;
    } else if (strcmp(a, "--supersample") == 0 && v != NULL) {
      if (cli_parse_int64(v, &supersample) != 0 || supersample < 1 || supersample > 16) {
        return cli_fail(CLI_USAGE, cmd, "--supersample must be 1..16, got '%s'", v);
      }
      i++;
    } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && v != NULL) {
      output = v;
      i++;
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown or incomplete option '%s' (see --help)", a);
    }
  }
  if (!have_size || !have_spacing || output == NULL) {
    return cli_fail(CLI_USAGE, cmd, "needs --size, --spacing and -o (see --help)");
  }
  const char *const inputs[] = {so.scene};
  int chk = cli_check_output(cmd, output, inputs, 1);
  if (chk != CLI_OK) {
    return chk;
  }
  carm_phantom *ph = NULL;
  int rc = load_scene(cmd, &so, &ph);
  if (rc != CLI_OK) {
    return rc;
  }
  carm_volume *vol = NULL;
  carm_status st = carm_volume_create(&vol, size);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "volume", st);
    goto cleanup;
  }
  for (int a = 0; a < 3; a++) {
    vol->spacing[a] = spacing[a];
    vol->origin[a] = have_origin ? origin[a] : -0.5 * (double)(size[a] - 1) * spacing[a];
  }
  st = carm_phantom_voxelize(ph, vol, (int)supersample);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "voxelise", st);
    goto cleanup;
  }
  st = carm_image_write(vol, output, NULL);
  if (st != CARM_OK) {
    rc = cli_status(cmd, output, st);
    goto cleanup;
  }
  fprintf(stderr, "carm %s: wrote %s (%lld x %lld x %lld, %lld shapes)\n", cmd, output,
          (long long)size[0], (long long)size[1], (long long)size[2], (long long)ph->n_shapes);
  rc = CLI_OK;
cleanup:
  carm_volume_destroy(vol);
  carm_phantom_destroy(ph);
  return rc;
}

/* ---- carm sim project-analytic ------------------------------------------ */

static int sim_project_analytic(int argc, char **argv) {
  const char *cmd = "sim project-analytic";
  scene_opts so = {0, 0.0, 0, NULL};
  const char *geometry = NULL;
  const char *output = NULL;
  cli_detector det = CLI_DETECTOR_INIT;
  for (int i = 1; i < argc; i++) {
    int r = parse_scene_opt(cmd, argc, argv, &i, &so);
    if (r == 0) {
      r = cli_detector_parse(cmd, argc, argv, &i, &det);
    }
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
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown or incomplete option '%s' (see --help)", a);
    }
  }
  if (geometry == NULL || output == NULL) {
    return cli_fail(CLI_USAGE, cmd, "needs --geometry and -o (see --help)");
  }
  const char *const inputs[] = {so.scene, geometry, det.like};
  int chk = cli_detector_check(cmd, &det);
  if (chk == CLI_OK) {
    chk = cli_check_output(cmd, output, inputs, 3);
  }
  if (chk != CLI_OK) {
    return chk;
  }
  carm_phantom *ph = NULL;
  int rc = load_scene(cmd, &so, &ph);
  if (rc != CLI_OK) {
    return rc;
  }
  rc = CLI_FAIL;
  carm_geometry *geo = NULL;
  carm_volume *proj = NULL;
  carm_status st = carm_geometry_read_rtk(&geo, geometry);
  if (st != CARM_OK) {
    rc = cli_status(cmd, geometry, st);
    goto cleanup;
  }
  rc = cli_detector_create(cmd, &det, geo->n_views, &proj);
  if (rc != CLI_OK) {
    goto cleanup;
  }
  rc = CLI_FAIL;
  st = carm_phantom_project_analytic(ph, geo, proj);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "analytic projection", st);
    goto cleanup;
  }
  st = carm_image_write(proj, output, NULL);
  if (st != CARM_OK) {
    rc = cli_status(cmd, output, st);
    goto cleanup;
  }
  fprintf(stderr, "carm %s: wrote %s (%lld x %lld x %lld views)\n", cmd, output,
          (long long)proj->dims[0], (long long)proj->dims[1], (long long)proj->dims[2]);
  rc = CLI_OK;
cleanup:
  carm_volume_destroy(proj);
  carm_geometry_destroy(geo);
  carm_phantom_destroy(ph);
  return rc;
}
