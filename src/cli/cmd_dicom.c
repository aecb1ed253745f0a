/* carm dicom: inspect DICOM files, import series and XA runs, export
 * volumes, label maps and pictures as DICOM. Thin wrappers over
 * include/carm/dicom.h. */
#include "carm/dicom.h"
#include "cli/cli.h"

#include <cairo.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char carm_cmd_dicom_summary[] = "DICOM in and out: info, import series/XA runs, export";

const char carm_cmd_dicom_usage[] =
    "usage: carm dicom info PATH...\n"
    "       carm dicom import DIR|FILES... -o OUT.mha [--series UID]\n"
    "                         [--geometry G.xml] [--calibration M.txt] [--require-geometry]\n"
    "       carm dicom export VOL.mha -o OUT [--enhanced | --seg] [--like SRC]\n"
    "                         [--deidentify] [--description TEXT]\n"
    "       carm dicom export PICTURE.png -o PIC.dcm [--like SRC] [--deidentify]\n"
    "       carm dicom export PROJ.mha --xa G.xml -o RUN.dcm [--like SRC] [--deidentify]\n"
    "\n"
    "info     header summary of each file (a folder: the series it holds) and\n"
    "         the grid it reads into; a folder with several series lists them\n"
    "import   a CT/MR series (folder or files; one series only: mixed series\n"
    "         are refused, --series UID picks one), an Enhanced multi-frame\n"
    "         object, or an X-ray angiography run (one XA/RF multi-frame\n"
    "         file) into an image file.\n"
    "         For an XA run OUT is the projection stack and --geometry writes\n"
    "         its nominal geometry (RTK XML) from the positioner angles, SID,\n"
    "         SDD and imager pixel spacing; --calibration M.txt (12 numbers\n"
    "         per frame: a 3x4 matrix) overrides it; --require-geometry\n"
    "         refuses a run whose geometry tags are missing (default: use\n"
    "         SID 785, SDD 1200, 0.3 mm pixels)\n"
    "export   VOL.mha as a classic CT series into the new or empty folder OUT\n"
    "         (default), as one Enhanced CT file OUT (--enhanced), or a label\n"
    "         map as one binary DICOM SEG file OUT (--seg). --like SRC carries\n"
    "         patient and study (and the frame of reference) from the DICOM\n"
    "         file or folder SRC; --deidentify applies the basic profile\n"
    "         (docs/dicom.md). A .png input is written as an RGB Secondary\n"
    "         Capture picture (for reports and renderings). --xa G.xml writes a\n"
    "         projection stack and its RTK geometry (patient position HFS,\n"
    "         nominal views) as an XA multi-frame run with positioner angles\n"
    "\n"
    "example:\n"
    "  carm dicom info ct_series/\n"
    "  carm dicom import ct_series/ -o ct.mha\n"
    "  carm dicom import run.dcm -o proj.mha --geometry geometry.xml\n"
    "  carm dicom export recon.mha -o recon_dicom/ --like ct_series/ --deidentify\n"
    "exit status: 0 success, 1 failure, 2 bad usage\n";

static const char cmd[] = "dicom";

static void print_grid(const carm_volume *v) {
  printf("  grid: %lld x %lld x %lld, spacing %.6g %.6g %.6g mm\n", (long long)v->dims[0],
         (long long)v->dims[1], (long long)v->dims[2], v->spacing[0], v->spacing[1], v->spacing[2]);
  printf("  origin: %.6g %.6g %.6g mm (LPS)\n", v->origin[0], v->origin[1], v->origin[2]);
  printf("  direction: [%.4g %.4g %.4g] [%.4g %.4g %.4g] [%.4g %.4g %.4g]\n", v->direction[0][0],
         v->direction[1][0], v->direction[2][0], v->direction[0][1], v->direction[1][1],
         v->direction[2][1], v->direction[0][2], v->direction[1][2], v->direction[2][2]);
  double lo, hi;
  carm_volume_range(v, &lo, &hi);
  printf("  values: %.6g .. %.6g\n", lo, hi);
}

static int is_projection_run(const carm_dicom_meta *m) {
  return (strcmp(m->modality, "XA") == 0 || strcmp(m->modality, "RF") == 0) && m->frames > 1;
}

static int is_dir(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

typedef struct series_group {
  char uid[65];
  char modality[17];
  char description[65];
  int64_t files;
} series_group;

/* The DICOM files of a folder grouped by Series Instance UID (regular files
 * only; non-DICOM files skipped). `want` non-NULL: also collect the paths of
 * that series into *paths (malloc'ed, caller frees). Returns the number of
 * groups (at most max_groups), -1 when the folder cannot be read. */
static int scan_folder(const char *dir, series_group *groups, int max_groups, const char *want,
                       char ***paths, size_t *n_paths) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    return -1;
  }
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') {
      continue;
    }
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    char *p = malloc(len);
    if (p == NULL) {
      break;
    }
    snprintf(p, len, "%s/%s", dir, e->d_name);
    struct stat sb;
    carm_dicom_meta m;
    if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode) || carm_dicom_read_meta(&m, p) != CARM_OK) {
      free(p);
      continue;
    }
    int g = 0;
    while (g < n && strcmp(groups[g].uid, m.series_instance_uid) != 0) {
      g++;
    }
    if (g == n && n < max_groups) {
      memset(&groups[n], 0, sizeof groups[n]);
      snprintf(groups[n].uid, sizeof groups[n].uid, "%s", m.series_instance_uid);
      snprintf(groups[n].modality, sizeof groups[n].modality, "%s", m.modality);
      snprintf(groups[n].description, sizeof groups[n].description, "%s", m.series_description);
      n++;
    }
    if (g < n) {
      groups[g].files++;
    }
    if (want != NULL && strcmp(m.series_instance_uid, want) == 0) {
      char **np = realloc(*paths, (*n_paths + 1) * sizeof *np);
      if (np != NULL) {
        *paths = np;
        np[(*n_paths)++] = p;
        p = NULL;
      }
    }
    free(p);
  }
  closedir(d);
  return n;
}

static int cmd_info(int argc, char **argv) {
  if (argc < 1) {
    return cli_fail(CLI_USAGE, cmd, "info: give a DICOM file or folder");
  }
  int rc = CLI_OK;
  for (int i = 0; i < argc; i++) {
    const char *path = argv[i];
    carm_dicom_meta m;
    carm_volume *vol = NULL;
    carm_geometry *geo = NULL;
    carm_status st;
    printf("%s\n", path);
    if (is_dir(path)) {
      series_group groups[64];
      int ng = scan_folder(path, groups, 64, NULL, NULL, NULL);
      for (int g = 0; g < ng && ng > 1; g++) {
        printf("  series %s: %lld file(s), %s %s\n", groups[g].uid, (long long)groups[g].files,
               groups[g].modality, groups[g].description);
      }
      if (ng > 1) {
        printf("  several series: import one with --series UID\n");
        continue;
      }
      const char *one[1] = {path};
      st = carm_dicom_read_volume(&vol, &m, one, 1);
    } else {
      st = carm_dicom_read_meta(&m, path);
      if (st == CARM_OK) {
        if (is_projection_run(&m)) {
          st = carm_dicom_read_xa(&vol, &geo, NULL, path, NULL);
        } else if (m.rows > 0) {
          st = carm_dicom_read_image(&vol, NULL, path);
        }
      }
    }
    if (st != CARM_OK) {
      rc = cli_status(cmd, "info", st);
      continue;
    }
    printf("  modality: %s   SOP class: %s\n", m.modality, m.sop_class_uid);
    printf("  transfer syntax: %s\n", m.transfer_syntax_uid);
    printf("  patient: %s   id: %s   birth: %s   sex: %s\n", m.patient_name, m.patient_id,
           m.patient_birth_date, m.patient_sex);
    printf("  study: %s %s  %s\n", m.study_date, m.study_time, m.study_description);
    printf("  series: %lld %s  (%s)\n", (long long)m.series_number, m.series_description,
           m.series_instance_uid);
    printf("  frame of reference: %s\n", m.frame_of_reference_uid);
    printf("  image: %lld x %lld, %lld frame(s), %lld object(s), rescale %g x + %g\n",
           (long long)m.columns, (long long)m.rows, (long long)m.frames, (long long)m.n_objects,
           m.rescale_slope, m.rescale_intercept);
    if (vol != NULL) {
      print_grid(vol);
    }
    if (geo != NULL && geo->n_views > 0) {
      const carm_view *a = &geo->views[0];
      const carm_view *b = &geo->views[geo->n_views - 1];
      double pa = remainder(-a->gantry_angle_rad * 180.0 / M_PI, 360.0);
      double pb = remainder(-b->gantry_angle_rad * 180.0 / M_PI, 360.0);
      double sa = remainder(-a->out_of_plane_rad * 180.0 / M_PI, 360.0);
      double sb = remainder(-b->out_of_plane_rad * 180.0 / M_PI, 360.0);
      printf("  run: %lld views, primary %.2f -> %.2f deg (LAO+), secondary %.2f -> %.2f deg "
             "(CRA+), SID %.1f mm, SDD %.1f mm\n",
             (long long)geo->n_views, pa, pb, sa, sb, a->sid_mm, a->sdd_mm);
    }
    carm_volume_destroy(vol);
    carm_geometry_destroy(geo);
  }
  return rc;
}

static int cmd_import(int argc, char **argv) {
  const char *out = NULL;
  const char *geometry = NULL;
  const char *series = NULL;
  carm_dicom_xa_opts xo = CARM_DICOM_XA_INIT;
  const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
  size_t n_in = 0;
  if (inputs == NULL) {
    return cli_fail(CLI_FAIL, cmd, "out of memory");
  }
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
      out = argv[++i];
    } else if (strcmp(a, "--geometry") == 0 && i + 1 < argc) {
      geometry = argv[++i];
    } else if (strcmp(a, "--calibration") == 0 && i + 1 < argc) {
      xo.calibration_path = argv[++i];
    } else if (strcmp(a, "--require-geometry") == 0) {
      xo.require_geometry = 1;
    } else if (strcmp(a, "--series") == 0 && i + 1 < argc) {
      series = argv[++i];
    } else if (a[0] == '-' && a[1] != '\0') {
      free(inputs);
      return cli_fail(CLI_USAGE, cmd, "import: unknown or incomplete option %s", a);
    } else {
      inputs[n_in++] = a;
    }
  }
  if (n_in == 0 || out == NULL) {
    free(inputs);
    return cli_fail(CLI_USAGE, cmd, "import: give DICOM input(s) and -o OUT.mha");
  }
  char **picked = NULL;
  size_t n_picked = 0;
  if (series != NULL) {
    /* the files of that series among the inputs (folders scanned) */
    for (size_t i = 0; i < n_in; i++) {
      if (is_dir(inputs[i])) {
        series_group groups[64];
        scan_folder(inputs[i], groups, 64, series, &picked, &n_picked);
      } else {
        carm_dicom_meta mm;
        if (carm_dicom_read_meta(&mm, inputs[i]) == CARM_OK &&
            strcmp(mm.series_instance_uid, series) == 0) {
          char **np = realloc(picked, (n_picked + 1) * sizeof *np);
          size_t len = strlen(inputs[i]) + 1;
          char *copy = malloc(len);
          if (np != NULL) {
            picked = np;
          }
          if (np != NULL && copy != NULL) {
            memcpy(copy, inputs[i], len);
            picked[n_picked++] = copy;
          } else {
            free(copy);
          }
        }
      }
    }
    if (n_picked == 0) {
      free(inputs);
      free(picked);
      return cli_fail(CLI_FAIL, cmd, "import: no file of series %s among the inputs", series);
    }
    for (size_t i = 0; i < n_picked; i++) {
      inputs[i] = picked[i];
    }
    n_in = n_picked;
  }
  carm_volume *vol = NULL;
  carm_geometry *geo = NULL;
  carm_dicom_meta m;
  carm_status st = CARM_OK;
  int xa = 0;
  if (n_in == 1 && !is_dir(inputs[0])) {
    st = carm_dicom_read_meta(&m, inputs[0]);
    xa = st == CARM_OK && is_projection_run(&m);
  }
  if (st == CARM_OK) {
    st = xa ? carm_dicom_read_xa(&vol, &geo, &m, inputs[0], &xo)
            : carm_dicom_read_volume(&vol, &m, inputs, n_in);
  }
  free(inputs);
  for (size_t i = 0; i < n_picked; i++) {
    free(picked[i]);
  }
  free(picked);
  if (st != CARM_OK) {
    return cli_status(cmd, "import", st);
  }
  if (!xa && (geometry != NULL || xo.calibration_path != NULL)) {
    carm_volume_destroy(vol);
    return cli_fail(CLI_USAGE, cmd, "import: --geometry/--calibration apply to XA runs only");
  }
  if (geometry != NULL) {
    st = carm_geometry_write_rtk(geo, geometry);
    if (st != CARM_OK) {
      carm_volume_destroy(vol);
      carm_geometry_destroy(geo);
      return cli_status(cmd, geometry, st);
    }
  }
  st = carm_image_write(vol, out, NULL);
  if (st != CARM_OK) {
    carm_volume_destroy(vol);
    carm_geometry_destroy(geo);
    return cli_status(cmd, out, st);
  }
  fprintf(stderr, "carm dicom: %s %lld x %lld x %lld (%s, %lld object(s)) -> %s%s%s\n",
          xa ? "projection stack" : "volume", (long long)vol->dims[0], (long long)vol->dims[1],
          (long long)vol->dims[2], m.modality, (long long)m.n_objects, out, geometry ? " + " : "",
          geometry ? geometry : "");
  carm_volume_destroy(vol);
  carm_geometry_destroy(geo);
  return CLI_OK;
}

/* A PNG (read with cairo) → RGB bytes → Secondary Capture. */
static int export_picture(const char *in, const char *out, const carm_dicom_write_opts *o) {
  cairo_surface_t *s = cairo_image_surface_create_from_png(in);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    int rc = cli_fail(CLI_FAIL, cmd, "%s: cannot read the PNG (%s)", in,
                      cairo_status_to_string(cairo_surface_status(s)));
    cairo_surface_destroy(s);
    return rc;
  }
  cairo_surface_flush(s);
  int w = cairo_image_surface_get_width(s);
  int h = cairo_image_surface_get_height(s);
  int stride = cairo_image_surface_get_stride(s);
  cairo_format_t fmt = cairo_image_surface_get_format(s);
  const unsigned char *src = cairo_image_surface_get_data(s);
  uint8_t *rgb = malloc((size_t)w * (size_t)h * 3);
  if (rgb == NULL || src == NULL || (fmt != CAIRO_FORMAT_ARGB32 && fmt != CAIRO_FORMAT_RGB24)) {
    free(rgb);
    cairo_surface_destroy(s);
    return cli_fail(CLI_FAIL, cmd, "%s: unsupported PNG layout", in);
  }
  for (int y = 0; y < h; y++) {
    const uint32_t *row = (const uint32_t *)(const void *)(src + (size_t)y * (size_t)stride);
    for (int x = 0; x < w; x++) {
      uint32_t p = row[x];
      /* premultiplied ARGB: composite over black, as a viewer shows it */
      uint8_t *d = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
      d[0] = (uint8_t)((p >> 16) & 0xff);
      d[1] = (uint8_t)((p >> 8) & 0xff);
      d[2] = (uint8_t)(p & 0xff);
    }
  }
  cairo_surface_destroy(s);
  carm_status st = carm_dicom_write_sc(rgb, w, h, out, o);
  free(rgb);
  if (st != CARM_OK) {
    return cli_status(cmd, out, st);
  }
  fprintf(stderr, "carm dicom: picture %d x %d -> %s (Secondary Capture)%s\n", w, h, out,
          o->deidentify ? " (de-identified)" : "");
  return CLI_OK;
}

static int cmd_export(int argc, char **argv) {
  const char *in = NULL;
  const char *out = NULL;
  int enhanced = 0;
  int seg = 0;
  const char *xa_geometry = NULL;
  carm_dicom_write_opts o = CARM_DICOM_WRITE_INIT;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
      out = argv[++i];
    } else if (strcmp(a, "--like") == 0 && i + 1 < argc) {
      o.like = argv[++i];
    } else if (strcmp(a, "--description") == 0 && i + 1 < argc) {
      o.series_description = argv[++i];
    } else if (strcmp(a, "--xa") == 0 && i + 1 < argc) {
      xa_geometry = argv[++i];
    } else if (strcmp(a, "--enhanced") == 0) {
      enhanced = 1;
    } else if (strcmp(a, "--seg") == 0) {
      seg = 1;
    } else if (strcmp(a, "--deidentify") == 0) {
      o.deidentify = 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      return cli_fail(CLI_USAGE, cmd, "export: unknown or incomplete option %s", a);
    } else if (in == NULL) {
      in = a;
    } else {
      return cli_fail(CLI_USAGE, cmd, "export: one input volume only (got %s and %s)", in, a);
    }
  }
  if (in == NULL || out == NULL) {
    return cli_fail(CLI_USAGE, cmd, "export: give VOL.mha and -o OUT");
  }
  if (enhanced + seg + (xa_geometry != NULL) > 1) {
    return cli_fail(CLI_USAGE, cmd, "export: --enhanced, --seg and --xa exclude each other");
  }
  if (cli_has_suffix(in, ".png")) {
    if (enhanced || seg) {
      return cli_fail(CLI_USAGE, cmd, "export: a picture is written as Secondary Capture only");
    }
    return export_picture(in, out, &o);
  }
  carm_volume *vol = NULL;
  carm_status st = carm_image_read(&vol, NULL, in);
  if (st != CARM_OK) {
    return cli_status(cmd, in, st);
  }
  if (xa_geometry != NULL) {
    carm_geometry *geo = NULL;
    st = carm_geometry_read_rtk(&geo, xa_geometry);
    if (st != CARM_OK) {
      carm_volume_destroy(vol);
      return cli_status(cmd, xa_geometry, st);
    }
    st = carm_dicom_write_xa(vol, geo, out, &o);
    carm_geometry_destroy(geo);
  } else if (seg) {
    st = carm_dicom_write_seg(vol, out, &o);
  } else if (enhanced) {
    st = carm_dicom_write_enhanced_ct(vol, out, &o);
  } else {
    st = carm_dicom_write_ct_series(vol, out, &o);
  }
  if (st != CARM_OK) {
    carm_volume_destroy(vol);
    return cli_status(cmd, out, st);
  }
  fprintf(stderr, "carm dicom: %s %lld x %lld x %lld -> %s%s\n",
          xa_geometry ? "XA run"
          : seg       ? "SEG"
          : enhanced  ? "Enhanced CT"
                      : "CT series",
          (long long)vol->dims[0], (long long)vol->dims[1], (long long)vol->dims[2], out,
          o.deidentify ? " (de-identified)" : "");
  carm_volume_destroy(vol);
  return CLI_OK;
}

int carm_cmd_dicom(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    fputs(carm_cmd_dicom_usage, stdout);
    return CLI_OK;
  }
  if (argc < 2) {
    fputs(carm_cmd_dicom_usage, stderr);
    return CLI_USAGE;
  }
  const char *mode = argv[1];
  if (strcmp(mode, "info") == 0) {
    return cmd_info(argc - 2, argv + 2);
  }
  if (strcmp(mode, "import") == 0) {
    return cmd_import(argc - 2, argv + 2);
  }
  if (strcmp(mode, "export") == 0) {
    return cmd_export(argc - 2, argv + 2);
  }
  return cli_fail(CLI_USAGE, cmd, "unknown mode '%s' (info, import, export)", mode);
}
