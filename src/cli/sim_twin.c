/* carm sim phantom --liver and carm sim sweep: thin wrappers over the
 * digital twin (include/carm/twin.h). */
#include "cli/sim_twin.h"

#include "carm/io.h"
#include "carm/project.h"
#include "carm/twin.h"
#include "cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char sim_twin_phantom_usage[] =
    "usage: carm sim phantom --liver [--seed N] [--tumours K] [--no-hypo] [--no-catheter]\n"
    "                        [--liver-volume ML] [--protocol P.json] [--time S]\n"
    "                        [--voxel MM | --size NX,NY,NZ [--spacing SX,SY,SZ]] -o DIR\n"
    "\n"
    "The digital liver phantom (docs/twin.md): body, spine and ribs, liver,\n"
    "hepatic arterial tree (Murray's law), portal and hepatic veins, 1-3\n"
    "hypervascular tumours with known feeders, a hypovascular lesion, a catheter.\n"
    "Writes, on a 250 x 250 x 200 mm grid centred on the isocentre (patient LPS;\n"
    "or --size voxels of --spacing mm, centred there):\n"
    "  DIR/phantom.mha    attenuation (1/mm) at --time s after injection\n"
    "                     (default 6.5: mid arterial sweep)\n"
    "  DIR/labels.nii.gz  labels (uint8; table in truth.json and docs/twin.md)\n"
    "  DIR/tree.json      vessel segments: id, parent, kind, centreline, radii\n"
    "  DIR/truth.json     tumours (centre, diameter, Couinaud, feeders), liver volume\n"
    "  DIR/protocol.json  the contrast protocol used\n"
    "\n"
    "  --seed N         everything random derives from it (default 1); the same\n"
    "                   seed gives the same bytes\n"
    "  --tumours K      hypervascular tumours, 1..8 (default: random 1..3)\n"
    "  --liver-volume   mL, 500..3000 (default: random 1500..1800)\n"
    "  --protocol P     contrast protocol JSON (default: docs/twin.md)\n"
    "  --voxel MM       grid spacing (default 1)\n"
    "\n"
    "example:\n"
    "  carm sim phantom --liver --seed 7 -o twin7\n";

const char sim_sweep_summary[] = "C-arm sweeps of the digital liver phantom (contrast, noise)";
const char sim_sweep_usage[] =
    "usage: carm sim sweep --liver [--seed N] [--dose I0] [--views N] [--arc DEG]\n"
    "                      [--duration S] [--start S] [--truncate [--truncate-nu N]]\n"
    "                      [--dual-phase [--gap S]] [--mask] [--voxel MM]\n"
    "                      [--truth-voxel MM] [--protocol P.json] [phantom options] -o DIR\n"
    "\n"
    "C-arm CBCT sweeps of the digital liver phantom after one contrast injection:\n"
    "each view sees the contrast at its own time; counts are Poisson with I0\n"
    "photons per pixel, then p = -ln(max(N,1)/I0). Defaults (CLINICAL.md):\n"
    "200 deg in 5 s, 133 views, 616 x 480 pixels of 0.616 mm, SID 785, SDD 1200,\n"
    "first angle -10 deg, head first supine, arterial sweep starting 4 s after\n"
    "the injection. Per sweep (arterial; delayed with --dual-phase; mask with\n"
    "--mask) it writes DIR/NAME.mha (line integrals), DIR/NAME.xml (RTK\n"
    "geometry), DIR/NAME.json (protocol, view times, dose, seeds) and\n"
    "DIR/truth/NAME.mha (attenuation at the sweep's mid-time); and\n"
    "DIR/truth/{labels.nii.gz, tree.json, truth.json, protocol.json}.\n"
    "\n"
    "  --dose I0        photons per detector pixel without object (default 1e5;\n"
    "                   0: noiseless)\n"
    "  --start S        arterial sweep start after injection (default 4)\n"
    "  --dual-phase     a delayed sweep back over the same arc, starting --gap s\n"
    "                   (default 11) after the arterial sweep ends\n"
    "  --mask           a sweep without contrast (before the injection), for 3D-DSA\n"
    "  --truncate       keep the central --truncate-nu columns (default 400)\n"
    "  --voxel MM       voxel size of the projected scene (default 1)\n"
    "  --truth-voxel MM voxel size of the ground-truth volumes (default 1)\n"
    "  phantom options  --tumours K, --no-hypo, --no-catheter, --liver-volume ML\n"
    "\n"
    "example:\n"
    "  carm sim sweep --liver --seed 7 --dose 1e5 --dual-phase --mask -o case7\n";

int sim_twin_wanted(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--liver") == 0) {
      return 1;
    }
  }
  return 0;
}

/* ---- files written by this run: removed again on failure ---------------- */

typedef struct outputs {
  char *paths[64];
  int n;
} outputs;

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p != NULL) {
    snprintf(p, n, "%s/%s", dir, name);
  }
  return p;
}

static const char *track(outputs *o, char *path) {
  if (path != NULL && o->n < 64) {
    o->paths[o->n++] = path;
  }
  return path;
}

static void outputs_free(outputs *o, int remove_files) {
  for (int i = o->n - 1; i >= 0; i--) {
    if (remove_files) {
      remove(o->paths[i]); /* files, then (empty) folders: rmdir via remove */
    }
    free(o->paths[i]);
  }
  o->n = 0;
}

static int make_dir(const char *cmd, outputs *o, const char *path) {
  if (mkdir(path, 0777) == 0) {
    track(o, strdup(path));
    return CLI_OK;
  }
  struct stat sb;
  if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    return CLI_OK;
  }
  return cli_fail(CLI_FAIL, cmd, "cannot create folder %s: %s", path, strerror(errno));
}

/* ---- shared phantom options ---------------------------------------------- */

typedef struct twin_args {
  carm_twin_opts twin;
  const char *protocol;
  const char *out;
} twin_args;

/* Returns 1 when argv[*i] was a phantom option (consumed), 0 when not, -1
 * on bad usage (message printed). */
static int parse_twin_opt(const char *cmd, int argc, char **argv, int *i, twin_args *a) {
  const char *s = argv[*i];
  const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
  int64_t n;
  double d;
  if (strcmp(s, "--liver") == 0) {
    return 1;
  }
  if (strcmp(s, "--no-hypo") == 0) {
    a->twin.hypovascular = 0;
    return 1;
  }
  if (strcmp(s, "--no-catheter") == 0) {
    a->twin.catheter = 0;
    return 1;
  }
  if (v == NULL) {
    return 0;
  }
  if (strcmp(s, "--seed") == 0) {
    if (cli_parse_int64(v, &n) != 0 || n < 0) {
      cli_fail(CLI_USAGE, cmd, "--seed must be an integer >= 0, got '%s'", v);
      return -1;
    }
    a->twin.seed = (uint64_t)n;
  } else if (strcmp(s, "--tumours") == 0) {
    if (cli_parse_int64(v, &n) != 0 || n < 1 || n > CARM_TWIN_MAX_TUMOURS) {
      cli_fail(CLI_USAGE, cmd, "--tumours must be 1..%d, got '%s'", CARM_TWIN_MAX_TUMOURS, v);
      return -1;
    }
    a->twin.n_tumours = (int)n;
  } else if (strcmp(s, "--liver-volume") == 0) {
    if (cli_parse_double(v, &d) != 0 || d < 500.0 || d > 3000.0) {
      cli_fail(CLI_USAGE, cmd, "--liver-volume must be 500..3000 mL, got '%s'", v);
      return -1;
    }
    a->twin.liver_volume_ml = d;
  } else if (strcmp(s, "--protocol") == 0) {
    a->protocol = v;
  } else if (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) {
    a->out = v;
  } else {
    return 0;
  }
  (*i)++;
  return 1;
}

static int build_twin(const char *cmd, const twin_args *a, carm_twin **out) {
  carm_contrast_protocol prot;
  carm_contrast_default(&prot);
  carm_status st;
  if (a->protocol != NULL) {
    st = carm_contrast_read(&prot, a->protocol);
    if (st != CARM_OK) {
      return cli_status(cmd, a->protocol, st);
    }
  }
  fprintf(stderr, "carm %s: building the liver phantom (seed %llu)\n", cmd,
          (unsigned long long)a->twin.seed);
  carm_twin *tw = NULL;
  st = carm_twin_create(&tw, &a->twin);
  if (st == CARM_OK) {
    st = carm_twin_set_protocol(tw, &prot);
  }
  if (st != CARM_OK) {
    carm_twin_destroy(tw);
    return cli_status(cmd, "phantom", st);
  }
  *out = tw;
  return CLI_OK;
}

/* The output grid: the default field of view at voxel_mm, or size[]
 * voxels of spacing[] mm centred on the isocentre when size[0] > 0. */
typedef struct grid_spec {
  double voxel_mm;
  int64_t size[3];
  double spacing[3];
} grid_spec;

static carm_status make_out_grid(const grid_spec *g, carm_volume **out) {
  if (g->size[0] <= 0) {
    return carm_twin_fov_grid(g->voxel_mm, out);
  }
  carm_volume *v = NULL;
  carm_status st = carm_volume_create(&v, g->size);
  if (st != CARM_OK) {
    return st;
  }
  for (int k = 0; k < 3; k++) {
    v->spacing[k] = g->spacing[k];
    v->origin[k] = -0.5 * (double)(g->size[k] - 1) * g->spacing[k];
  }
  *out = v;
  return CARM_OK;
}

/* Ground truth files into `dir`: labels, tree, truth, protocol. */
static int write_truth(const char *cmd, const carm_twin *tw, const char *dir, const grid_spec *g,
                       outputs *o) {
  carm_volume *lab = NULL;
  carm_status st = make_out_grid(g, &lab);
  if (st == CARM_OK) {
    fprintf(stderr, "carm %s: painting the labels\n", cmd);
    st = carm_twin_labels(tw, lab);
  }
  const char *path = "labels.nii.gz";
  if (st == CARM_OK) {
    carm_write_opts wo = CARM_WRITE_INIT;
    wo.dtype = CARM_DTYPE_U8;
    path = track(o, join(dir, "labels.nii.gz"));
    st = path != NULL ? carm_image_write(lab, path, &wo) : CARM_ERR_NOMEM;
  }
  carm_volume_destroy(lab);
  if (st == CARM_OK) {
    path = track(o, join(dir, "tree.json"));
    st = path != NULL ? carm_twin_write_tree(tw, path) : CARM_ERR_NOMEM;
  }
  if (st == CARM_OK) {
    path = track(o, join(dir, "truth.json"));
    st = path != NULL ? carm_twin_write_truth(tw, path) : CARM_ERR_NOMEM;
  }
  if (st == CARM_OK) {
    path = track(o, join(dir, "protocol.json"));
    st = path != NULL ? carm_contrast_write(&tw->protocol, path) : CARM_ERR_NOMEM;
  }
  return st == CARM_OK ? CLI_OK : cli_status(cmd, path != NULL ? path : "truth", st);
}

/* The attenuation at t_s (without contrast when t_s is NaN). */
static int write_mu(const char *cmd, const carm_twin *tw, double t_s, const grid_spec *g,
                    const char *path) {
  carm_volume *v = NULL;
  carm_status st = make_out_grid(g, &v);
  if (st == CARM_OK && isnan(t_s)) {
    fprintf(stderr, "carm %s: painting the attenuation without contrast\n", cmd);
    double values[CARM_TWIN_C_COUNT];
    for (int c = 0; c < CARM_TWIN_C_COUNT; c++) {
      double mu = tw->protocol.mu_water_per_mm * (1.0 + tw->protocol.base_hu[c] / 1000.0);
      values[c] = mu > 0.0 ? mu : 0.0;
    }
    st = carm_twin_paint(tw, values, 0, v, NULL);
  } else if (st == CARM_OK) {
    fprintf(stderr, "carm %s: painting the attenuation at t = %g s\n", cmd, t_s);
    st = carm_twin_voxelize(tw, t_s, v);
  }
  if (st == CARM_OK) {
    st = carm_image_write(v, path, NULL);
  }
  carm_volume_destroy(v);
  return st == CARM_OK ? CLI_OK : cli_status(cmd, path, st);
}

static int parse_positive(const char *cmd, const char *opt, const char *v, double lo, double hi,
                          double *out) {
  double d;
  if (cli_parse_double(v, &d) != 0 || !(d >= lo && d <= hi)) {
    return cli_fail(CLI_USAGE, cmd, "%s must be a number in %g..%g, got '%s'", opt, lo, hi, v);
  }
  *out = d;
  return CLI_OK;
}

/* ---- carm sim phantom --liver ----------------------------------------------- */

int sim_twin_phantom(int argc, char **argv) {
  const char *cmd = "sim phantom";
  twin_args a = {CARM_TWIN_INIT, NULL, NULL};
  double t_s = 6.5;
  grid_spec grid = {1.0, {0, 0, 0}, {1.0, 1.0, 1.0}};
  int have_spacing = 0;
  for (int i = 1; i < argc; i++) {
    int r = parse_twin_opt(cmd, argc, argv, &i, &a);
    if (r < 0) {
      return CLI_USAGE;
    }
    if (r > 0) {
      continue;
    }
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--time") == 0 && v != NULL) {
      if (parse_positive(cmd, "--time", v, -3600.0, 3600.0, &t_s) != CLI_OK) {
        return CLI_USAGE;
      }
      i++;
    } else if (strcmp(argv[i], "--voxel") == 0 && v != NULL) {
      if (parse_positive(cmd, "--voxel", v, 0.25, 10.0, &grid.voxel_mm) != CLI_OK) {
        return CLI_USAGE;
      }
      i++;
    } else if (strcmp(argv[i], "--size") == 0 && v != NULL) {
      if (cli_parse_int64s(v, grid.size, 3) != 0 || grid.size[0] < 1 || grid.size[1] < 1 ||
          grid.size[2] < 1 || grid.size[0] > 4096 || grid.size[1] > 4096 || grid.size[2] > 4096) {
        return cli_fail(CLI_USAGE, cmd, "--size must be NX,NY,NZ (1..4096), got '%s'", v);
      }
      i++;
    } else if (strcmp(argv[i], "--spacing") == 0 && v != NULL) {
      if (cli_parse_doubles(v, grid.spacing, 3) != 0 || !(grid.spacing[0] > 0.0) ||
          !(grid.spacing[1] > 0.0) || !(grid.spacing[2] > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--spacing must be SX,SY,SZ mm (> 0), got '%s'", v);
      }
      have_spacing = 1;
      i++;
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown or incomplete option '%s' (see --help)", argv[i]);
    }
  }
  if (a.out == NULL) {
    return cli_fail(CLI_USAGE, cmd, "missing -o DIR");
  }
  if (have_spacing && grid.size[0] == 0) {
    return cli_fail(CLI_USAGE, cmd, "--spacing goes with --size");
  }
  if (grid.size[0] > 0 && !have_spacing) {
    for (int k = 0; k < 3; k++) {
      grid.spacing[k] = grid.voxel_mm;
    }
  }
  carm_twin *tw = NULL;
  int rc = build_twin(cmd, &a, &tw);
  if (rc != CLI_OK) {
    return rc;
  }
  outputs o = {{NULL}, 0};
  rc = make_dir(cmd, &o, a.out);
  if (rc == CLI_OK) {
    const char *mu = track(&o, join(a.out, "phantom.mha"));
    rc = mu != NULL ? write_mu(cmd, tw, t_s, &grid, mu) : CLI_FAIL;
  }
  if (rc == CLI_OK) {
    rc = write_truth(cmd, tw, a.out, &grid, &o);
  }
  if (rc == CLI_OK) {
    fprintf(stderr, "carm %s: %d tumour(s), %d vessel segments, liver %.0f mL -> %s\n", cmd,
            tw->n_tumours, tw->n_segments, tw->liver_volume_ml, a.out);
  }
  outputs_free(&o, rc != CLI_OK);
  carm_twin_destroy(tw);
  return rc;
}

/* ---- carm sim sweep ---------------------------------------------------------- */

typedef struct sweep_phase {
  const char *name;
  carm_sweep_opts so;
} sweep_phase;

/* Progress of one sweep: the phase's name as the stage. */
static int phase_progress(void *user, double fraction, const char *stage) {
  (void)stage;
  return cli_progress((void *)"sim sweep", fraction, (const char *)user);
}

static uint64_t mix_seed(uint64_t seed, uint64_t phase) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (phase + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int write_sidecar(const char *cmd, const char *path, const char *name, const carm_twin *tw,
                         const carm_acquire_opts *ao, const sweep_phase *ph,
                         const carm_geometry *geo, int64_t nu_out, double mid_s) {
  json_t *root = json_object();
  json_object_set_new(root, "format", json_string("carm-sweep"));
  json_object_set_new(root, "version", json_integer(1));
  json_object_set_new(root, "phase", json_string(name));
  json_object_set_new(root, "phantom_seed", json_integer((json_int_t)tw->seed));
  char hex[32];
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)ph->so.seed);
  json_object_set_new(root, "noise_seed_hex", json_string(hex));
  json_object_set_new(root, "i0_photons_per_pixel", json_real(ph->so.i0));
  json_object_set_new(root, "noise",
                      json_string(ph->so.i0 > 0.0 ? "Poisson counts N ~ P(I0 exp(-p)); "
                                                    "p = -ln(max(N, 1)/I0)"
                                                  : "none"));
  json_object_set_new(root, "values", json_string("line integrals of attenuation (1/mm x mm)"));
  json_object_set_new(root, "mu_water_per_mm", json_real(tw->protocol.mu_water_per_mm));
  json_object_set_new(root, "n_views", json_integer(ao->n_views));
  json_object_set_new(root, "arc_deg", json_real(ao->arc_deg));
  json_object_set_new(root, "first_angle_deg", json_real(ao->first_angle_deg));
  json_object_set_new(root, "reverse", json_boolean(ph->so.reverse));
  json_object_set_new(root, "duration_s", json_real(ao->duration_s));
  json_object_set_new(root, "start_s", json_real(ph->so.start_s));
  json_object_set_new(root, "mid_time_s", json_real(mid_s));
  json_object_set_new(root, "contrast", json_real(ph->so.contrast));
  json_object_set_new(root, "sid_mm", json_real(ao->sid_mm));
  json_object_set_new(root, "sdd_mm", json_real(ao->sdd_mm));
  json_object_set_new(root, "detector_nu", json_integer(nu_out));
  json_object_set_new(root, "detector_nv", json_integer(ao->nv));
  json_object_set_new(root, "detector_nu_full", json_integer(ao->nu));
  json_object_set_new(root, "pixel_mm", json_real(ao->pixel_mm));
  json_object_set_new(root, "scene_voxel_mm", json_real(ao->voxel_mm));
  json_object_set_new(root, "patient_position", json_string("HFS"));
  json_t *times = json_array();
  for (int64_t i = 0; i < geo->n_views; i++) {
    json_array_append_new(times, json_real(geo->views[i].time_s));
  }
  json_object_set_new(root, "view_times_s", times);
  char buf[64];
  snprintf(buf, sizeof buf, "%s.mha", name);
  json_object_set_new(root, "projections", json_string(buf));
  snprintf(buf, sizeof buf, "%s.xml", name);
  json_object_set_new(root, "geometry", json_string(buf));
  snprintf(buf, sizeof buf, "truth/%s.mha", name);
  json_object_set_new(root, "truth", json_string(buf));
  char *prot = carm_contrast_to_string(&tw->protocol);
  json_object_set_new(root, "protocol", prot != NULL ? json_loads(prot, 0, NULL) : json_null());
  free(prot);
  carm_status st = cli_write_json(root, path, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
  json_decref(root);
  return st == CARM_OK ? CLI_OK : cli_status(cmd, "cannot write the manifest", st);
}

int sim_sweep(int argc, char **argv) {
  const char *cmd = "sim sweep";
  twin_args a = {CARM_TWIN_INIT, NULL, NULL};
  carm_acquire_opts ao = CARM_ACQUIRE_INIT;
  double i0 = 1e5, start = 4.0, gap = 11.0, truth_voxel = 1.0;
  int dual = 0, mask = 0, truncate = 0, liver = sim_twin_wanted(argc, argv);
  int64_t truncate_nu = 400;
  for (int i = 1; i < argc; i++) {
    int r = parse_twin_opt(cmd, argc, argv, &i, &a);
    if (r < 0) {
      return CLI_USAGE;
    }
    if (r > 0) {
      continue;
    }
    const char *s = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    int64_t n;
    if (strcmp(s, "--dual-phase") == 0) {
      dual = 1;
      continue;
    }
    if (strcmp(s, "--mask") == 0) {
      mask = 1;
      continue;
    }
    if (strcmp(s, "--truncate") == 0) {
      truncate = 1;
      continue;
    }
    if (v == NULL) {
      return cli_fail(CLI_USAGE, cmd, "unknown or incomplete option '%s' (see --help)", s);
    }
    if (strcmp(s, "--dose") == 0) {
      bad = parse_positive(cmd, s, v, 0.0, 1e12, &i0);
    } else if (strcmp(s, "--views") == 0) {
      if (cli_parse_int64(v, &n) != 0 || n < 2 || n > 100000) {
        return cli_fail(CLI_USAGE, cmd, "--views must be 2..100000, got '%s'", v);
      }
      ao.n_views = n;
    } else if (strcmp(s, "--arc") == 0) {
      bad = parse_positive(cmd, s, v, 1.0, 360.0, &ao.arc_deg);
    } else if (strcmp(s, "--duration") == 0) {
      bad = parse_positive(cmd, s, v, 0.0, 3600.0, &ao.duration_s);
    } else if (strcmp(s, "--start") == 0) {
      bad = parse_positive(cmd, s, v, -3600.0, 3600.0, &start);
    } else if (strcmp(s, "--gap") == 0) {
      bad = parse_positive(cmd, s, v, 0.0, 3600.0, &gap);
    } else if (strcmp(s, "--voxel") == 0) {
      bad = parse_positive(cmd, s, v, 0.25, 10.0, &ao.voxel_mm);
    } else if (strcmp(s, "--truth-voxel") == 0) {
      bad = parse_positive(cmd, s, v, 0.25, 10.0, &truth_voxel);
    } else if (strcmp(s, "--truncate-nu") == 0) {
      if (cli_parse_int64(v, &truncate_nu) != 0 || truncate_nu < 1) {
        return cli_fail(CLI_USAGE, cmd, "--truncate-nu must be a positive integer, got '%s'", v);
      }
      truncate = 1;
    } else if (strcmp(s, "--detector") == 0) {
      int64_t d[2];
      if (cli_parse_int64s(v, d, 2) != 0 || d[0] < 1 || d[1] < 1 || d[0] > 8192 || d[1] > 8192) {
        return cli_fail(CLI_USAGE, cmd, "--detector must be NU,NV (1..8192), got '%s'", v);
      }
      ao.nu = d[0];
      ao.nv = d[1];
    } else if (strcmp(s, "--pixel") == 0) {
      bad = parse_positive(cmd, s, v, 0.01, 10.0, &ao.pixel_mm);
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown option '%s' (see --help)", s);
    }
    if (bad != CLI_OK) {
      return CLI_USAGE;
    }
    i++;
  }
  if (!liver) {
    return cli_fail(CLI_USAGE, cmd, "give --liver (the only sweep source so far)");
  }
  if (a.out == NULL) {
    return cli_fail(CLI_USAGE, cmd, "missing -o DIR");
  }
  if (truncate && truncate_nu > ao.nu) {
    return cli_fail(CLI_USAGE, cmd, "--truncate-nu %lld exceeds the detector's %lld columns",
                    (long long)truncate_nu, (long long)ao.nu);
  }
  carm_twin *tw = NULL;
  int rc = build_twin(cmd, &a, &tw);
  if (rc != CLI_OK) {
    return rc;
  }
  sweep_phase phases[3];
  int n_phases = 0;
  carm_sweep_opts base = CARM_SWEEP_INIT;
  base.i0 = i0;
  base.truncate_nu = truncate ? truncate_nu : 0;
  phases[n_phases] = (sweep_phase){"arterial", base};
  phases[n_phases].so.start_s = start;
  phases[n_phases].so.seed = mix_seed(a.twin.seed, 1);
  n_phases++;
  if (dual) {
    phases[n_phases] = (sweep_phase){"delayed", base};
    phases[n_phases].so.start_s = start + ao.duration_s + gap;
    phases[n_phases].so.reverse = 1;
    phases[n_phases].so.seed = mix_seed(a.twin.seed, 2);
    n_phases++;
  }
  if (mask) {
    phases[n_phases] = (sweep_phase){"mask", base};
    phases[n_phases].so.start_s = -ao.duration_s - 15.0;
    phases[n_phases].so.contrast = 0.0;
    phases[n_phases].so.seed = mix_seed(a.twin.seed, 3);
    n_phases++;
  }
  grid_spec tgrid = {truth_voxel, {0, 0, 0}, {1.0, 1.0, 1.0}};
  outputs o = {{NULL}, 0};
  carm_acquire_plan *plan = NULL;
  char *truth_dir = NULL;
  rc = make_dir(cmd, &o, a.out);
  if (rc == CLI_OK) {
    truth_dir = join(a.out, "truth");
    rc = truth_dir != NULL ? make_dir(cmd, &o, truth_dir) : CLI_FAIL;
  }
  if (rc == CLI_OK) {
    ao.progress.fn = cli_progress;
    ao.progress.user = (void *)"sim sweep";
    carm_status st = carm_acquire_plan_create(&plan, tw, &ao);
    if (st != CARM_OK) {
      rc = cli_status(cmd, "projecting the phantom", st);
    }
  }
  for (int p = 0; p < n_phases && rc == CLI_OK; p++) {
    sweep_phase *ph = &phases[p];
    ph->so.progress.fn = phase_progress;
    ph->so.progress.user = (void *)ph->name;
    carm_volume *proj = NULL;
    carm_geometry *geo = NULL;
    carm_status st = carm_acquire_sweep(plan, &ph->so, &proj, &geo);
    if (st != CARM_OK) {
      rc = cli_status(cmd, ph->name, st);
      break;
    }
    char name[64];
    snprintf(name, sizeof name, "%s.mha", ph->name);
    const char *path = track(&o, join(a.out, name));
    st = path != NULL ? carm_image_write(proj, path, NULL) : CARM_ERR_NOMEM;
    if (st == CARM_OK) {
      snprintf(name, sizeof name, "%s.xml", ph->name);
      path = track(&o, join(a.out, name));
      st = path != NULL ? carm_geometry_write_rtk(geo, path) : CARM_ERR_NOMEM;
    }
    double mid = ph->so.start_s + 0.5 * ao.duration_s;
    if (st != CARM_OK) {
      rc = cli_status(cmd, path != NULL ? path : ph->name, st);
    } else {
      snprintf(name, sizeof name, "%s.json", ph->name);
      path = track(&o, join(a.out, name));
      rc = path != NULL ? write_sidecar(cmd, path, ph->name, tw, &ao, ph, geo, proj->dims[0], mid)
                        : CLI_FAIL;
    }
    if (rc == CLI_OK) {
      snprintf(name, sizeof name, "%s.mha", ph->name);
      path = track(&o, join(truth_dir, name));
      if (ph->so.contrast == 0.0) {
        mid = NAN; /* the mask's truth: no contrast at all */
      }
      rc = path != NULL ? write_mu(cmd, tw, mid, &tgrid, path) : CLI_FAIL;
    }
    carm_volume_destroy(proj);
    carm_geometry_destroy(geo);
  }
  if (rc == CLI_OK) {
    rc = write_truth(cmd, tw, truth_dir, &tgrid, &o);
  }
  if (rc == CLI_OK) {
    fprintf(stderr, "carm %s: %d sweep(s), %d tumour(s) -> %s\n", cmd, n_phases, tw->n_tumours,
            a.out);
  }
  outputs_free(&o, rc != CLI_OK);
  free(truth_dir);
  carm_acquire_plan_destroy(plan);
  carm_twin_destroy(tw);
  return rc;
}
