/* Hyper-enhancing tumours in an arterial-phase volume: detection above the
 * parenchyma, an opening that removes vessels, a half-maximum edge per
 * lesion, hole filling, shape and seed filters. */
#include "seg/organ_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One lesion: a 0/1 crop of the grid. */
typedef struct lesion {
  int64_t lo[3];
  carm_volume *mask; /* crop, 0/1 */
  int64_t size;
} lesion;

static carm_status check_opts(const carm_organ_tumour_opts *o) {
  if (o->version != 1) {
    return carm_error(CARM_ERR_INVALID, "tumours: options version %d (want 1)", o->version);
  }
  if (o->n_seeds < 0 || o->n_seeds > CARM_ORGAN_MAX_SEEDS) {
    return carm_error(CARM_ERR_INVALID, "tumours: %d seeds (0..%d)", o->n_seeds,
                      CARM_ORGAN_MAX_SEEDS);
  }
  if (!(o->smooth_sigma_mm >= 0.0 && o->smooth_sigma_mm <= 20.0) ||
      !(o->min_enhancement_hu > 0.0 && o->min_enhancement_hu <= 2000.0) ||
      !(o->min_diameter_mm > 0.0 && o->min_diameter_mm <= 100.0) || !(o->max_elongation >= 1.0)) {
    return carm_error(CARM_ERR_INVALID, "tumours: sigma 0..20 mm, enhancement 0..2000 HU, "
                                        "min diameter 0..100 mm, elongation >= 1");
  }
  return organ_check_rotation(o->lps_from_physical);
}

/* Copy the box [lo, lo + dims) of `in` (clamped: outside voxels get 0). */
static carm_status crop(carm_volume **out, const carm_volume *in, const int64_t lo[3],
                        const int64_t dims[3]) {
  carm_volume *c = NULL;
  carm_status st = carm_volume_create(&c, dims);
  if (st != CARM_OK) {
    return st;
  }
  memcpy(c->spacing, in->spacing, sizeof c->spacing);
  memcpy(c->direction, in->direction, sizeof c->direction);
  double ijk[3] = {(double)lo[0], (double)lo[1], (double)lo[2]};
  carm_volume_index_to_point(in, ijk, c->origin);
  for (int64_t k = 0; k < dims[2]; k++) {
    for (int64_t j = 0; j < dims[1]; j++) {
      for (int64_t i = 0; i < dims[0]; i++) {
        int64_t si = lo[0] + i;
        int64_t sj = lo[1] + j;
        int64_t sk = lo[2] + k;
        if (si >= 0 && sj >= 0 && sk >= 0 && si < in->dims[0] && sj < in->dims[1] &&
            sk < in->dims[2]) {
          c->data[(k * dims[1] + j) * dims[0] + i] = carm_volume_at(in, si, sj, sk);
        }
      }
    }
  }
  *out = c;
  return CARM_OK;
}

/* sqrt(largest / smallest) principal second moment of a crop mask (mm). */
static double elongation(const carm_volume *m) {
  double s[3] = {0.0, 0.0, 0.0};
  double ss[6] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  int64_t n = 0;
  for (int64_t k = 0; k < m->dims[2]; k++) {
    for (int64_t j = 0; j < m->dims[1]; j++) {
      for (int64_t i = 0; i < m->dims[0]; i++) {
        if (carm_volume_at(m, i, j, k) > 0.5f) {
          double p[3] = {(double)i * m->spacing[0], (double)j * m->spacing[1],
                         (double)k * m->spacing[2]};
          for (int a = 0; a < 3; a++) {
            s[a] += p[a];
          }
          ss[0] += p[0] * p[0];
          ss[1] += p[1] * p[1];
          ss[2] += p[2] * p[2];
          ss[3] += p[0] * p[1];
          ss[4] += p[0] * p[2];
          ss[5] += p[1] * p[2];
          n++;
        }
      }
    }
  }
  if (n < 2) {
    return 1.0;
  }
  double dn = (double)n;
  double c[6] = {ss[0] / dn - s[0] * s[0] / (dn * dn), ss[1] / dn - s[1] * s[1] / (dn * dn),
                 ss[2] / dn - s[2] * s[2] / (dn * dn), ss[3] / dn - s[0] * s[1] / (dn * dn),
                 ss[4] / dn - s[0] * s[2] / (dn * dn), ss[5] / dn - s[1] * s[2] / (dn * dn)};
  double l[3];
  carm_seg_eigen_sym3(c, l);
  /* a single voxel layer has zero extent along one axis: add the voxel's own
   * second moment (s^2 / 12) so flat objects stay finite */
  double vox = fmin(m->spacing[0], fmin(m->spacing[1], m->spacing[2]));
  double lo = fabs(l[0]) + vox * vox / 12.0;
  double hi = fabs(l[2]) + vox * vox / 12.0;
  return sqrt(hi / lo);
}

/* Grow a lesion in the crop: voxels in [half, upper] connected to `core`
 * (0/1) and within `allowed` (0/1, may be NULL); holes filled; attachments
 * thinner than open_mm (radius) cut. Result in `core`. Returns its size. */
static carm_status lesion_grow(carm_volume *core, const carm_volume *smc,
                               const carm_volume *allowed, double half, double upper,
                               double open_mm, int axis, int64_t *size) {
  carm_volume *ok = NULL;
  carm_volume *lab = NULL;
  carm_volume *filled = NULL;
  int64_t nl = 0;
  unsigned char *keep = NULL;
  carm_status st = carm_volume_create_like(&ok, core);
  if (st == CARM_OK) {
    st = carm_volume_create_like(&lab, core);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  int64_t n = carm_volume_count(core);
  for (int64_t i = 0; i < n; i++) {
    int in = smc->data[i] >= (float)half && smc->data[i] <= (float)upper &&
             (allowed == NULL || allowed->data[i] > 0.5f);
    ok->data[i] = in ? 1.0f : 0.0f; /* core voxels below half are not lesion either */
  }
  st = carm_seg_label(lab, &nl, NULL, ok, 6);
  if (st != CARM_OK) {
    goto cleanup;
  }
  keep = calloc((size_t)nl + 1, 1);
  if (keep == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "tumours: out of memory");
    goto cleanup;
  }
  for (int64_t i = 0; i < n; i++) {
    if (core->data[i] > 0.5f && ok->data[i] > 0.5f) {
      keep[(int64_t)lab->data[i]] = 1;
    }
  }
  for (int64_t i = 0; i < n; i++) {
    ok->data[i] = keep[(int64_t)lab->data[i]] && lab->data[i] > 0.0f ? 1.0f : 0.0f;
  }
  /* fill necrotic cores, then cut thin attachments (feeding vessels) with an
   * opening and keep what still touches the core */
  st = carm_organ_fill_holes(lab, ok, axis);
  if (st == CARM_OK) {
    st = carm_seg_morph_binary(ok, lab, CARM_SEG_OPEN, open_mm);
  }
  /* give back the one-voxel edge roughness the opening took (not the cut
   * attachments): one dilation step, within the filled lesion */
  if (st == CARM_OK) {
    st = carm_volume_create_like(&filled, core);
  }
  if (st == CARM_OK) {
    double step = fmax(core->spacing[0], fmax(core->spacing[1], core->spacing[2]));
    memcpy(filled->data, lab->data, (size_t)n * sizeof(float));
    st = carm_seg_morph_binary(lab, ok, CARM_SEG_DILATE, 1.01 * step);
  }
  if (st == CARM_OK) {
    for (int64_t i = 0; i < n; i++) {
      ok->data[i] = lab->data[i] > 0.5f && filled->data[i] > 0.5f ? 1.0f : 0.0f;
    }
    st = carm_seg_label(lab, &nl, NULL, ok, 6);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  free(keep);
  keep = calloc((size_t)nl + 1, 1);
  if (keep == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "tumours: out of memory");
    goto cleanup;
  }
  for (int64_t i = 0; i < n; i++) {
    if (core->data[i] > 0.5f) {
      keep[(int64_t)lab->data[i]] = 1;
    }
  }
  for (int64_t i = 0; i < n; i++) {
    core->data[i] = keep[(int64_t)lab->data[i]] && lab->data[i] > 0.0f ? 1.0f : 0.0f;
  }
  int64_t cnt = 0;
  for (int64_t i = 0; i < n; i++) {
    cnt += core->data[i] > 0.5f;
  }
  *size = cnt;
cleanup:
  free(keep);
  carm_volume_destroy(ok);
  carm_volume_destroy(lab);
  carm_volume_destroy(filled);
  return st;
}

/* Parenchyma statistics: inside the liver, or (no liver) in 30 mm balls
 * around the seeds using the values between their 10th and 60th
 * percentiles (the lesion being the bright minority). */
static carm_status parenchyma(const carm_volume *sm, const carm_volume *liver,
                              const int64_t (*seeds)[3], int n_seeds, double *med, double *sd) {
  int64_t n = carm_volume_count(sm);
  float *vals = NULL;
  int64_t nv = 0;
  if (liver != NULL) {
    for (int64_t i = 0; i < n; i++) {
      nv += liver->data[i] > 0.5f;
    }
    if (nv == 0) {
      return carm_error(CARM_ERR_INVALID, "tumours: the liver mask is empty");
    }
    vals = malloc((size_t)nv * sizeof(float));
    if (vals == NULL) {
      return carm_error(CARM_ERR_NOMEM, "tumours: out of memory");
    }
    nv = 0;
    for (int64_t i = 0; i < n; i++) {
      if (liver->data[i] > 0.5f) {
        vals[nv++] = sm->data[i];
      }
    }
    organ_median_sd(vals, nv, med, sd);
    free(vals);
    return CARM_OK;
  }
  const double r = 30.0;
  int64_t rad[3];
  for (int a = 0; a < 3; a++) {
    rad[a] = (int64_t)floor(r / sm->spacing[a]);
  }
  int64_t cap = (int64_t)n_seeds * (2 * rad[0] + 1) * (2 * rad[1] + 1) * (2 * rad[2] + 1);
  vals = malloc((size_t)cap * sizeof(float));
  if (vals == NULL) {
    return carm_error(CARM_ERR_NOMEM, "tumours: out of memory");
  }
  for (int s = 0; s < n_seeds; s++) {
    for (int64_t dk = -rad[2]; dk <= rad[2]; dk++) {
      for (int64_t dj = -rad[1]; dj <= rad[1]; dj++) {
        for (int64_t di = -rad[0]; di <= rad[0]; di++) {
          int64_t i = seeds[s][0] + di;
          int64_t j = seeds[s][1] + dj;
          int64_t k = seeds[s][2] + dk;
          double x = (double)di * sm->spacing[0];
          double y = (double)dj * sm->spacing[1];
          double z = (double)dk * sm->spacing[2];
          if (i >= 0 && j >= 0 && k >= 0 && i < sm->dims[0] && j < sm->dims[1] && k < sm->dims[2] &&
              x * x + y * y + z * z <= r * r) {
            vals[nv++] = carm_volume_at(sm, i, j, k);
          }
        }
      }
    }
  }
  double p10 = organ_quantile(vals, nv, 0.10); /* sorts */
  double p60 = organ_quantile(vals, nv, 0.60);
  int64_t m = 0;
  for (int64_t i = 0; i < nv; i++) {
    if (vals[i] >= p10 && vals[i] <= p60) {
      vals[m++] = vals[i];
    }
  }
  organ_median_sd(vals, m > 0 ? m : nv, med, sd);
  free(vals);
  return CARM_OK;
}

static int cmp_lesion(const void *a, const void *b) {
  const lesion *x = a;
  const lesion *y = b;
  return (x->size < y->size) - (x->size > y->size);
}

/* Whether the lesion covers, or lies within 5 mm of, a physical point. */
static int lesion_near(const lesion *les, const carm_volume *grid, const int64_t seed[3]) {
  const carm_volume *m = les->mask;
  for (int64_t k = 0; k < m->dims[2]; k++) {
    for (int64_t j = 0; j < m->dims[1]; j++) {
      for (int64_t i = 0; i < m->dims[0]; i++) {
        if (carm_volume_at(m, i, j, k) > 0.5f) {
          double d[3] = {(double)(les->lo[0] + i - seed[0]) * grid->spacing[0],
                         (double)(les->lo[1] + j - seed[1]) * grid->spacing[1],
                         (double)(les->lo[2] + k - seed[2]) * grid->spacing[2]};
          if (carm_vec3_dot(d, d) <= 25.0) {
            return 1;
          }
        }
      }
    }
  }
  return 0;
}

carm_status carm_organ_tumours(carm_volume *labels, int64_t *n_found, carm_organ_tumour_info *info,
                               const carm_volume *arterial, const carm_volume *liver,
                               const carm_organ_tumour_opts *opts) {
  carm_organ_tumour_opts o = CARM_ORGAN_TUMOUR_OPTS_INIT;
  if (opts != NULL) {
    o = *opts;
  }
  carm_status st = check_opts(&o);
  if (st != CARM_OK) {
    return st;
  }
  if (labels == NULL || arterial == NULL || labels->data == NULL || arterial->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "tumours: NULL volume");
  }
  for (int a = 0; a < 3; a++) {
    if (labels->dims[a] != arterial->dims[a] ||
        (liver != NULL && liver->dims[a] != arterial->dims[a])) {
      return carm_error(CARM_ERR_INVALID, "tumours: the volumes' dims differ");
    }
  }
  if (liver != NULL && liver->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "tumours: liver mask without data");
  }
  if (liver == NULL && o.n_seeds == 0) {
    return carm_error(CARM_ERR_INVALID,
                      "tumours: give a liver mask or at least one seed (the parenchyma level "
                      "comes from one of them)");
  }
  int64_t seeds[CARM_ORGAN_MAX_SEEDS][3];
  for (int s = 0; s < o.n_seeds; s++) {
    st = organ_point_voxel(arterial, o.seeds_mm[s], seeds[s]);
    if (st != CARM_OK) {
      return st;
    }
  }
  const int64_t n = carm_volume_count(arterial);
  const int axis = organ_axial_axis(arterial, o.lps_from_physical);
  carm_volume *hu = NULL;
  carm_volume *sm = NULL;
  carm_volume *cand = NULL;
  carm_volume *opened = NULL;
  lesion *les = NULL;
  int64_t *sizes = NULL;
  int64_t n_les = 0;
  int64_t cap_les = 0;
  double med = 0.0;
  double sd = 0.0;
  st = organ_to_hu(&hu, arterial, o.units, o.mu_water_per_mm);
  if (st == CARM_OK) {
    st = carm_volume_create_like(&sm, arterial);
  }
  if (st == CARM_OK) {
    double s3[3] = {o.smooth_sigma_mm, o.smooth_sigma_mm, o.smooth_sigma_mm};
    st = carm_seg_gaussian(sm, hu, s3);
  }
  if (st == CARM_OK) {
    st = parenchyma(sm, liver, (const int64_t(*)[3])seeds, o.n_seeds, &med, &sd);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  const double thr = med + fmax(o.min_enhancement_hu, 4.0 * sd);
  st = carm_volume_create_like(&cand, arterial);
  if (st == CARM_OK) {
    st = carm_volume_create_like(&opened, arterial);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  /* candidates: above threshold, in the liver (or within 40 mm of a seed) */
  for (int64_t k = 0; k < arterial->dims[2]; k++) {
    for (int64_t j = 0; j < arterial->dims[1]; j++) {
      for (int64_t i = 0; i < arterial->dims[0]; i++) {
        int64_t idx = (k * arterial->dims[1] + j) * arterial->dims[0] + i;
        int in = sm->data[idx] > (float)thr;
        if (in && liver != NULL) {
          in = liver->data[idx] > 0.5f;
        } else if (in) {
          int near = 0;
          for (int s = 0; s < o.n_seeds && !near; s++) {
            double d[3] = {(double)(i - seeds[s][0]) * arterial->spacing[0],
                           (double)(j - seeds[s][1]) * arterial->spacing[1],
                           (double)(k - seeds[s][2]) * arterial->spacing[2]};
            near = carm_vec3_dot(d, d) <= 1600.0;
          }
          in = near;
        }
        cand->data[idx] = in ? 1.0f : 0.0f;
      }
    }
  }
  if (carm_progress_report(&o.progress, 0.3, "tumours: opening")) {
    st = carm_error(CARM_ERR_CANCELLED, "tumours: cancelled");
    goto cleanup;
  }
  st = carm_seg_morph_binary(opened, cand, CARM_SEG_OPEN, 0.5 * o.min_diameter_mm);
  int64_t nl = 0;
  if (st == CARM_OK) {
    st = carm_seg_label(cand, &nl, &sizes, opened, 6);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  /* bounding boxes of the candidates */
  int64_t(*box)[6] = NULL;
  if (nl > 0) {
    box = malloc((size_t)nl * sizeof *box);
    if (box == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "tumours: out of memory");
      goto cleanup;
    }
    for (int64_t l = 0; l < nl; l++) {
      box[l][0] = box[l][1] = box[l][2] = INT64_MAX;
      box[l][3] = box[l][4] = box[l][5] = -1;
    }
    for (int64_t k = 0; k < arterial->dims[2]; k++) {
      for (int64_t j = 0; j < arterial->dims[1]; j++) {
        for (int64_t i = 0; i < arterial->dims[0]; i++) {
          int64_t l = (int64_t)carm_volume_at(cand, i, j, k);
          if (l > 0) {
            int64_t p[3] = {i, j, k};
            for (int a = 0; a < 3; a++) {
              box[l - 1][a] = p[a] < box[l - 1][a] ? p[a] : box[l - 1][a];
              box[l - 1][3 + a] = p[a] > box[l - 1][3 + a] ? p[a] : box[l - 1][3 + a];
            }
          }
        }
      }
    }
  }
  cap_les = nl + o.n_seeds + 1;
  les = calloc((size_t)cap_les, sizeof *les);
  if (les == NULL) {
    free(box);
    st = carm_error(CARM_ERR_NOMEM, "tumours: out of memory");
    goto cleanup;
  }
  for (int64_t l = 1; l <= nl && st == CARM_OK; l++) {
    int64_t lo[3];
    int64_t dims[3];
    /* the lesion may extend past its opened core by max(3 mm, the core's
     * equivalent radius): enough for rims around necrosis, not for vessels */
    double reach = fmax(3.0, cbrt(3.0 * (double)sizes[l] * arterial->spacing[0] *
                                  arterial->spacing[1] * arterial->spacing[2] / (4.0 * M_PI)));
    for (int a = 0; a < 3; a++) {
      int64_t margin = 2 + (int64_t)ceil(reach / arterial->spacing[a]);
      lo[a] = box[l - 1][a] - margin;
      dims[a] = box[l - 1][3 + a] - box[l - 1][a] + 1 + 2 * margin;
    }
    carm_volume *core = NULL;
    carm_volume *smc = NULL;
    carm_volume *allowed = NULL;
    st = crop(&core, cand, lo, dims);
    if (st == CARM_OK) {
      st = crop(&smc, sm, lo, dims);
    }
    if (st == CARM_OK) {
      st = carm_volume_create_like(&allowed, core);
    }
    int64_t nc = carm_volume_count(core);
    float *vals = NULL;
    int64_t nvals = 0;
    if (st == CARM_OK) {
      for (int64_t i = 0; i < nc; i++) {
        core->data[i] = core->data[i] == (float)l ? 1.0f : 0.0f;
        nvals += core->data[i] > 0.5f;
      }
      vals = malloc((size_t)(nvals > 0 ? nvals : 1) * sizeof(float));
      if (vals == NULL) {
        st = carm_error(CARM_ERR_NOMEM, "tumours: out of memory");
      }
    }
    if (st == CARM_OK) {
      nvals = 0;
      for (int64_t i = 0; i < nc; i++) {
        if (core->data[i] > 0.5f) {
          vals[nvals++] = smc->data[i];
        }
      }
      /* lesion level, and an upper limit that leaves out vessels brighter
       * than the lesion (their cores; the partial-volume rims are cut by
       * the opening in lesion_grow) */
      double level = organ_quantile(vals, nvals, 0.9);
      double lmed = 0.0;
      double lsd = 0.0;
      organ_median_sd(vals, nvals, &lmed, &lsd);
      double half = 0.5 * (med + level);
      double upper = level + fmax(3.0 * lsd, 0.5 * (level - med));
      st = carm_seg_morph_binary(allowed, core, CARM_SEG_DILATE, reach);
      /* the edge on a lighter smoothing (sigma / 2): blur moves the
       * half-maximum of a curved edge inwards by about sigma^2 / radius */
      carm_volume *edge = NULL;
      if (st == CARM_OK) {
        st = crop(&edge, hu, lo, dims);
      }
      if (st == CARM_OK) {
        double s3[3] = {0.5 * o.smooth_sigma_mm, 0.5 * o.smooth_sigma_mm, 0.5 * o.smooth_sigma_mm};
        st = carm_seg_gaussian(edge, edge, s3);
      }
      int64_t size = 0;
      if (st == CARM_OK) {
        st = lesion_grow(core, edge, allowed, half, upper, 0.4 * o.min_diameter_mm, axis, &size);
      }
      carm_volume_destroy(edge);
      if (st == CARM_OK && elongation(core) <= o.max_elongation && size > 0) {
        memcpy(les[n_les].lo, lo, sizeof lo);
        les[n_les].mask = core;
        les[n_les].size = size;
        core = NULL;
        n_les++;
      }
    }
    free(vals);
    carm_volume_destroy(core);
    carm_volume_destroy(smc);
    carm_volume_destroy(allowed);
  }
  free(box);
  free(sizes);
  sizes = NULL;
  if (st != CARM_OK) {
    goto cleanup;
  }
  if (carm_progress_report(&o.progress, 0.7, "tumours: seeds")) {
    st = carm_error(CARM_ERR_CANCELLED, "tumours: cancelled");
    goto cleanup;
  }
  /* seeds: keep lesions near a seed; grow a lesion at a seed none covers */
  if (o.n_seeds > 0) {
    int64_t kept = 0;
    for (int64_t q = 0; q < n_les; q++) {
      int near = 0;
      for (int s = 0; s < o.n_seeds && !near; s++) {
        near = lesion_near(&les[q], arterial, seeds[s]);
      }
      if (near) {
        les[kept++] = les[q];
      } else {
        carm_volume_destroy(les[q].mask);
      }
    }
    n_les = kept;
    for (int s = 0; s < o.n_seeds && st == CARM_OK; s++) {
      int covered = 0;
      for (int64_t q = 0; q < n_les && !covered; q++) {
        covered = lesion_near(&les[q], arterial, seeds[s]);
      }
      double v0 = carm_volume_at(sm, seeds[s][0], seeds[s][1], seeds[s][2]);
      if (covered || v0 < med + fmax(15.0, 2.0 * sd)) {
        continue; /* covered, or nothing enhancing at the seed */
      }
      int64_t lo[3];
      int64_t dims[3];
      for (int a = 0; a < 3; a++) {
        int64_t r = (int64_t)ceil(40.0 / arterial->spacing[a]);
        lo[a] = seeds[s][a] - r;
        dims[a] = 2 * r + 1;
      }
      carm_volume *core = NULL;
      carm_volume *smc = NULL;
      st = crop(&core, cand, lo, dims); /* grid only; cleared below */
      if (st == CARM_OK) {
        st = crop(&smc, sm, lo, dims);
      }
      if (st == CARM_OK) {
        memset(core->data, 0, (size_t)carm_volume_count(core) * sizeof(float));
        core->data[(seeds[s][2] - lo[2]) * dims[1] * dims[0] + (seeds[s][1] - lo[1]) * dims[0] +
                   (seeds[s][0] - lo[0])] = 1.0f;
        int64_t size = 0;
        st = lesion_grow(core, smc, NULL, 0.5 * (med + v0), INFINITY, 0.25 * o.min_diameter_mm,
                         axis, &size);
        if (st == CARM_OK && size > 0) {
          memcpy(les[n_les].lo, lo, sizeof lo);
          les[n_les].mask = core;
          les[n_les].size = size;
          core = NULL;
          n_les++;
        }
      }
      carm_volume_destroy(core);
      carm_volume_destroy(smc);
    }
    if (st != CARM_OK) {
      goto cleanup;
    }
  }
  qsort(les, (size_t)n_les, sizeof *les, cmp_lesion);
  memset(labels->data, 0, (size_t)n * sizeof(float));
  carm_volume_copy_grid(labels, arterial);
  for (int64_t q = 0; q < n_les; q++) {
    const carm_volume *m = les[q].mask;
    for (int64_t k = 0; k < m->dims[2]; k++) {
      for (int64_t j = 0; j < m->dims[1]; j++) {
        for (int64_t i = 0; i < m->dims[0]; i++) {
          int64_t si = les[q].lo[0] + i;
          int64_t sj = les[q].lo[1] + j;
          int64_t sk = les[q].lo[2] + k;
          if (carm_volume_at(m, i, j, k) > 0.5f && si >= 0 && sj >= 0 && sk >= 0 &&
              si < arterial->dims[0] && sj < arterial->dims[1] && sk < arterial->dims[2]) {
            float *dst = &labels->data[(sk * arterial->dims[1] + sj) * arterial->dims[0] + si];
            if (*dst == 0.0f) {
              *dst = (float)(q + 1);
            }
          }
        }
      }
    }
  }
  if (n_found != NULL) {
    *n_found = n_les;
  }
  if (info != NULL) {
    info->median_hu = med;
    info->sd_hu = sd;
    info->threshold_hu = thr;
  }
  carm_progress_report(&o.progress, 1.0, "tumours: done");
cleanup:
  if (les != NULL) {
    for (int64_t q = 0; q < n_les; q++) {
      carm_volume_destroy(les[q].mask);
    }
  }
  free(les);
  free(sizes);
  carm_volume_destroy(hu);
  carm_volume_destroy(sm);
  carm_volume_destroy(cand);
  carm_volume_destroy(opened);
  return st;
}
