/* carm dsa: 3D digital subtraction angiography from a mask and a contrast
 * sweep of the same trajectory. */
#include "cli/cli.h"
#include "cli/recon_iter.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char carm_cmd_dsa_summary[] = "3D-DSA: subtract a mask sweep from a contrast sweep and "
                                    "reconstruct the vessels";

const char carm_cmd_dsa_usage[] =
    "usage: carm dsa --mask MASK.mha --contrast CONTRAST.mha --geometry G.xml\n"
    "                [--geometry-mask GM.xml] [grid] [options] -o DSA.mha\n"
    "\n"
    "Reconstruct a vessel-only volume from two sweeps of one trajectory: the mask\n"
    "(before contrast) and the contrast sweep (projection stacks of line integrals,\n"
    "or raw intensities with --i0).\n"
    "  --mode projection      (default) subtract view by view in the line-integral\n"
    "                         domain (contrast - mask), then reconstruct once; the\n"
    "                         two geometries must match view by view within the\n"
    "                         tolerances\n"
    "  --mode volume          reconstruct both sweeps on the same grid and subtract\n"
    "                         the volumes (for comparison)\n"
    "  --geometry-mask GM.xml geometry of the mask sweep (default: G.xml)\n"
    "  --tol-mm T             largest difference of SID, SDD, offsets (default 1)\n"
    "  --tol-deg T            largest difference of the angles (default 0.2)\n"
    "  --i0 I0                the stacks hold raw intensities with this I0\n"
    "  --clamp                set negative differences to 0 (projection mode)\n"
    "  --filter NAME          FDK window: ram-lak (default), shepp-logan, cosine,\n"
    "                         hamming, hann\n"
    "  --threads N            threads (default: all)\n"
    "  --quiet                no progress\n"
    "grid (as carm recon):\n" RECON_GRID_HELP "reconstruction:\n" RECON_ITER_HELP "\n"
    "example:\n"
    "  carm dsa --mask mask.mha --contrast arterial.mha --geometry sweep.xml \\\n"
    "      --size 256,256,256 --spacing 1,1,1 -o dsa.mha\n";

static int reconstruct(const char *cmd, const recon_iter_args *ia, carm_filter_window fdk_window,
                       const carm_geometry *geo, const carm_volume *proj, carm_volume *vol,
                       int threads, int quiet) {
  if (ia->iterative) {
    return recon_iter_run(cmd, ia, geo, proj, vol, threads, quiet);
  }
  carm_fdk_opts o = CARM_FDK_INIT;
  o.threads = threads;
  o.window = fdk_window;
  if (!quiet) {
    o.progress.fn = cli_progress;
    o.progress.user = (void *)cmd;
  }
  carm_fdk_plan *plan = NULL;
  carm_status st = carm_fdk_plan_create(&plan, geo, proj, vol, &o);
  if (st == CARM_OK) {
    st = carm_fdk_execute(plan, proj, vol);
  }
  carm_fdk_plan_destroy(plan);
  if (st != CARM_OK) {
    return cli_status(cmd, "reconstructing (FDK)", st);
  }
  return CLI_OK;
}

int carm_cmd_dsa(int argc, char **argv) {
  const char *cmd = "dsa";
  if (cli_wants_help(argc, argv)) {
    fputs(carm_cmd_dsa_usage, stdout);
    return CLI_OK;
  }
  const char *mask_path = NULL;
  const char *contrast_path = NULL;
  const char *geo_path = NULL;
  const char *geo_mask_path = NULL;
  const char *output = NULL;
  const char *mode = "projection";
  int quiet = 0;
  int threads = 0;
  carm_dsa_opts dopts = CARM_DSA_INIT;
  recon_grid_args ga;
  memset(&ga, 0, sizeof ga);
  recon_iter_args ia;
  recon_iter_init(&ia);
  carm_filter_window fdk_window = CARM_FILTER_RAM_LAK;
  const char *method = "fdk";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--quiet") == 0) {
      quiet = 1;
      continue;
    }
    if (strcmp(a, "--clamp") == 0) {
      dopts.clamp_negative = 1;
      continue;
    }
    if (val == NULL) {
      return cli_fail(CLI_USAGE, cmd, "%s needs a value or is unknown (see carm dsa --help)", a);
    }
    int r = recon_grid_option(&ga, cmd, a, val);
    if (r == 0) {
      r = recon_iter_option(&ia, cmd, a, val);
    }
    if (r < 0) {
      return CLI_USAGE;
    }
    if (r > 0) {
      i++;
      continue;
    }
    if (strcmp(a, "--mask") == 0) {
      mask_path = val;
    } else if (strcmp(a, "--contrast") == 0) {
      contrast_path = val;
    } else if (strcmp(a, "--geometry") == 0) {
      geo_path = val;
    } else if (strcmp(a, "--geometry-mask") == 0) {
      geo_mask_path = val;
    } else if (strcmp(a, "--output") == 0 || strcmp(a, "-o") == 0) {
      output = val;
    } else if (strcmp(a, "--mode") == 0) {
      mode = val;
    } else if (strcmp(a, "--method") == 0) {
      method = val;
    } else if (strcmp(a, "--filter") == 0) {
      if (carm_filter_window_parse(val, &fdk_window) != CARM_OK) {
        return cli_fail(CLI_USAGE, cmd, "%s", carm_last_error());
      }
    } else if (strcmp(a, "--tol-mm") == 0) {
      if (cli_parse_double(val, &dopts.tol_mm) != 0 || !(dopts.tol_mm >= 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--tol-mm wants a number >= 0, not '%s'", val);
      }
    } else if (strcmp(a, "--tol-deg") == 0) {
      if (cli_parse_double(val, &dopts.tol_deg) != 0 || !(dopts.tol_deg >= 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--tol-deg wants a number >= 0, not '%s'", val);
      }
    } else if (strcmp(a, "--i0") == 0) {
      if (cli_parse_double(val, &dopts.i0) != 0 || !(dopts.i0 > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--i0 wants a positive number, not '%s'", val);
      }
    } else if (strcmp(a, "--threads") == 0) {
      int64_t t = 0;
      if (cli_parse_int64(val, &t) != 0 || t < 1 || t > 1024) {
        return cli_fail(CLI_USAGE, cmd, "--threads wants an integer in 1..1024, not '%s'", val);
      }
      threads = (int)t;
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown option '%s' (see carm dsa --help)", a);
    }
    i++;
  }
  if (mask_path == NULL || contrast_path == NULL || geo_path == NULL || output == NULL) {
    return cli_fail(CLI_USAGE, cmd,
                    "needs --mask, --contrast, --geometry and -o (see carm dsa --help)");
  }
  int by_volume = 0;
  if (strcmp(mode, "volume") == 0) {
    by_volume = 1;
  } else if (strcmp(mode, "projection") != 0) {
    return cli_fail(CLI_USAGE, cmd, "--mode wants projection or volume, not '%s'", mode);
  }
  if (recon_iter_method(&ia, cmd, method) < 0) {
    return CLI_USAGE;
  }
  int rc = recon_iter_check(&ia, cmd);
  if (rc != CLI_OK) {
    return rc;
  }
  rc = CLI_FAIL;
  carm_geometry *geo = NULL;
  carm_geometry *geo_mask = NULL;
  carm_volume *mask = NULL;
  carm_volume *contrast = NULL;
  carm_volume *diff = NULL;
  carm_volume *vol = NULL;
  carm_volume *vol_mask = NULL;
  carm_volume *result = NULL;
  carm_status st = carm_geometry_read_rtk(&geo, geo_path);
  if (st != CARM_OK) {
    rc = cli_status(cmd, geo_path, st);
    goto cleanup;
  }
  if (geo_mask_path != NULL) {
    st = carm_geometry_read_rtk(&geo_mask, geo_mask_path);
    if (st != CARM_OK) {
      rc = cli_status(cmd, geo_mask_path, st);
      goto cleanup;
    }
  }
  st = carm_image_read(&mask, NULL, mask_path);
  if (st != CARM_OK) {
    rc = cli_status(cmd, mask_path, st);
    goto cleanup;
  }
  st = carm_image_read(&contrast, NULL, contrast_path);
  if (st != CARM_OK) {
    rc = cli_status(cmd, contrast_path, st);
    goto cleanup;
  }
  /* the same checks in both modes: the sweeps must be of one trajectory */
  st = carm_dsa_subtract_projections(&diff, contrast, geo, mask, geo_mask, &dopts);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "subtracting the mask", st);
    goto cleanup;
  }
  rc = recon_grid_volume(&vol, &ga, cmd, geo, contrast);
  if (rc != CLI_OK) {
    goto cleanup;
  }
  rc = CLI_FAIL;
  if (!by_volume) {
    rc = reconstruct(cmd, &ia, fdk_window, geo, diff, vol, threads, quiet);
    if (rc != CLI_OK) {
      goto cleanup;
    }
    result = vol;
    vol = NULL;
  } else {
    /* line integrals of each sweep (log(I0 / I) for raw intensities) */
    carm_volume *sweeps[2] = {contrast, mask};
    if (dopts.i0 > 0.0) {
      for (int s = 0; s < 2; s++) {
        for (int64_t i = 0; i < carm_volume_count(sweeps[s]); i++) {
          sweeps[s]->data[i] = (float)log(dopts.i0 / (double)sweeps[s]->data[i]);
        }
      }
    }
    st = carm_volume_create_like(&vol_mask, vol);
    if (st != CARM_OK) {
      rc = cli_status(cmd, "volume", st);
      goto cleanup;
    }
    rc = reconstruct(cmd, &ia, fdk_window, geo, contrast, vol, threads, quiet);
    if (rc == CLI_OK) {
      rc = reconstruct(cmd, &ia, fdk_window, geo_mask != NULL ? geo_mask : geo, mask, vol_mask,
                       threads, quiet);
    }
    if (rc != CLI_OK) {
      goto cleanup;
    }
    st = carm_dsa_subtract_volumes(&result, vol, vol_mask);
    if (st != CARM_OK) {
      rc = cli_status(cmd, "subtracting the volumes", st);
      goto cleanup;
    }
  }
  st = carm_image_write(result, output, NULL);
  if (st != CARM_OK) {
    rc = cli_status(cmd, output, st);
    goto cleanup;
  }
  if (!quiet) {
    fprintf(stderr, "carm dsa: wrote %s (%s subtraction)\n", output,
            by_volume ? "volume" : "line-integral");
  }
  rc = CLI_OK;
cleanup:
  carm_volume_destroy(result);
  carm_volume_destroy(vol_mask);
  carm_volume_destroy(vol);
  carm_volume_destroy(diff);
  carm_volume_destroy(contrast);
  carm_volume_destroy(mask);
  carm_geometry_destroy(geo_mask);
  carm_geometry_destroy(geo);
  return rc;
}
