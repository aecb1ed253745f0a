/* carm segment liver|tumour: organ and lesion masks with measurements. */
#include "carm/organ.h"
#include "cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char carm_cmd_segment_summary[] = "segment the liver (delayed phase) or tumours (arterial)";
const char carm_cmd_segment_usage[] =
    "usage: carm segment liver VOLUME [--seed X,Y,Z]... -o LIVER.nii.gz [--json FILE]\n"
    "       carm segment tumour ARTERIAL [--liver LIVER.nii.gz] [--seed X,Y,Z]...\n"
    "                           -o TUMOURS.nii.gz [--json FILE]\n"
    "\n"
    "liver: the liver of a delayed- or portal-phase volume (CT in HU or a\n"
    "reconstruction in attenuation, mm^-1): smoothing, region growing in a\n"
    "window around the parenchyma level, opening, largest component, closing,\n"
    "hole filling. Without --seed the liver is found as the largest soft-tissue\n"
    "region on the patient's right. Output: a 0/1 mask on the input grid.\n"
    "\n"
    "tumour: hyper-enhancing lesions of an arterial-phase volume, inside\n"
    "--liver (a mask on the same grid) or around the seeds. Output: labels 1..n\n"
    "(largest first); --json lists each lesion's volume (mL), centroid (mm),\n"
    "longest axial diameter (RECIST 1.1) and longest enhancing axial diameter\n"
    "(mRECIST).\n"
    "\n"
    "options:\n"
    "  --seed X,Y,Z          a point in the organ / lesion, physical mm of the\n"
    "                        volume (LPS for CT); repeat for several (max 16)\n"
    "  --units auto|hu|mu    input values (auto: attenuation when all < 1)\n"
    "  --mu-water V          water attenuation (mm^-1) for mu input (default 0.0206)\n"
    "  --min-diameter MM     tumour: smallest lesion diameter (default 8)\n"
    "  --min-enhancement HU  tumour: smallest enhancement over the liver (default 30)\n"
    "  -o FILE               output mask / labels (.nii.gz, .nii, .mha, .mhd)\n"
    "  --json FILE           measurements as JSON\n"
    "\n"
    "Outputs are written to temporary names and renamed at the end.\n"
    "\n"
    "examples:\n"
    "  carm segment liver delayed.nii.gz -o liver.nii.gz --json liver.json\n"
    "  carm segment tumour arterial.nii.gz --liver liver.nii.gz -o tumours.nii.gz \\\n"
    "      --json tumours.json\n";

typedef struct seg_args {
  const char *kind;
  const char *in;
  const char *out;
  const char *json;
  const char *liver;
  int n_seeds;
  double seeds[CARM_ORGAN_MAX_SEEDS][3];
  carm_organ_units units;
  double mu_water;
  double min_diameter;
  double min_enhancement;
} seg_args;

static int parse(const char *cmd, int argc, char **argv, seg_args *a) {
  memset(a, 0, sizeof *a);
  a->min_diameter = 8.0;
  a->min_enhancement = 30.0;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    int has = i + 1 < argc;
    if (strcmp(s, "--seed") == 0) {
      if (!has || a->n_seeds >= CARM_ORGAN_MAX_SEEDS ||
          cli_parse_doubles(argv[++i], a->seeds[a->n_seeds], 3) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--seed needs X,Y,Z in mm (at most %d seeds)",
                        CARM_ORGAN_MAX_SEEDS);
      }
      a->n_seeds++;
    } else if (strcmp(s, "--units") == 0) {
      if (!has) {
        return cli_fail(CLI_USAGE, cmd, "--units needs auto, hu or mu");
      }
      const char *u = argv[++i];
      if (strcmp(u, "auto") == 0) {
        a->units = CARM_ORGAN_UNITS_AUTO;
      } else if (strcmp(u, "hu") == 0) {
        a->units = CARM_ORGAN_UNITS_HU;
      } else if (strcmp(u, "mu") == 0) {
        a->units = CARM_ORGAN_UNITS_MU;
      } else {
        return cli_fail(CLI_USAGE, cmd, "--units needs auto, hu or mu (got %s)", u);
      }
    } else if (strcmp(s, "--mu-water") == 0) {
      if (!has || cli_parse_double(argv[++i], &a->mu_water) != 0 || !(a->mu_water > 0.0)) {
        return cli_fail(CLI_USAGE, cmd, "--mu-water needs a positive number (mm^-1)");
      }
    } else if (strcmp(s, "--min-diameter") == 0) {
      if (!has || cli_parse_double(argv[++i], &a->min_diameter) != 0 || a->min_diameter <= 0.0 ||
          a->min_diameter > 100.0) {
        return cli_fail(CLI_USAGE, cmd, "--min-diameter needs mm in (0, 100]");
      }
    } else if (strcmp(s, "--min-enhancement") == 0) {
      if (!has || cli_parse_double(argv[++i], &a->min_enhancement) != 0 ||
          a->min_enhancement <= 0.0 || a->min_enhancement > 2000.0) {
        return cli_fail(CLI_USAGE, cmd, "--min-enhancement needs HU in (0, 2000]");
      }
    } else if (strcmp(s, "--liver") == 0) {
      if (!has) {
        return cli_fail(CLI_USAGE, cmd, "--liver needs a mask file");
      }
      a->liver = argv[++i];
    } else if (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) {
      if (!has) {
        return cli_fail(CLI_USAGE, cmd, "%s needs a file name", s);
      }
      a->out = argv[++i];
    } else if (strcmp(s, "--json") == 0) {
      if (!has) {
        return cli_fail(CLI_USAGE, cmd, "--json needs a file name");
      }
      a->json = argv[++i];
    } else if (s[0] == '-' && s[1] != '\0') {
      return cli_fail(CLI_USAGE, cmd, "unknown option %s", s);
    } else if (a->kind == NULL) {
      a->kind = s;
    } else if (a->in == NULL) {
      a->in = s;
    } else {
      return cli_fail(CLI_USAGE, cmd, "too many arguments: %s", s);
    }
  }
  if (a->kind == NULL || (strcmp(a->kind, "liver") != 0 && strcmp(a->kind, "tumour") != 0 &&
                          strcmp(a->kind, "tumours") != 0)) {
    return cli_fail(CLI_USAGE, cmd, "say what to segment: liver or tumour (see --help)");
  }
  if (a->in == NULL || a->out == NULL) {
    return cli_fail(CLI_USAGE, cmd, "give the input volume and -o OUTPUT (see --help)");
  }
  static const char *const sfx[] = {".nii.gz", ".nii", ".mha", ".mhd"};
  int ok = 0;
  for (size_t k = 0; k < sizeof sfx / sizeof sfx[0]; k++) {
    ok |= cli_has_suffix(a->out, sfx[k]);
  }
  if (!ok) {
    return cli_fail(CLI_USAGE, cmd, "%s: the output must end in .nii.gz, .nii, .mha or .mhd",
                    a->out);
  }
  if (a->liver != NULL && strcmp(a->kind, "liver") == 0) {
    return cli_fail(CLI_USAGE, cmd, "--liver is an option of 'segment tumour'");
  }
  return CLI_OK;
}

/* Write a JSON document atomically. */
static int write_json(const char *cmd, json_t *doc, const char *path) {
  carm_status st = cli_write_json(doc, path, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
  return st == CARM_OK ? CLI_OK : cli_status(cmd, "cannot write", st);
}

static json_t *vec3(const double v[3]) {
  json_t *a = json_array();
  for (int k = 0; k < 3; k++) {
    json_array_append_new(a, isfinite(v[k]) ? json_real(v[k]) : json_null());
  }
  return a;
}

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static int write_mask(const char *cmd, const carm_volume *m, const char *path) {
  carm_write_opts wo = CARM_WRITE_INIT;
  wo.dtype = CARM_DTYPE_U8;
  wo.compress = 1;
  carm_status st = carm_image_write(m, path, &wo);
  return st == CARM_OK ? CLI_OK : cli_status(cmd, "write", st);
}

static int do_liver(const char *cmd, const seg_args *a, const carm_volume *v) {
  carm_organ_liver_opts o = CARM_ORGAN_LIVER_OPTS_INIT;
  o.units = a->units;
  o.mu_water_per_mm = a->mu_water;
  o.n_seeds = a->n_seeds;
  memcpy(o.seeds_mm, a->seeds, sizeof a->seeds);
  o.progress.fn = cli_progress;
  o.progress.user = (void *)cmd;
  carm_volume *mask = NULL;
  carm_status st = carm_volume_create_like(&mask, v);
  carm_organ_liver_info info;
  if (st == CARM_OK) {
    st = carm_organ_liver(mask, &info, v, &o);
  }
  if (st != CARM_OK) {
    carm_volume_destroy(mask);
    return cli_status(cmd, "liver", st);
  }
  fprintf(stderr,
          "carm segment: liver %.1f mL, parenchyma %.1f HU (SD %.1f), window %.1f..%.1f HU, "
          "seed (%.1f, %.1f, %.1f) mm\n",
          info.volume_ml, info.median_hu, info.sd_hu, info.lo_hu, info.hi_hu, info.seed_mm[0],
          info.seed_mm[1], info.seed_mm[2]);
  int rc = write_mask(cmd, mask, a->out);
  carm_volume_destroy(mask);
  if (rc == CLI_OK && a->json != NULL) {
    json_t *doc = json_object();
    json_object_set_new(doc, "format", json_string("carm-liver"));
    json_object_set_new(doc, "version", json_integer(1));
    json_object_set_new(doc, "mask", json_string(a->out));
    json_object_set_new(doc, "frame", json_string("LPS"));
    json_object_set_new(doc, "volume_ml", num(info.volume_ml));
    json_object_set_new(doc, "seed_mm", vec3(info.seed_mm));
    json_object_set_new(doc, "parenchyma_median_hu", num(info.median_hu));
    json_object_set_new(doc, "parenchyma_sd_hu", num(info.sd_hu));
    json_t *w = json_array();
    json_array_append_new(w, num(info.lo_hu));
    json_array_append_new(w, num(info.hi_hu));
    json_object_set_new(doc, "window_hu", w);
    rc = write_json(cmd, doc, a->json);
    json_decref(doc);
    if (rc != CLI_OK) {
      remove(a->out);
    }
  }
  return rc;
}

static int do_tumour(const char *cmd, const seg_args *a, const carm_volume *v) {
  carm_organ_tumour_opts o = CARM_ORGAN_TUMOUR_OPTS_INIT;
  o.units = a->units;
  o.mu_water_per_mm = a->mu_water;
  o.n_seeds = a->n_seeds;
  memcpy(o.seeds_mm, a->seeds, sizeof a->seeds);
  o.min_diameter_mm = a->min_diameter;
  o.min_enhancement_hu = a->min_enhancement;
  o.progress.fn = cli_progress;
  o.progress.user = (void *)cmd;
  carm_volume *liver = NULL;
  carm_volume *lab = NULL;
  carm_organ_lesion *meas = NULL;
  int rc = CLI_OK;
  carm_status st = CARM_OK;
  if (a->liver != NULL) {
    st = carm_image_read(&liver, NULL, a->liver);
    if (st != CARM_OK) {
      return cli_status(cmd, "read liver", st);
    }
    if (!carm_volume_same_grid(liver, v, 1e-3)) {
      carm_volume_destroy(liver);
      return cli_fail(CLI_FAIL, cmd, "%s is not on the grid of %s", a->liver, a->in);
    }
  } else if (a->n_seeds == 0) {
    return cli_fail(CLI_USAGE, cmd, "tumour: give --liver MASK or at least one --seed");
  }
  int64_t n = 0;
  carm_organ_tumour_info info;
  st = carm_volume_create_like(&lab, v);
  if (st == CARM_OK) {
    st = carm_organ_tumours(lab, &n, &info, v, liver, &o);
  }
  if (st == CARM_OK && n > 0) {
    meas = calloc((size_t)n, sizeof *meas);
    st = meas == NULL ? carm_error(CARM_ERR_NOMEM, "out of memory")
                      : carm_organ_measure(meas, n, lab, v, info.threshold_hu, &o);
  }
  if (st != CARM_OK) {
    rc = cli_status(cmd, "tumours", st);
    goto cleanup;
  }
  fprintf(stderr, "carm segment: %lld tumour(s); parenchyma %.1f HU (SD %.1f), threshold %.1f HU\n",
          (long long)n, info.median_hu, info.sd_hu, info.threshold_hu);
  for (int64_t i = 0; i < n; i++) {
    fprintf(stderr,
            "  tumour %lld: %.2f mL, RECIST %.1f mm, mRECIST %.1f mm, centroid (%.1f, %.1f, "
            "%.1f) mm\n",
            (long long)meas[i].label, meas[i].volume_ml, meas[i].recist_mm, meas[i].mrecist_mm,
            meas[i].centroid_mm[0], meas[i].centroid_mm[1], meas[i].centroid_mm[2]);
  }
  rc = write_mask(cmd, lab, a->out);
  if (rc == CLI_OK && a->json != NULL) {
    json_t *doc = json_object();
    json_object_set_new(doc, "format", json_string("carm-tumours"));
    json_object_set_new(doc, "version", json_integer(1));
    json_object_set_new(doc, "labels", json_string(a->out));
    json_object_set_new(doc, "frame", json_string("LPS"));
    json_object_set_new(doc, "parenchyma_median_hu", num(info.median_hu));
    json_object_set_new(doc, "parenchyma_sd_hu", num(info.sd_hu));
    json_object_set_new(doc, "threshold_hu", num(info.threshold_hu));
    json_t *arr = json_array();
    for (int64_t i = 0; i < n; i++) {
      json_t *t = json_object();
      json_object_set_new(t, "label", json_integer((json_int_t)meas[i].label));
      json_object_set_new(t, "volume_ml", num(meas[i].volume_ml));
      json_object_set_new(t, "centroid_mm", vec3(meas[i].centroid_mm));
      json_object_set_new(t, "centroid_lps_mm", vec3(meas[i].centroid_lps_mm));
      json_object_set_new(t, "recist_mm", num(meas[i].recist_mm));
      json_object_set_new(t, "recist_slice_lps_z_mm", num(meas[i].recist_slice_mm));
      json_object_set_new(t, "mrecist_mm", num(meas[i].mrecist_mm));
      json_object_set_new(t, "enhancing_fraction", num(meas[i].enhancing_fraction));
      json_object_set_new(t, "mean_hu", num(meas[i].mean_hu));
      json_array_append_new(arr, t);
    }
    json_object_set_new(doc, "tumours", arr);
    rc = write_json(cmd, doc, a->json);
    json_decref(doc);
    if (rc != CLI_OK) {
      remove(a->out);
    }
  }
cleanup:
  free(meas);
  carm_volume_destroy(lab);
  carm_volume_destroy(liver);
  return rc;
}

int carm_cmd_segment(int argc, char **argv) {
  const char *cmd = argv[0];
  seg_args a;
  int rc = parse(cmd, argc, argv, &a);
  if (rc != CLI_OK) {
    return rc;
  }
  carm_volume *v = NULL;
  carm_status st = carm_image_read(&v, NULL, a.in);
  if (st != CARM_OK) {
    return cli_status(cmd, "read", st);
  }
  rc = strcmp(a.kind, "liver") == 0 ? do_liver(cmd, &a, v) : do_tumour(cmd, &a, v);
  carm_volume_destroy(v);
  return rc;
}
