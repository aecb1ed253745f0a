/* carm recon: reconstruct a volume from a projection stack and its geometry.
 * One method today (fdk); --method dispatches so iterative methods can be
 * added as further library calls. */
#include "carm/dicom.h"
#include "cli/cli.h"
#include "cli/recon_iter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char carm_cmd_recon_summary[] = "reconstruct a volume from projections (FDK)";

const char carm_cmd_recon_usage[] =
    "usage: carm recon --geometry G.xml [grid] --output OUT.mha [options] PROJECTIONS.mha\n"
    "       carm recon [--geometry G.xml] [grid] --output OUT.mha --i0 I0 RUN.dcm\n"
    "  (a DICOM rotational XA run: its frames are intensities, its positioner\n"
    "   angles and distances the geometry unless --geometry is given)\n"
    "\n"
    "Reconstruct the projection stack (x = u, y = v, z = view; line integrals,\n"
    "or raw intensities with --i0) acquired with the RTK geometry G.xml.\n"
    "\n"
    "grid (default: 256^3 voxels covering the field of view, centred on the\n"
    "isocentre):\n"
    "  --size NX,NY,NZ        voxels\n"
    "  --spacing SX,SY,SZ     mm\n"
    "  --origin X,Y,Z         mm, centre of the first voxel (default: centred)\n"
    "  --like REF             take the grid from an image\n"
    "options:\n" RECON_ITER_HELP
    "  --filter NAME          ram-lak (default), shepp-logan, cosine, hamming, hann\n"
    "  --cutoff F             window cut-off, fraction of Nyquist in (0, 1] (default 1)\n"
    "  --short-scan MODE      Parker weights: auto (default), on, off\n"
    "  --displaced MODE       Wang weights for a displaced detector: auto, on, off\n"
    "  --pad F                lateral truncation extrapolation: room on each side,\n"
    "                         fraction of the detector width, for the water\n"
    "                         cylinder that continues each row's edge value and\n"
    "                         slope (default 0.5, 0 off)\n"
    "  --no-zero-pad          shortest FFT (wrap-around; for comparisons only)\n"
    "  --i0 I0                input holds raw intensities; use log(I0 / I)\n"
    "  --hu                   output Hounsfield units (default: attenuation, 1/mm)\n"
    "  --water-mu MU          water attenuation for --hu, 1/mm (default 0.0206)\n"
    "  --threads N            threads (default: all)\n"
    "  --batch N              views per pass over the volume (default 8)\n"
    "  --quiet                no progress\n" RECON_PHASE2_HELP "\n"
    "example:\n"
    "  carm recon --geometry sweep.xml --size 256,256,256 --spacing 1,1,1 \\\n"
    "      --origin -127.5,-127.5,-127.5 --hu --output volume.mha sweep.mha\n";

static int parse_switch(const char *s, carm_switch *out) {
  if (strcmp(s, "auto") == 0) {
    *out = CARM_AUTO;
  } else if (strcmp(s, "on") == 0) {
    *out = CARM_ON;
  } else if (strcmp(s, "off") == 0) {
    *out = CARM_OFF;
  } else {
    return -1;
  }
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A DICOM file: "DICM" after the 128-byte preamble. */
static int is_dicom(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return 0;
  }
  char buf[132];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return n == sizeof buf && memcmp(buf + 128, "DICM", 4) == 0;
}

int carm_cmd_recon(int argc, char **argv) {
  const char *cmd = "recon";
  if (cli_wants_help(argc, argv)) {
    fputs(carm_cmd_recon_usage, stdout);
    return CLI_OK;
  }
  const char *geometry = NULL;
  const char *output = NULL;
  const char *input = NULL;
  const char *like = NULL;
  const char *method = "fdk";
  int64_t size[3] = {0, 0, 0};
  double spacing[3] = {0, 0, 0};
  double origin[3] = {0, 0, 0};
  int have_size = 0;
  int have_spacing = 0;
  int have_origin = 0;
  int quiet = 0;
  carm_fdk_opts o = CARM_FDK_INIT;
  recon_iter_args ia; /* iterative methods and dual phase: src/cli/recon_iter.c */
  recon_iter_init(&ia);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    int takes = 1;
    if (strcmp(a, "--hu") == 0) {
      o.hu = 1;
      takes = 0;
    } else if (strcmp(a, "--quiet") == 0) {
      quiet = 1;
      takes = 0;
    } else if (strcmp(a, "--no-zero-pad") == 0) {
      o.zero_pad = 0;
      takes = 0;
    } else if (a[0] == '-' && a[1] == '-' && val == NULL) {
      return cli_fail(CLI_USAGE, cmd, "%s needs a value (see carm recon --help)", a);
    }
    if (!takes) {
      continue;
    }
    int iter_opt = recon_iter_option(&ia, cmd, a, val);
    if (iter_opt < 0) {
      return CLI_USAGE;
    }
    if (iter_opt > 0) {
      /* consumed with its value */
    } else if (strcmp(a, "--geometry") == 0) {
      geometry = val;
    } else if (strcmp(a, "--output") == 0 || strcmp(a, "-o") == 0) {
      output = val;
    } else if (strcmp(a, "--like") == 0) {
      like = val;
    } else if (strcmp(a, "--method") == 0) {
      method = val;
    } else if (strcmp(a, "--size") == 0) {
      if (cli_parse_int64s(val, size, 3) != 0 || size[0] < 1 || size[1] < 1 || size[2] < 1) {
        return cli_fail(CLI_USAGE, cmd, "--size wants three positive integers NX,NY,NZ, not '%s'",
                        val);
      }
      have_size = 1;
    } else if (strcmp(a, "--spacing") == 0) {
      if (cli_parse_doubles(val, spacing, 3) != 0 || !(spacing[0] > 0) || !(spacing[1] > 0) ||
          !(spacing[2] > 0)) {
        return cli_fail(CLI_USAGE, cmd, "--spacing wants three positive numbers, not '%s'", val);
      }
      have_spacing = 1;
    } else if (strcmp(a, "--origin") == 0) {
      if (cli_parse_doubles(val, origin, 3) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--origin wants three numbers X,Y,Z, not '%s'", val);
      }
      have_origin = 1;
    } else if (strcmp(a, "--filter") == 0) {
      if (carm_filter_window_parse(val, &o.window) != CARM_OK) {
        return cli_fail(CLI_USAGE, cmd, "%s", carm_last_error());
      }
    } else if (strcmp(a, "--cutoff") == 0) {
      if (cli_parse_double(val, &o.cutoff) != 0 || !(o.cutoff > 0.0 && o.cutoff <= 1.0)) {
        return cli_fail(CLI_USAGE, cmd, "--cutoff wants a number in (0, 1], not '%s'", val);
      }
    } else if (strcmp(a, "--short-scan") == 0) {
      if (parse_switch(val, &o.short_scan) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--short-scan wants auto, on or off, not '%s'", val);
      }
    } else if (strcmp(a, "--displaced") == 0) {
      if (parse_switch(val, &o.displaced) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--displaced wants auto, on or off, not '%s'", val);
      }
    } else if (strcmp(a, "--pad") == 0) {
      if (cli_parse_double(val, &o.extrapolate) != 0 ||
          !(o.extrapolate >= 0.0 && o.extrapolate <= 2.0)) {
        return cli_fail(CLI_USAGE, cmd, "--pad wants a fraction in [0, 2], not '%s'", val);
      }
    } else if (strcmp(a, "--i0") == 0) {
      if (cli_parse_double(val, &o.i0) != 0 || !(o.i0 > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--i0 wants a positive number, not '%s'", val);
      }
    } else if (strcmp(a, "--water-mu") == 0) {
      if (cli_parse_double(val, &o.water_mu_per_mm) != 0 || !(o.water_mu_per_mm > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--water-mu wants a positive number (1/mm), not '%s'", val);
      }
    } else if (strcmp(a, "--threads") == 0) {
      int64_t t = 0;
      if (cli_parse_int64(val, &t) != 0 || t < 1 || t > 1024) {
        return cli_fail(CLI_USAGE, cmd, "--threads wants an integer in 1..1024, not '%s'", val);
      }
      o.threads = (int)t;
    } else if (strcmp(a, "--batch") == 0) {
      int64_t t = 0;
      if (cli_parse_int64(val, &t) != 0 || t < 1 || t > 4096) {
        return cli_fail(CLI_USAGE, cmd, "--batch wants an integer in 1..4096, not '%s'", val);
      }
      o.batch_views = (int)t;
    } else if (a[0] == '-' && a[1] != '\0') {
      return cli_fail(CLI_USAGE, cmd, "unknown option '%s' (see carm recon --help)", a);
    } else {
      if (input != NULL) {
        return cli_fail(CLI_USAGE, cmd, "one projection stack only ('%s' and '%s')", input, a);
      }
      input = a;
      continue;
    }
    i++;
  }
  if (recon_iter_method(&ia, cmd, method) < 0) {
    return CLI_USAGE;
  }
  if (recon_iter_check(&ia, cmd) != CLI_OK) {
    return CLI_USAGE;
  }
  const int dicom_input = input != NULL && is_dicom(input);
  if ((geometry == NULL && !dicom_input) || output == NULL || input == NULL) {
    return cli_fail(CLI_USAGE, cmd,
                    "needs --geometry, --output and a projection stack (see carm recon --help)");
  }
  if (like != NULL && (have_size || have_spacing || have_origin)) {
    return cli_fail(CLI_USAGE, cmd, "--like excludes --size, --spacing and --origin");
  }
  {
    const char *const inputs[3] = {input, geometry, like};
    int rc_out = cli_check_output(cmd, output, inputs, 3);
    if (rc_out != CLI_OK) {
      return rc_out;
    }
  }

  int rc = CLI_FAIL;
  carm_geometry *geo = NULL;
  carm_volume *proj = NULL;
  carm_volume *vol = NULL;
  carm_fdk_plan *plan = NULL;
  carm_status st = CARM_OK;
  if (dicom_input) {
    /* a rotational XA run: its frames and its nominal (positioner) geometry;
     * --geometry, when given, replaces the nominal geometry */
    carm_dicom_xa_opts xo = CARM_DICOM_XA_INIT;
    carm_geometry *nominal = NULL;
    st = carm_dicom_read_xa(&proj, &nominal, NULL, input, &xo);
    if (st != CARM_OK) {
      rc = cli_status(cmd, input, st);
      goto cleanup;
    }
    if (geometry == NULL) {
      geo = nominal;
    } else {
      carm_geometry_destroy(nominal);
    }
  } else if ((st = carm_image_read(&proj, NULL, input)) != CARM_OK) {
    rc = cli_status(cmd, input, st);
    goto cleanup;
  }
  if (geometry != NULL && (st = carm_geometry_read_rtk(&geo, geometry)) != CARM_OK) {
    rc = cli_status(cmd, geometry, st);
    goto cleanup;
  }
  if (geometry == NULL) {
    geometry = input;
  }
  if (proj->dims[2] != geo->n_views) {
    rc = cli_fail(CLI_FAIL, cmd, "%s has %lld views but %s describes %lld", input,
                  (long long)proj->dims[2], geometry, (long long)geo->n_views);
    goto cleanup;
  }
  recon_grid_args grid = {{size[0], size[1], size[2]},
                          {spacing[0], spacing[1], spacing[2]},
                          {origin[0], origin[1], origin[2]},
                          have_size,
                          have_spacing,
                          have_origin,
                          like};
  rc = recon_grid_volume(&vol, &grid, cmd, geo, proj);
  if (rc != CLI_OK) {
    goto cleanup;
  }
  rc = CLI_FAIL;
  if (!quiet) {
    o.progress.fn = cli_progress;
    o.progress.user = (void *)cmd;
  }
  ia.i0 = o.i0;
  ia.hu = o.hu;
  ia.water_mu_per_mm = o.water_mu_per_mm;
  if (ia.iterative) {
    rc = recon_iter_write(cmd, &ia, geo, proj, vol, &o, output, quiet);
    goto cleanup;
  }
  double t0 = now_s();
  st = carm_fdk_plan_create(&plan, geo, proj, vol, &o);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "planning FDK", st);
    goto cleanup;
  }
  carm_fdk_info info;
  carm_fdk_plan_info(plan, &info);
  if (!quiet) {
    fprintf(stderr,
            "carm recon: %lld views, %s (coverage %.1f deg, fan %.1f deg), grid %lldx%lldx%lld "
            "at %.3gx%.3gx%.3g mm\n",
            (long long)geo->n_views,
            info.short_scan ? "short scan with Parker weights" : "full scan",
            info.coverage_rad * 180.0 / M_PI, info.fan_angle_rad * 180.0 / M_PI,
            (long long)vol->dims[0], (long long)vol->dims[1], (long long)vol->dims[2],
            vol->spacing[0], vol->spacing[1], vol->spacing[2]);
  }
  st = carm_fdk_execute(plan, proj, vol);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "reconstructing", st);
    goto cleanup;
  }
  double t1 = now_s();
  double fs = 0.0;
  double bs = 0.0;
  carm_fdk_plan_timing(plan, &fs, &bs);
  rc = recon_phase2(cmd, &ia, geo, vol, &o, o.threads, quiet);
  if (rc != CLI_OK) {
    goto cleanup;
  }
  rc = CLI_FAIL;
  st = carm_image_write(vol, output, NULL);
  if (st != CARM_OK) {
    rc = cli_status(cmd, output, st);
    goto cleanup;
  }
  if (!quiet) {
    double gups = (double)geo->n_views * (double)carm_volume_count(vol) / bs / 1e9;
    fprintf(stderr,
            "carm recon: wrote %s (%.2f s: filter %.2f s, backprojection %.2f s = %.2f GUPS)\n",
            output, t1 - t0, fs, bs, gups);
  }
  rc = CLI_OK;
cleanup:
  carm_fdk_plan_destroy(plan);
  carm_volume_destroy(vol);
  carm_volume_destroy(proj);
  carm_geometry_destroy(geo);
  return rc;
}
