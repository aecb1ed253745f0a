/* Iterative reconstruction for the CLI (carm recon --method sart|cgls|tv,
 * carm dsa): a thin layer over include/carm/iterative.h. */
#include "cli/recon_iter.h"

#include "carm/recon.h"
#include "cli/cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void recon_iter_init(recon_iter_args *a) {
  memset(a, 0, sizeof *a);
  a->opts = (carm_iter_opts)CARM_ITER_INIT;
}

int recon_iter_method(recon_iter_args *a, const char *cmd, const char *name) {
  if (strcmp(name, "fdk") == 0) {
    a->iterative = 0;
    return 0;
  }
  if (carm_iter_method_parse(name, &a->opts.method) != CARM_OK) {
    cli_fail(CLI_USAGE, cmd, "unknown method '%s' (available: fdk, sart, cgls, tv)", name);
    return -1;
  }
  a->iterative = 1;
  return 1;
}

int recon_iter_option(recon_iter_args *a, const char *cmd, const char *opt, const char *val) {
  int64_t n = 0;
  if (strcmp(opt, "--iterations") == 0) {
    if (cli_parse_int64(val, &n) != 0 || n < 1 || n > 100000) {
      cli_fail(CLI_USAGE, cmd, "--iterations wants an integer in 1..100000, not '%s'", val);
      return -1;
    }
    a->opts.iterations = (int)n;
  } else if (strcmp(opt, "--subsets") == 0) {
    if (cli_parse_int64(val, &n) != 0 || n < 1 || n > 100000) {
      cli_fail(CLI_USAGE, cmd, "--subsets wants an integer in 1..100000, not '%s'", val);
      return -1;
    }
    a->opts.subsets = (int)n;
  } else if (strcmp(opt, "--lambda") == 0) {
    if (cli_parse_double(val, &a->lambda) != 0 || !(a->lambda > 0.0)) {
      cli_fail(CLI_USAGE, cmd, "--lambda wants a positive number, not '%s'", val);
      return -1;
    }
    a->have_lambda = 1;
  } else if (strcmp(opt, "--phase2") == 0) {
    a->phase2 = val;
    return 1;
  } else if (strcmp(opt, "--geometry2") == 0) {
    a->geometry2 = val;
    return 1;
  } else if (strcmp(opt, "--output2") == 0) {
    a->output2 = val;
    return 1;
  } else if (strcmp(opt, "--tol") == 0) {
    if (cli_parse_double(val, &a->opts.tol_update) != 0 || !(a->opts.tol_update >= 0.0)) {
      cli_fail(CLI_USAGE, cmd, "--tol wants a number >= 0, not '%s'", val);
      return -1;
    }
  } else {
    return 0;
  }
  a->have_iter_opts = 1;
  return 1;
}

int recon_iter_check(const recon_iter_args *a, const char *cmd) {
  if ((a->phase2 != NULL) != (a->output2 != NULL) || (a->geometry2 != NULL && a->phase2 == NULL)) {
    return cli_fail(CLI_USAGE, cmd, "--phase2 and --output2 go together (--geometry2 with them)");
  }
  if (!a->iterative) {
    if (a->have_iter_opts) {
      return cli_fail(CLI_USAGE, cmd,
                      "--iterations, --subsets, --lambda and --tol need --method sart, cgls or "
                      "tv");
    }
    return CLI_OK;
  }
  if (a->have_lambda) {
    if (a->opts.method == CARM_ITER_CGLS) {
      return cli_fail(CLI_USAGE, cmd, "--lambda does not apply to cgls");
    }
    if (a->opts.method == CARM_ITER_SART && !(a->lambda < 2.0)) {
      return cli_fail(CLI_USAGE, cmd, "--lambda (SART relaxation) must be in (0, 2)");
    }
  }
  return CLI_OK;
}

static int recon_iter_solve(const char *cmd, const recon_iter_args *a, const carm_geometry *geo,
                            const carm_volume *proj, carm_volume *vol, int threads, int quiet);

typedef struct iter_log {
  const char *cmd;
  int quiet;
} iter_log;

static int log_iteration(void *user, const carm_iter_stats *st, const carm_volume *x) {
  (void)x;
  const iter_log *l = user;
  if (!l->quiet) {
    fprintf(stderr, "carm %s: iteration %d: residual %.4g, update %.3g%s (%.2f s)\n", l->cmd,
            st->iteration, st->residual, st->update, "", st->seconds);
  }
  return 0;
}

int recon_iter_run(const char *cmd, const recon_iter_args *a, const carm_geometry *geo,
                   const carm_volume *proj, carm_volume *vol, int threads, int quiet) {
  carm_volume *li = NULL;
  if (a->i0 > 0.0) {
    /* raw intensities to line integrals */
    carm_status cs = carm_volume_clone(&li, proj);
    if (cs != CARM_OK) {
      return cli_status(cmd, "projections", cs);
    }
    for (int64_t i = 0; i < carm_volume_count(li); i++) {
      if (!(li->data[i] > 0.0f)) {
        carm_volume_destroy(li);
        return cli_fail(CLI_FAIL, cmd, "intensity %g at element %lld: --i0 needs I > 0",
                        (double)proj->data[i], (long long)i);
      }
      li->data[i] = (float)log(a->i0 / (double)li->data[i]);
    }
    proj = li;
  }
  int rc = recon_iter_solve(cmd, a, geo, proj, vol, threads, quiet);
  carm_volume_destroy(li);
  if (rc == CLI_OK && a->hu) {
    const double mw = a->water_mu_per_mm > 0.0 ? a->water_mu_per_mm : CARM_MU_WATER_PER_MM;
    for (int64_t i = 0; i < carm_volume_count(vol); i++) {
      vol->data[i] = (float)(1000.0 * ((double)vol->data[i] - mw) / mw);
    }
  }
  return rc;
}

static int recon_iter_solve(const char *cmd, const recon_iter_args *a, const carm_geometry *geo,
                            const carm_volume *proj, carm_volume *vol, int threads, int quiet) {
  carm_iter_opts o = a->opts;
  if (a->have_lambda) {
    if (o.method == CARM_ITER_SART) {
      o.relaxation = a->lambda;
    } else if (o.method == CARM_ITER_TV) {
      o.tv_alpha = a->lambda;
    }
  }
  o.threads = threads;
  iter_log l = {cmd, quiet};
  o.on_iteration = log_iteration;
  o.user = &l;
  if (!quiet) {
    o.progress.fn = cli_progress;
    o.progress.user = (void *)cmd;
  }
  carm_iter_plan *plan = NULL;
  carm_status st = carm_iter_plan_create(&plan, geo, proj, vol, &o);
  if (st != CARM_OK) {
    return cli_status(cmd, "planning the iterative reconstruction", st);
  }
  carm_iter_info info;
  carm_iter_plan_info(plan, &info);
  if (!quiet) {
    fprintf(stderr, "carm %s: %s, %d iterations max, %d subsets, %.0f MiB of buffers\n", cmd,
            carm_iter_method_name(o.method), o.iterations, info.subsets,
            (double)info.buffer_bytes / 1048576.0);
  }
  st = carm_iter_execute(plan, proj, vol);
  carm_iter_plan_destroy(plan);
  if (st != CARM_OK) {
    return cli_status(cmd, "reconstructing", st);
  }
  return CLI_OK;
}

int recon_grid_option(recon_grid_args *g, const char *cmd, const char *opt, const char *val) {
  if (strcmp(opt, "--size") == 0) {
    if (cli_parse_int64s(val, g->size, 3) != 0 || g->size[0] < 1 || g->size[1] < 1 ||
        g->size[2] < 1) {
      cli_fail(CLI_USAGE, cmd, "--size wants three positive integers NX,NY,NZ, not '%s'", val);
      return -1;
    }
    g->have_size = 1;
  } else if (strcmp(opt, "--spacing") == 0) {
    if (cli_parse_doubles(val, g->spacing, 3) != 0 || !(g->spacing[0] > 0) ||
        !(g->spacing[1] > 0) || !(g->spacing[2] > 0)) {
      cli_fail(CLI_USAGE, cmd, "--spacing wants three positive numbers, not '%s'", val);
      return -1;
    }
    g->have_spacing = 1;
  } else if (strcmp(opt, "--origin") == 0) {
    if (cli_parse_doubles(val, g->origin, 3) != 0) {
      cli_fail(CLI_USAGE, cmd, "--origin wants three numbers X,Y,Z, not '%s'", val);
      return -1;
    }
    g->have_origin = 1;
  } else if (strcmp(opt, "--like") == 0) {
    g->like = val;
  } else {
    return 0;
  }
  return 1;
}

/* Field-of-view radius and half height at the isocentre (smallest over
 * the views), as carm recon derives its default grid. */
static void fov(const carm_geometry *geo, const carm_volume *proj, double *radius,
                double *half_height) {
  double r = INFINITY;
  double h = INFINITY;
  for (int64_t k = 0; k < geo->n_views; k++) {
    const carm_view *v = &geo->views[k];
    double u0 = v->source_offset_x_mm - v->proj_offset_x_mm;
    double v0 = v->source_offset_y_mm - v->proj_offset_y_mm;
    double ua = fabs(proj->origin[0] - u0);
    double ub = fabs(proj->origin[0] + (double)(proj->dims[0] - 1) * proj->spacing[0] - u0);
    double va = fabs(proj->origin[1] - v0);
    double vb = fabs(proj->origin[1] + (double)(proj->dims[1] - 1) * proj->spacing[1] - v0);
    double sdd = v->sdd_mm > 0.0 ? v->sdd_mm : v->sid_mm;
    r = fmin(r, v->sid_mm * sin(atan(fmax(ua, ub) / sdd)));
    h = fmin(h, fmax(va, vb) * v->sid_mm / sdd);
  }
  *radius = r;
  *half_height = h;
}

int recon_grid_volume(carm_volume **out, const recon_grid_args *g, const char *cmd,
                      const carm_geometry *geo, const carm_volume *proj) {
  carm_volume *vol = NULL;
  if (g->like != NULL) {
    if (g->have_size || g->have_spacing || g->have_origin) {
      return cli_fail(CLI_USAGE, cmd, "--like excludes --size, --spacing and --origin");
    }
    carm_volume *ref = NULL;
    carm_status st = carm_image_read(&ref, NULL, g->like);
    if (st == CARM_OK) {
      st = carm_volume_create_like(&vol, ref);
    }
    carm_volume_destroy(ref);
    if (st != CARM_OK) {
      return cli_status(cmd, g->like, st);
    }
    *out = vol;
    return CLI_OK;
  }
  int64_t size[3];
  double spacing[3];
  double origin[3];
  double r = 0.0;
  double hh = 0.0;
  fov(geo, proj, &r, &hh);
  /* the patient axis along the rotation axis (world y) gets the height */
  double w[3][3];
  carm_patient_to_world(geo->patient, w);
  int ax = 0;
  for (int a = 1; a < 3; a++) {
    ax = fabs(w[1][a]) > fabs(w[1][ax]) ? a : ax;
  }
  for (int a = 0; a < 3; a++) {
    double extent = a == ax ? 2.0 * hh : 2.0 * r;
    size[a] =
        g->have_size ? g->size[a] : (g->have_spacing ? (int64_t)ceil(extent / g->spacing[a]) : 256);
    size[a] = size[a] < 1 ? 1 : size[a];
    spacing[a] = g->have_spacing ? g->spacing[a] : extent / (double)size[a];
  }
  if (!g->have_spacing) {
    spacing[ax] = spacing[ax == 0 ? 1 : 0]; /* isotropic: the in-plane spacing */
    if (!g->have_size) {
      size[ax] = (int64_t)ceil(2.0 * hh / spacing[ax]);
      size[ax] = size[ax] < 1 ? 1 : size[ax];
    }
  }
  if (!(spacing[0] > 0.0) || !isfinite(spacing[0]) || !isfinite(spacing[1]) ||
      !isfinite(spacing[2])) {
    return cli_fail(CLI_FAIL, cmd,
                    "could not derive a default grid from the geometry: give --size, "
                    "--spacing and --origin");
  }
  for (int a = 0; a < 3; a++) {
    origin[a] = g->have_origin ? g->origin[a] : -0.5 * (double)(size[a] - 1) * spacing[a];
  }
  carm_status st = carm_volume_create(&vol, size);
  if (st != CARM_OK) {
    return cli_status(cmd, "volume", st);
  }
  for (int a = 0; a < 3; a++) {
    vol->spacing[a] = spacing[a];
    vol->origin[a] = origin[a];
  }
  *out = vol;
  return CLI_OK;
}

int recon_phase2(const char *cmd, const recon_iter_args *a, const carm_geometry *geo,
                 const carm_volume *vol, const struct carm_fdk_opts *fdk, int threads, int quiet) {
  if (a->phase2 == NULL) {
    return CLI_OK;
  }
  int rc = CLI_FAIL;
  carm_geometry *geo2 = NULL;
  carm_volume *proj2 = NULL;
  carm_volume *vol2 = NULL;
  carm_fdk_plan *plan = NULL;
  carm_status st = CARM_OK;
  if (a->geometry2 != NULL) {
    st = carm_geometry_read_rtk(&geo2, a->geometry2);
    if (st != CARM_OK) {
      rc = cli_status(cmd, a->geometry2, st);
      goto cleanup;
    }
  }
  const carm_geometry *g = geo2 != NULL ? geo2 : geo;
  st = carm_image_read(&proj2, NULL, a->phase2);
  if (st != CARM_OK) {
    rc = cli_status(cmd, a->phase2, st);
    goto cleanup;
  }
  if (proj2->dims[2] != g->n_views) {
    rc = cli_fail(CLI_FAIL, cmd, "%s has %lld views but its geometry describes %lld", a->phase2,
                  (long long)proj2->dims[2], (long long)g->n_views);
    goto cleanup;
  }
  if (g->patient != geo->patient) {
    rc = cli_fail(CLI_FAIL, cmd,
                  "the two phases have different patient positions: they would not fuse");
    goto cleanup;
  }
  /* the same grid as the first phase, so the two fuse without registration */
  st = carm_volume_create_like(&vol2, vol);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "volume", st);
    goto cleanup;
  }
  if (!quiet) {
    fprintf(stderr, "carm %s: second phase %s (%lld views) on the same grid\n", cmd, a->phase2,
            (long long)g->n_views);
  }
  if (a->iterative) {
    rc = recon_iter_run(cmd, a, g, proj2, vol2, threads, quiet);
    if (rc != CLI_OK) {
      goto cleanup;
    }
  } else {
    carm_fdk_opts o = fdk != NULL ? *fdk : (carm_fdk_opts)CARM_FDK_INIT;
    st = carm_fdk_plan_create(&plan, g, proj2, vol2, &o);
    if (st == CARM_OK) {
      st = carm_fdk_execute(plan, proj2, vol2);
    }
    if (st != CARM_OK) {
      rc = cli_status(cmd, "reconstructing the second phase", st);
      goto cleanup;
    }
  }
  st = carm_image_write(vol2, a->output2, NULL);
  if (st != CARM_OK) {
    rc = cli_status(cmd, a->output2, st);
    goto cleanup;
  }
  if (!quiet) {
    fprintf(stderr, "carm %s: wrote %s\n", cmd, a->output2);
  }
  rc = CLI_OK;
cleanup:
  carm_fdk_plan_destroy(plan);
  carm_volume_destroy(vol2);
  carm_volume_destroy(proj2);
  carm_geometry_destroy(geo2);
  return rc;
}

int recon_iter_write(const char *cmd, const recon_iter_args *a, const carm_geometry *geo,
                     const carm_volume *proj, carm_volume *vol, const struct carm_fdk_opts *fdk,
                     const char *output, int quiet) {
  const int threads = fdk != NULL ? fdk->threads : 0;
  int rc = recon_iter_run(cmd, a, geo, proj, vol, threads, quiet);
  if (rc == CLI_OK) {
    rc = recon_phase2(cmd, a, geo, vol, fdk, threads, quiet);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  carm_status st = carm_image_write(vol, output, NULL);
  if (st != CARM_OK) {
    return cli_status(cmd, output, st);
  }
  if (!quiet) {
    fprintf(stderr, "carm %s: wrote %s\n", cmd, output);
  }
  return CLI_OK;
}
