/* carm render: pictures of a volume (MPR, MIP, thin-slab MIP, volume
 * rendering) with label overlays and centrelines, as PNG. */
#include "carm/io.h"
#include "carm/render.h"
#include "cli/cli.h"
#include "cli/tree_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char carm_cmd_render_summary[] = "pictures: MPR, MIP, thin-slab MIP, volume rendering (PNG)";
const char carm_cmd_render_usage[] =
    "usage: carm render VOLUME -o OUT.png [options]\n"
    "\n"
    "  --mode mpr|mip|vr        picture kind (default mpr)\n"
    "  --plane axial|coronal|sagittal  (default axial; VR looks along its normal)\n"
    "  --position MM            slice or slab centre along the plane normal\n"
    "                           (patient z, y or x in LPS mm; default: centre)\n"
    "  --slab MM                thin-slab MIP thickness (with --mode mip)\n"
    "  --preset vessels|bone|soft|liver  window/level (and VR transfer) preset\n"
    "  --window W --level L     grey window in the volume's unit\n"
    "  --unit hu|mu             the volume's unit (default: guessed from its range;\n"
    "                           mu = attenuation in 1/mm, water 0.0206)\n"
    "  --labels L               label volume drawn as a translucent colour overlay\n"
    "  --tree T.json            vessel centrelines (carm tree JSON) drawn on top\n"
    "  --pixel MM               output pixel size (default: finest voxel spacing)\n"
    "  --no-annotate            no letters, scale bar or window values\n"
    "\n"
    "Radiological convention: the patient's right on the picture's left.\n"
    "\n"
    "examples:\n"
    "  carm render arterial.mha --mode mip --plane coronal --preset vessels -o mip.png\n"
    "  carm render arterial.mha --mode mip --slab 20 --position -40 --labels labels.nii.gz "
    "-o slab.png\n";

typedef struct preset {
  const char *name;
  double window_hu;
  double level_hu;
  carm_tf_preset tf;
} preset;

static const preset presets[] = {{"vessels", 700.0, 300.0, CARM_TF_VESSELS},
                                 {"bone", 1800.0, 500.0, CARM_TF_BONE},
                                 {"soft", 400.0, 40.0, CARM_TF_SOFT},
                                 {"liver", 200.0, 80.0, CARM_TF_SOFT}};

/* Draw every centreline of a tree JSON. */
static int draw_tree(carm_picture *pic, const carm_volume *vol, const carm_render_opts *o,
                     const char *path) {
  cli_polyline *lines = NULL;
  int64_t n = 0;
  if (cli_tree_load("render", path, &lines, &n) != 0) {
    return CLI_FAIL;
  }
  static const uint8_t yellow[3] = {255, 220, 40};
  /* One drawing call for the whole tree, the lines separated by a NaN point
   * (the pen lifts there): each call converts the whole picture, so a call
   * per segment took minutes for a tree of 10^5 segments. */
  int64_t total = 0;
  for (int64_t i = 0; i < n; i++) {
    total += lines[i].n + 1;
  }
  double(*all)[3] = malloc((size_t)(total > 0 ? total : 1) * sizeof *all);
  carm_status st = CARM_OK;
  if (all == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "out of memory for %lld tree points", (long long)total);
  } else {
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
      memcpy(all[m], lines[i].points, (size_t)lines[i].n * sizeof *all);
      m += lines[i].n;
      all[m][0] = all[m][1] = all[m][2] = NAN;
      m++;
    }
    st = carm_picture_draw_polyline(pic, vol, o, (const double(*)[3])all, m, yellow, 1.5);
    free(all);
  }
  cli_tree_free(lines, n);
  return st == CARM_OK ? CLI_OK : cli_status("render", "cannot draw the tree", st);
}

int carm_cmd_render(int argc, char **argv) {
  const char *cmd = "render";
  const char *in = NULL;
  const char *out = NULL;
  const char *labels_path = NULL;
  const char *tree_path = NULL;
  const char *preset_name = "vessels";
  const char *unit = NULL;
  double window = NAN;
  double level = NAN;
  carm_render_opts o = CARM_RENDER_INIT;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int takes = v != NULL;
    if (strcmp(a, "-o") == 0 && takes) {
      out = v;
    } else if (strcmp(a, "--mode") == 0 && takes) {
      if (strcmp(v, "mpr") == 0) {
        o.mode = CARM_RENDER_MPR;
      } else if (strcmp(v, "mip") == 0) {
        o.mode = CARM_RENDER_MIP;
      } else if (strcmp(v, "vr") == 0) {
        o.mode = CARM_RENDER_VR;
      } else {
        return cli_fail(CLI_USAGE, cmd, "--mode must be mpr, mip or vr");
      }
    } else if (strcmp(a, "--plane") == 0 && takes) {
      if (strcmp(v, "axial") == 0) {
        o.plane = CARM_PLANE_AXIAL;
      } else if (strcmp(v, "coronal") == 0) {
        o.plane = CARM_PLANE_CORONAL;
      } else if (strcmp(v, "sagittal") == 0) {
        o.plane = CARM_PLANE_SAGITTAL;
      } else {
        return cli_fail(CLI_USAGE, cmd, "--plane must be axial, coronal or sagittal");
      }
    } else if (strcmp(a, "--position") == 0 && takes) {
      if (cli_parse_double(v, &o.position_mm) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--position needs a number (mm)");
      }
    } else if (strcmp(a, "--slab") == 0 && takes) {
      if (cli_parse_double(v, &o.slab_mm) != 0 || o.slab_mm <= 0.0) {
        return cli_fail(CLI_USAGE, cmd, "--slab needs a thickness > 0 (mm)");
      }
    } else if (strcmp(a, "--window") == 0 && takes) {
      if (cli_parse_double(v, &window) != 0 || !(window > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--window needs a number > 0");
      }
    } else if (strcmp(a, "--level") == 0 && takes) {
      if (cli_parse_double(v, &level) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--level needs a number");
      }
    } else if (strcmp(a, "--pixel") == 0 && takes) {
      if (cli_parse_double(v, &o.pixel_mm) != 0 || !(o.pixel_mm > 0.01)) {
        return cli_fail(CLI_USAGE, cmd, "--pixel needs a size > 0.01 mm");
      }
    } else if (strcmp(a, "--preset") == 0 && takes) {
      preset_name = v;
    } else if (strcmp(a, "--unit") == 0 && takes) {
      if (strcmp(v, "hu") != 0 && strcmp(v, "mu") != 0) {
        return cli_fail(CLI_USAGE, cmd, "--unit must be hu or mu");
      }
      unit = v;
    } else if (strcmp(a, "--labels") == 0 && takes) {
      labels_path = v;
    } else if (strcmp(a, "--tree") == 0 && takes) {
      tree_path = v;
    } else if (strcmp(a, "--no-annotate") == 0) {
      o.annotate = 0;
      continue;
    } else if (a[0] == '-') {
      return cli_fail(CLI_USAGE, cmd, "unknown or incomplete option '%s' (see --help)", a);
    } else if (in == NULL) {
      in = a;
      continue;
    } else {
      return cli_fail(CLI_USAGE, cmd, "one input volume only (got '%s')", a);
    }
    i++;
  }
  if (in == NULL || out == NULL) {
    return cli_fail(CLI_USAGE, cmd, "need a VOLUME and -o OUT.png (see --help)");
  }
  if (!cli_has_suffix(out, ".png")) {
    return cli_fail(CLI_USAGE, cmd, "the output must be a .png file");
  }
  const char *const inputs[] = {in, labels_path, tree_path};
  int chk = cli_check_output(cmd, out, inputs, 3);
  if (chk != CLI_OK) {
    return chk;
  }
  const preset *p = NULL;
  for (size_t k = 0; k < sizeof presets / sizeof presets[0]; k++) {
    if (strcmp(presets[k].name, preset_name) == 0) {
      p = &presets[k];
    }
  }
  if (p == NULL) {
    return cli_fail(CLI_USAGE, cmd, "--preset must be vessels, bone, soft or liver");
  }
  carm_volume *vol = NULL;
  carm_status st = carm_image_read(&vol, NULL, in);
  if (st != CARM_OK) {
    return cli_status(cmd, "cannot read the volume", st);
  }
  carm_volume *labels = NULL;
  if (labels_path != NULL && (st = carm_image_read(&labels, NULL, labels_path)) != CARM_OK) {
    carm_volume_destroy(vol);
    return cli_status(cmd, "cannot read the labels", st);
  }
  double lo;
  double hi;
  carm_volume_range(vol, &lo, &hi);
  int hu = unit != NULL ? strcmp(unit, "hu") == 0 : (isfinite(hi) && hi > 5.0);
  /* presets are in HU; for attenuation volumes μ = μw·(1 + HU/1000) */
  double scale = hu ? 1.0 : CARM_MU_WATER_PER_MM / 1000.0;
  double offset = hu ? 0.0 : CARM_MU_WATER_PER_MM;
  o.window = isfinite(window) ? window : p->window_hu * scale;
  o.level = isfinite(level) ? level : offset + p->level_hu * scale;
  o.preset = p->tf;
  o.labels = labels;
  carm_picture *pic = NULL;
  st = carm_render(&pic, vol, &o);
  int rc = CLI_OK;
  if (st != CARM_OK) {
    rc = cli_status(cmd, "cannot render", st);
  } else if (tree_path != NULL && (rc = draw_tree(pic, vol, &o, tree_path)) != CLI_OK) {
    /* message printed */
  } else if ((st = carm_picture_write_png(pic, out)) != CARM_OK) {
    rc = cli_status(cmd, "cannot write the picture", st);
  } else {
    printf("carm render: %s (%d x %d, %.3g mm/pixel)\n", out, pic->width, pic->height,
           pic->pixel_mm);
  }
  carm_picture_destroy(pic);
  carm_volume_destroy(labels);
  carm_volume_destroy(vol);
  return rc;
}
