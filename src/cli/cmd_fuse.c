/* carm fuse: colour fusion of the arterial and delayed volumes of one
 * injection (reconstructed on one grid): arterial vessels in red over the
 * grey parenchyma of the delayed phase. */
#include "cli/cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char carm_cmd_fuse_summary[] =
    "colour fusion of arterial vessels over the delayed phase (PNG, volume)";

const char carm_cmd_fuse_usage[] =
    "usage: carm fuse ARTERIAL.mha DELAYED.mha -o FUSION.png [options]\n"
    "\n"
    "The two volumes of one injection, on the same grid (carm recon --phase2\n"
    "writes them so): the picture shows the delayed phase in grey and the\n"
    "arterial enhancement (arterial - delayed above a threshold: arteries and\n"
    "hypervascular lesions) in red, as a maximum intensity projection.\n"
    "  --volume FUSION.mha    also write the enhancement volume (0 below the\n"
    "                         threshold), on the same grid, as a colour overlay\n"
    "                         for viewers\n"
    "  --mode mpr|mip         the grey delayed phase as a slice (default) or a MIP\n"
    "  --plane axial|coronal|sagittal   (default coronal)\n"
    "  --position MM          slice/slab centre along the plane normal (default:\n"
    "                         the volume centre)\n"
    "  --slab MM              thickness of the slab shown (default: whole volume)\n"
    "  --window W --level L   grey window (default: soft tissue, 350/80 HU or the\n"
    "                         same in attenuation)\n"
    "  --threshold T          enhancement threshold, volume units (default: a fifth\n"
    "                         of the 99.9th percentile)\n"
    "  --pixel MM             picture pixel size (default: the finest spacing)\n"
    "\n"
    "example:\n"
    "  carm fuse arterial.mha delayed.mha -o fusion.png --volume fusion.mha\n";

int carm_cmd_fuse(int argc, char **argv) {
  const char *cmd = "fuse";
  if (cli_wants_help(argc, argv)) {
    fputs(carm_cmd_fuse_usage, stdout);
    return CLI_OK;
  }
  const char *inputs[2] = {NULL, NULL};
  int n_in = 0;
  const char *out = NULL;
  const char *vol_out = NULL;
  double window = NAN;
  double level = NAN;
  carm_fusion_opts fo = CARM_FUSION_INIT;
  fo.render.plane = CARM_PLANE_CORONAL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (a[0] != '-') {
      if (n_in == 2) {
        return cli_fail(CLI_USAGE, cmd, "two volumes only: ARTERIAL and DELAYED");
      }
      inputs[n_in++] = a;
      continue;
    }
    if (v == NULL) {
      return cli_fail(CLI_USAGE, cmd, "%s needs a value or is unknown (see carm fuse --help)", a);
    }
    if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      out = v;
    } else if (strcmp(a, "--volume") == 0) {
      vol_out = v;
    } else if (strcmp(a, "--mode") == 0) {
      if (strcmp(v, "mpr") == 0) {
        fo.render.mode = CARM_RENDER_MPR;
      } else if (strcmp(v, "mip") == 0) {
        fo.render.mode = CARM_RENDER_MIP;
      } else {
        return cli_fail(CLI_USAGE, cmd, "--mode must be mpr or mip, not '%s'", v);
      }
    } else if (strcmp(a, "--plane") == 0) {
      if (strcmp(v, "axial") == 0) {
        fo.render.plane = CARM_PLANE_AXIAL;
      } else if (strcmp(v, "coronal") == 0) {
        fo.render.plane = CARM_PLANE_CORONAL;
      } else if (strcmp(v, "sagittal") == 0) {
        fo.render.plane = CARM_PLANE_SAGITTAL;
      } else {
        return cli_fail(CLI_USAGE, cmd, "--plane must be axial, coronal or sagittal");
      }
    } else if (strcmp(a, "--position") == 0) {
      if (cli_parse_double(v, &fo.render.position_mm) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--position wants a number (mm), not '%s'", v);
      }
    } else if (strcmp(a, "--slab") == 0) {
      if (cli_parse_double(v, &fo.render.slab_mm) != 0 || !(fo.render.slab_mm > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--slab wants a positive number (mm), not '%s'", v);
      }
    } else if (strcmp(a, "--window") == 0) {
      if (cli_parse_double(v, &window) != 0 || !(window > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--window wants a positive number, not '%s'", v);
      }
    } else if (strcmp(a, "--level") == 0) {
      if (cli_parse_double(v, &level) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--level wants a number, not '%s'", v);
      }
    } else if (strcmp(a, "--threshold") == 0) {
      if (cli_parse_double(v, &fo.threshold) != 0 || !(fo.threshold > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--threshold wants a positive number, not '%s'", v);
      }
    } else if (strcmp(a, "--pixel") == 0) {
      if (cli_parse_double(v, &fo.render.pixel_mm) != 0 || !(fo.render.pixel_mm > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--pixel wants a positive number (mm), not '%s'", v);
      }
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown option '%s' (see carm fuse --help)", a);
    }
    i++;
  }
  if (n_in != 2 || out == NULL) {
    return cli_fail(CLI_USAGE, cmd, "needs ARTERIAL DELAYED and -o OUT.png (see --help)");
  }
  if (!cli_has_suffix(out, ".png")) {
    return cli_fail(CLI_USAGE, cmd, "the output picture must be a .png file");
  }
  int rc = CLI_FAIL;
  carm_volume *art = NULL;
  carm_volume *del = NULL;
  carm_volume *enh = NULL;
  carm_picture *pic = NULL;
  carm_status st = carm_image_read(&art, NULL, inputs[0]);
  if (st != CARM_OK) {
    rc = cli_status(cmd, inputs[0], st);
    goto cleanup;
  }
  st = carm_image_read(&del, NULL, inputs[1]);
  if (st != CARM_OK) {
    rc = cli_status(cmd, inputs[1], st);
    goto cleanup;
  }
  double lo = 0.0;
  double hi = 0.0;
  carm_volume_range(del, &lo, &hi);
  /* HU volumes reach far above 5; attenuation (1/mm) stays below */
  int hu = isfinite(hi) && hi > 5.0;
  double scale = hu ? 1.0 : CARM_MU_WATER_PER_MM / 1000.0;
  double offset = hu ? 0.0 : CARM_MU_WATER_PER_MM;
  fo.render.window = isfinite(window) ? window : 350.0 * scale;
  fo.render.level = isfinite(level) ? level : offset + 80.0 * scale;
  double thr = 0.0;
  st = carm_fusion_enhancement(&enh, art, del, &fo, &thr);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "fusing", st);
    goto cleanup;
  }
  st = carm_fusion_render(&pic, art, del, &fo);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "fusing", st);
    goto cleanup;
  }
  st = carm_picture_write_png(pic, out);
  if (st != CARM_OK) {
    rc = cli_status(cmd, out, st);
    goto cleanup;
  }
  if (vol_out != NULL) {
    st = carm_image_write(enh, vol_out, NULL);
    if (st != CARM_OK) {
      rc = cli_status(cmd, vol_out, st);
      goto cleanup;
    }
  }
  int64_t n_on = 0;
  for (int64_t i = 0; i < carm_volume_count(enh); i++) {
    n_on += enh->data[i] > 0.0f;
  }
  printf("carm fuse: %s (%d x %d); enhancement threshold %.4g, %.2f %% of the voxels%s%s\n", out,
         pic->width, pic->height, thr, 100.0 * (double)n_on / (double)carm_volume_count(enh),
         vol_out != NULL ? "; volume " : "", vol_out != NULL ? vol_out : "");
  rc = CLI_OK;
cleanup:
  carm_picture_destroy(pic);
  carm_volume_destroy(enh);
  carm_volume_destroy(del);
  carm_volume_destroy(art);
  return rc;
}
