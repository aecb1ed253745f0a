/* Organ segmentation helpers: units, robust statistics, frames, hole filling,
 * Dice. */
#include "seg/organ_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

carm_status organ_like(carm_volume **out, const carm_volume *like) {
  return carm_volume_create_like(out, like);
}

carm_status organ_to_hu(carm_volume **out, const carm_volume *in, carm_organ_units units,
                        double mu_water_per_mm) {
  if (in == NULL || in->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "organ: NULL volume");
  }
  carm_status st = carm_volume_check_grid(in);
  if (st != CARM_OK) {
    return st;
  }
  if (units != CARM_ORGAN_UNITS_AUTO && units != CARM_ORGAN_UNITS_HU &&
      units != CARM_ORGAN_UNITS_MU) {
    return carm_error(CARM_ERR_INVALID, "organ: unknown units %d", (int)units);
  }
  double muw = mu_water_per_mm > 0.0 ? mu_water_per_mm : CARM_MU_WATER_PER_MM;
  if (!isfinite(muw)) {
    return carm_error(CARM_ERR_INVALID, "organ: mu_water must be finite");
  }
  if (units == CARM_ORGAN_UNITS_AUTO) {
    double lo;
    double hi;
    carm_volume_range(in, &lo, &hi);
    if (isnan(hi)) {
      return carm_error(CARM_ERR_INVALID, "organ: the volume has no finite value");
    }
    units = hi < 1.0 ? CARM_ORGAN_UNITS_MU : CARM_ORGAN_UNITS_HU;
  }
  carm_volume *v = NULL;
  st = carm_volume_clone(&v, in);
  if (st != CARM_OK) {
    return st;
  }
  if (units == CARM_ORGAN_UNITS_MU) {
    int64_t n = carm_volume_count(v);
    const double s = 1000.0 / muw;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
      v->data[i] = (float)(s * (double)v->data[i] - 1000.0);
    }
  }
  *out = v;
  return CARM_OK;
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a;
  float y = *(const float *)b;
  return (x > y) - (x < y);
}

double organ_quantile(float *values, int64_t n, double q) {
  qsort(values, (size_t)n, sizeof(float), cmp_float);
  double pos = q * (double)(n - 1);
  int64_t i = (int64_t)floor(pos);
  if (i >= n - 1) {
    return values[n - 1];
  }
  double f = pos - (double)i;
  return (1.0 - f) * values[i] + f * values[i + 1];
}

void organ_median_sd(float *values, int64_t n, double *median, double *sd) {
  double med = organ_quantile(values, n, 0.5);
  for (int64_t i = 0; i < n; i++) {
    values[i] = fabsf(values[i] - (float)med);
  }
  double mad = organ_quantile(values, n, 0.5);
  *median = med;
  *sd = 1.4826 * mad;
}

void organ_to_lps(const double m[3][3], const double p[3], double out[3]) {
  carm_mat3_apply(m, p, out);
}

int organ_axial_axis(const carm_volume *v, const double lps_from_physical[3][3]) {
  int best = 2;
  double best_dot = -1.0;
  for (int a = 0; a < 3; a++) {
    double col[3] = {v->direction[0][a], v->direction[1][a], v->direction[2][a]};
    double lps[3];
    carm_mat3_apply(lps_from_physical, col, lps);
    double d = fabs(lps[2]) / (carm_vec3_norm(lps) > 0.0 ? carm_vec3_norm(lps) : 1.0);
    if (d > best_dot) {
      best_dot = d;
      best = a;
    }
  }
  return best;
}

carm_status organ_check_rotation(const double m[3][3]) {
  double t[3][3];
  double p[3][3];
  carm_mat3_transpose(m, t);
  carm_mat3_mul(m, t, p);
  for (int r = 0; r < 3; r++) {
    for (int c = 0; c < 3; c++) {
      if (!isfinite(m[r][c]) || fabs(p[r][c] - (r == c ? 1.0 : 0.0)) > 1e-6) {
        return carm_error(CARM_ERR_INVALID, "organ: lps_from_physical is not a rotation");
      }
    }
  }
  return CARM_OK;
}

carm_status organ_point_voxel(const carm_volume *v, const double p_mm[3], int64_t ijk[3]) {
  double c[3];
  carm_volume_point_to_index(v, p_mm, c);
  for (int a = 0; a < 3; a++) {
    double r = floor(c[a] + 0.5);
    if (!isfinite(c[a]) || r < 0.0 || r > (double)(v->dims[a] - 1)) {
      return carm_error(CARM_ERR_INVALID, "seed (%g, %g, %g) mm lies outside the volume", p_mm[0],
                        p_mm[1], p_mm[2]);
    }
    ijk[a] = (int64_t)r;
  }
  return CARM_OK;
}

/* ---- hole filling ---------------------------------------------------------- */

/* Fill background components of `m` (dims d) that do not touch the border:
 * `bg` and `lab` are scratch volumes of the same dims. */
static carm_status fill_volume(carm_volume *m, carm_volume *bg, carm_volume *lab) {
  int64_t n = carm_volume_count(m);
  for (int64_t i = 0; i < n; i++) {
    bg->data[i] = m->data[i] > 0.5f ? 0.0f : 1.0f;
  }
  int64_t nl = 0;
  carm_status st = carm_seg_label(lab, &nl, NULL, bg, 6);
  if (st != CARM_OK) {
    return st;
  }
  if (nl == 0) {
    return CARM_OK;
  }
  unsigned char *border = calloc((size_t)nl + 1, 1);
  if (border == NULL) {
    return carm_error(CARM_ERR_NOMEM, "fill holes: out of memory");
  }
  const int64_t *d = m->dims;
  for (int64_t k = 0; k < d[2]; k++) {
    for (int64_t j = 0; j < d[1]; j++) {
      for (int64_t i = 0; i < d[0]; i++) {
        int edge = (d[0] > 1 && (i == 0 || i == d[0] - 1)) ||
                   (d[1] > 1 && (j == 0 || j == d[1] - 1)) ||
                   (d[2] > 1 && (k == 0 || k == d[2] - 1));
        if (edge) {
          border[(int64_t)carm_volume_at(lab, i, j, k)] = 1;
        }
      }
    }
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t l = (int64_t)lab->data[i];
    if (l > 0 && !border[l]) {
      m->data[i] = 1.0f;
    }
  }
  free(border);
  return CARM_OK;
}

carm_status carm_organ_fill_holes(carm_volume *out, const carm_volume *mask, int axis) {
  if (out == NULL || mask == NULL || out->data == NULL || mask->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "fill holes: NULL volume");
  }
  for (int a = 0; a < 3; a++) {
    if (out->dims[a] != mask->dims[a]) {
      return carm_error(CARM_ERR_INVALID, "fill holes: dims differ");
    }
  }
  if (axis < -1 || axis > 2) {
    return carm_error(CARM_ERR_INVALID, "fill holes: axis %d not in -1..2", axis);
  }
  int64_t n = carm_volume_count(mask);
  for (int64_t i = 0; i < n; i++) {
    out->data[i] = mask->data[i] > 0.5f ? 1.0f : 0.0f;
  }
  carm_volume *bg = NULL;
  carm_volume *lab = NULL;
  carm_volume *sl = NULL;
  carm_volume *sbg = NULL;
  carm_volume *slab = NULL;
  carm_status st = carm_volume_create_like(&bg, mask);
  if (st == CARM_OK) {
    st = carm_volume_create_like(&lab, mask);
  }
  if (st == CARM_OK) {
    st = fill_volume(out, bg, lab);
  }
  if (st != CARM_OK || axis < 0) {
    goto cleanup;
  }
  {
    int64_t sd[3] = {mask->dims[0], mask->dims[1], mask->dims[2]};
    sd[axis] = 1;
    st = carm_volume_create(&sl, sd);
    if (st == CARM_OK) {
      st = carm_volume_create(&sbg, sd);
    }
    if (st == CARM_OK) {
      st = carm_volume_create(&slab, sd);
    }
    if (st != CARM_OK) {
      goto cleanup;
    }
    const int64_t *d = mask->dims;
    for (int64_t s = 0; s < d[axis] && st == CARM_OK; s++) {
      for (int64_t k = 0; k < sd[2]; k++) {
        for (int64_t j = 0; j < sd[1]; j++) {
          for (int64_t i = 0; i < sd[0]; i++) {
            int64_t ijk[3] = {i, j, k};
            ijk[axis] = s;
            sl->data[(k * sd[1] + j) * sd[0] + i] = carm_volume_at(out, ijk[0], ijk[1], ijk[2]);
          }
        }
      }
      st = fill_volume(sl, sbg, slab);
      for (int64_t k = 0; k < sd[2] && st == CARM_OK; k++) {
        for (int64_t j = 0; j < sd[1]; j++) {
          for (int64_t i = 0; i < sd[0]; i++) {
            int64_t ijk[3] = {i, j, k};
            ijk[axis] = s;
            out->data[(ijk[2] * d[1] + ijk[1]) * d[0] + ijk[0]] =
                sl->data[(k * sd[1] + j) * sd[0] + i];
          }
        }
      }
    }
  }
cleanup:
  carm_volume_destroy(bg);
  carm_volume_destroy(lab);
  carm_volume_destroy(sl);
  carm_volume_destroy(sbg);
  carm_volume_destroy(slab);
  return st;
}

carm_status carm_organ_dice(double *dice, const carm_volume *a, const carm_volume *b) {
  if (dice == NULL || a == NULL || b == NULL || a->data == NULL || b->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "dice: NULL argument");
  }
  for (int k = 0; k < 3; k++) {
    if (a->dims[k] != b->dims[k]) {
      return carm_error(CARM_ERR_INVALID, "dice: the masks have different dims");
    }
  }
  int64_t na = 0;
  int64_t nb = 0;
  int64_t both = 0;
  int64_t n = carm_volume_count(a);
  for (int64_t i = 0; i < n; i++) {
    int x = a->data[i] > 0.5f;
    int y = b->data[i] > 0.5f;
    na += x;
    nb += y;
    both += x && y;
  }
  *dice = na + nb == 0 ? 1.0 : 2.0 * (double)both / (double)(na + nb);
  return CARM_OK;
}
