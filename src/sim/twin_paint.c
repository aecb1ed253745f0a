/* The twin's voxeliser: primitives painted layer by layer in priority
 * order, with partial-volume supersampling of the voxels that a surface
 * may cut (decided from a conservative signed distance at the centre). */
#include "carm/twin.h"
#include "sim/twin_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct grid_map {
  double o[3];    /* centre of voxel 0 */
  double e[3][3]; /* e[a]: world step of index axis a */
  int64_t n[3];
} grid_map;

static void grid_map_init(grid_map *g, const carm_volume *v) {
  for (int k = 0; k < 3; k++) {
    g->o[k] = v->origin[k];
    g->n[k] = v->dims[k];
  }
  for (int a = 0; a < 3; a++) {
    for (int k = 0; k < 3; k++) {
      g->e[a][k] = v->direction[k][a] * v->spacing[a];
    }
  }
}

static inline double mind(double a, double b) { return a < b ? a : b; }
static inline double maxd(double a, double b) { return a > b ? a : b; }
static inline void apply3(const double m[3][3], const double v[3], double o[3]) {
  o[0] = m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2];
  o[1] = m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2];
  o[2] = m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2];
}

/* Conservative signed distance (mm, negative inside) of a world point; with
 * `exact` only its sign matters (inside tests of supersamples). */
static double prim_sd(const carm_twin *twin, const twin_prim *p, const double x[3], int exact) {
  switch (p->type) {
  case TWIN_PRIM_CAPSULES: {
    double best = INFINITY;
    for (int i = 0; i + 1 < p->n; i++) {
      const double *a = p->pts[i], *b = p->pts[i + 1];
      double ab[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
      double ax[3] = {x[0] - a[0], x[1] - a[1], x[2] - a[2]};
      double l2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
      double t = l2 > 0.0 ? (ax[0] * ab[0] + ax[1] * ab[1] + ax[2] * ab[2]) / l2 : 0.0;
      t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
      double d[3] = {ax[0] - t * ab[0], ax[1] - t * ab[1], ax[2] - t * ab[2]};
      double dist = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      double r = p->rad[i] + t * (p->rad[i + 1] - p->rad[i]);
      if (dist - r < best) {
        best = dist - r;
      }
    }
    return best;
  }
  case TWIN_PRIM_ELLIPSOID:
  case TWIN_PRIM_ECYL: {
    double d[3] = {x[0] - p->c[0], x[1] - p->c[1], x[2] - p->c[2]};
    double q[3];
    apply3(p->r, d, q);
    if (p->type == TWIN_PRIM_ELLIPSOID) {
      double k = sqrt((q[0] / p->a[0]) * (q[0] / p->a[0]) + (q[1] / p->a[1]) * (q[1] / p->a[1]) +
                      (q[2] / p->a[2]) * (q[2] / p->a[2]));
      return (k - 1.0) * mind(p->a[0], mind(p->a[1], p->a[2]));
    }
    double k = sqrt((q[0] / p->a[0]) * (q[0] / p->a[0]) + (q[1] / p->a[1]) * (q[1] / p->a[1]));
    return maxd((k - 1.0) * mind(p->a[0], p->a[1]), fabs(q[2]) - p->a[2]);
  }
  case TWIN_PRIM_LIVER: {
    const carm_twin_private *pv = twin->priv;
    double lps[3];
    apply3(pv->lps_from_world, x, lps);
    double cx = (lps[0] - pv->cage_c[0]) / pv->cage_a[0];
    double cy = (lps[1] - pv->cage_c[1]) / pv->cage_a[1];
    double cage = (sqrt(cx * cx + cy * cy) - 1.0) * mind(pv->cage_a[0], pv->cage_a[1]);
    const double scale = 0.35 * mind(pv->liver_a[0], mind(pv->liver_a[1], pv->liver_a[2]));
    double glo, ghi;
    twin_liver_g_bounds(pv, lps, &glo, &ghi);
    if (glo - 1.0 > 0.15) {
      return maxd((glo - 1.0) * scale, cage); /* surely outside, far */
    }
    if (ghi - 1.0 < -0.15) {
      return maxd((ghi - 1.0) * scale, cage); /* surely inside, deep */
    }
    if (exact && (ghi < 1.0 || glo >= 1.0)) {
      return maxd(ghi < 1.0 ? -1.0 : 1.0, cage);
    }
    double g = twin_liver_g(pv, lps) - 1.0;
    if (!exact && fabs(g) > 0.15) {
      g *= scale;
    } else if (!exact) {
      /* first-order distance g/|grad g|, with a safety factor of 1.3 */
      const double step = 0.25;
      double grad2 = 0.0;
      for (int k = 0; k < 3; k++) {
        double y[3] = {lps[0], lps[1], lps[2]};
        y[k] += step;
        double d = (twin_liver_g(pv, y) - 1.0 - g) / step;
        grad2 += d * d;
      }
      g = g / (1.3 * maxd(sqrt(grad2), 1e-6));
    }
    return maxd(g, cage);
  }
  }
  return INFINITY;
}

/* Index box of a primitive on the grid; returns 0 when empty. */
static int prim_box(const carm_volume *v, const twin_prim *p, int64_t lo[3], int64_t hi[3]) {
  double mn[3] = {INFINITY, INFINITY, INFINITY}, mx[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int c = 0; c < 8; c++) {
    double w[3] = {(c & 1) ? p->hi[0] : p->lo[0], (c & 2) ? p->hi[1] : p->lo[1],
                   (c & 4) ? p->hi[2] : p->lo[2]};
    double ijk[3];
    carm_volume_point_to_index(v, w, ijk);
    for (int k = 0; k < 3; k++) {
      mn[k] = fmin(mn[k], ijk[k]);
      mx[k] = fmax(mx[k], ijk[k]);
    }
  }
  for (int k = 0; k < 3; k++) {
    double a = floor(mn[k]) - 1.0, b = ceil(mx[k]) + 1.0;
    if (b < 0.0 || a > (double)(v->dims[k] - 1) || !isfinite(a) || !isfinite(b)) {
      return 0;
    }
    lo[k] = a < 0.0 ? 0 : (int64_t)a;
    hi[k] = b > (double)(v->dims[k] - 1) ? v->dims[k] - 1 : (int64_t)b;
  }
  return 1;
}

static void paint_prim(const carm_twin *twin, const twin_prim *p, const grid_map *g,
                       const int64_t lo[3], const int64_t hi[3], int ss, float *frac) {
  double h = 0.0;
  for (int a = 0; a < 3; a++) {
    h += g->e[a][0] * g->e[a][0] + g->e[a][1] * g->e[a][1] + g->e[a][2] * g->e[a][2];
  }
  h = 0.5 * sqrt(h) * 1.0001;
  const double inv = 1.0 / ((double)ss * ss * ss);
  const int64_t nvox = (hi[0] - lo[0] + 1) * (hi[1] - lo[1] + 1) * (hi[2] - lo[2] + 1);
#pragma omp parallel for schedule(dynamic, 1) if (nvox > 32768)
  for (int64_t k = lo[2]; k <= hi[2]; k++) {
    for (int64_t j = lo[1]; j <= hi[1]; j++) {
      for (int64_t i = lo[0]; i <= hi[0]; i++) {
        double x[3];
        for (int m = 0; m < 3; m++) {
          x[m] = g->o[m] + (double)i * g->e[0][m] + (double)j * g->e[1][m] + (double)k * g->e[2][m];
        }
        double sd = prim_sd(twin, p, x, 0);
        if (sd >= h) {
          continue;
        }
        double f = 1.0;
        if (sd > -h) {
          int count = 0;
          for (int c = 0; c < ss; c++) {
            double oc = ((double)c + 0.5) / ss - 0.5;
            for (int bq = 0; bq < ss; bq++) {
              double ob = ((double)bq + 0.5) / ss - 0.5;
              for (int a = 0; a < ss; a++) {
                double oa = ((double)a + 0.5) / ss - 0.5;
                double y[3];
                for (int m = 0; m < 3; m++) {
                  y[m] = x[m] + oa * g->e[0][m] + ob * g->e[1][m] + oc * g->e[2][m];
                }
                if (prim_sd(twin, p, y, 1) < 0.0) {
                  count++;
                }
              }
            }
          }
          f = count * inv;
        }
        int64_t v = (k * g->n[1] + j) * g->n[0] + i;
        if ((float)f > frac[v]) {
          frac[v] = (float)f;
        }
      }
    }
  }
}

carm_status carm_twin_paint(const carm_twin *twin, const double values[CARM_TWIN_C_COUNT],
                            int supersample, carm_volume *vol, carm_volume *labels) {
  if (values == NULL) {
    return carm_error(CARM_ERR_INVALID, "twin paint: NULL argument");
  }
  return twin_paint_multi(twin, 1, (const double(*)[CARM_TWIN_C_COUNT])values, supersample,
                          vol != NULL ? &vol : NULL, labels);
}

carm_status twin_paint_multi(const carm_twin *twin, int n_out,
                             const double (*values)[CARM_TWIN_C_COUNT], int supersample,
                             carm_volume *const *vols, carm_volume *labels) {
  if (twin == NULL || twin->priv == NULL || values == NULL || n_out < 1 || n_out > 16 ||
      (vols == NULL && labels == NULL)) {
    return carm_error(CARM_ERR_INVALID, "twin paint: NULL argument");
  }
  carm_volume *vol = vols != NULL ? vols[0] : NULL;
  for (int o = 1; vols != NULL && o < n_out; o++) {
    if (vols[o] == NULL || vols[o]->data == NULL || !carm_volume_same_grid(vol, vols[o], 1e-9)) {
      return carm_error(CARM_ERR_INVALID, "twin paint: outputs must share one grid");
    }
  }
  if (supersample < 0 || supersample > 8) {
    return carm_error(CARM_ERR_INVALID, "twin paint: supersample %d not in 0..8", supersample);
  }
  int ss = supersample == 0 ? 4 : supersample;
  const carm_volume *grid = vol != NULL ? vol : labels;
  carm_status st = carm_volume_check_grid(grid);
  if (st != CARM_OK) {
    return st;
  }
  if (vol != NULL && vol->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "twin paint: volume without data");
  }
  if (labels != NULL &&
      (labels->data == NULL || (vol != NULL && !carm_volume_same_grid(vol, labels, 1e-9)))) {
    return carm_error(CARM_ERR_INVALID, "twin paint: labels must share the volume's grid");
  }
  for (int o = 0; o < n_out; o++) {
    for (int c = 0; c < CARM_TWIN_C_COUNT; c++) {
      if (!isfinite(values[o][c])) {
        return carm_error(CARM_ERR_INVALID, "twin paint: value of %s is not finite",
                          carm_twin_compartment_name(c));
      }
    }
  }
  const carm_twin_private *pv = twin->priv;
  int64_t n = carm_volume_count(grid);
  float *frac = malloc((size_t)n * sizeof *frac);
  float *rem = malloc((size_t)n * sizeof *rem);
  float *best = labels != NULL ? malloc((size_t)n * sizeof *best) : NULL;
  if (frac == NULL || rem == NULL || (labels != NULL && best == NULL)) {
    free(frac);
    free(rem);
    free(best);
    return carm_error(CARM_ERR_NOMEM, "twin paint: out of memory for %lld voxels", (long long)n);
  }
  grid_map g;
  grid_map_init(&g, grid);
  int last = pv->n_layers - 1;
  if (labels == NULL) {
    for (; last >= 0; last--) {
      int nonzero = 0;
      for (int o = 0; o < n_out; o++) {
        nonzero |= values[o][pv->layer_compartment[last]] != 0.0;
      }
      if (nonzero) {
        break;
      }
    }
  }
#pragma omp parallel for schedule(static)
  for (int64_t v = 0; v < n; v++) {
    rem[v] = 1.0f;
    for (int o = 0; vols != NULL && o < n_out; o++) {
      vols[o]->data[v] = 0.0f;
    }
    if (labels != NULL) {
      best[v] = 0.0f;
      labels->data[v] = 0.0f;
    }
  }
  for (int layer = 0; layer <= last; layer++) {
    int64_t ulo[3] = {INT64_MAX, INT64_MAX, INT64_MAX}, uhi[3] = {-1, -1, -1};
    int any = 0;
    for (int i = 0; i < pv->n_prims; i++) {
      int64_t lo[3], hi[3];
      if (pv->prims[i].layer != layer || !prim_box(grid, &pv->prims[i], lo, hi)) {
        continue;
      }
      any = 1;
      for (int k = 0; k < 3; k++) {
        ulo[k] = lo[k] < ulo[k] ? lo[k] : ulo[k];
        uhi[k] = hi[k] > uhi[k] ? hi[k] : uhi[k];
      }
    }
    if (!any) {
      continue;
    }
#pragma omp parallel for schedule(static)
    for (int64_t k = ulo[2]; k <= uhi[2]; k++) {
      for (int64_t j = ulo[1]; j <= uhi[1]; j++) {
        int64_t row = (k * g.n[1] + j) * g.n[0];
        memset(frac + row + ulo[0], 0, (size_t)(uhi[0] - ulo[0] + 1) * sizeof *frac);
      }
    }
    for (int i = 0; i < pv->n_prims; i++) {
      int64_t lo[3], hi[3];
      if (pv->prims[i].layer != layer || !prim_box(grid, &pv->prims[i], lo, hi)) {
        continue;
      }
      paint_prim(twin, &pv->prims[i], &g, lo, hi, ss, frac);
    }
    float value[16];
    for (int o = 0; o < n_out; o++) {
      value[o] = (float)values[o][pv->layer_compartment[layer]];
    }
    const float label = (float)pv->layer_label[layer];
#pragma omp parallel for schedule(static)
    for (int64_t k = ulo[2]; k <= uhi[2]; k++) {
      for (int64_t j = ulo[1]; j <= uhi[1]; j++) {
        int64_t row = (k * g.n[1] + j) * g.n[0];
        for (int64_t i = ulo[0]; i <= uhi[0]; i++) {
          int64_t v = row + i;
          float f = frac[v];
          if (f <= 0.0f) {
            continue;
          }
          float cov = f * rem[v];
          rem[v] -= cov;
          for (int o = 0; vols != NULL && o < n_out; o++) {
            vols[o]->data[v] += cov * value[o];
          }
          if (labels != NULL && cov > best[v]) {
            best[v] = cov;
            labels->data[v] = label;
          }
        }
      }
    }
  }
  if (labels != NULL) {
#pragma omp parallel for schedule(static)
    for (int64_t v = 0; v < n; v++) {
      if (rem[v] > best[v]) {
        labels->data[v] = 0.0f;
      }
    }
  }
  free(frac);
  free(rem);
  free(best);
  return CARM_OK;
}

carm_status carm_twin_voxelize(const carm_twin *twin, double t_s, carm_volume *vol) {
  if (twin == NULL || vol == NULL) {
    return carm_error(CARM_ERR_INVALID, "twin voxelize: NULL argument");
  }
  if (!isfinite(t_s)) {
    return carm_error(CARM_ERR_INVALID, "twin voxelize: time is not finite");
  }
  double values[CARM_TWIN_C_COUNT];
  const carm_contrast_protocol *p = &twin->protocol;
  for (int c = 0; c < CARM_TWIN_C_COUNT; c++) {
    double mu = p->mu_water_per_mm * (1.0 + carm_contrast_hu(p, c, t_s) / 1000.0);
    values[c] = mu > 0.0 ? mu : 0.0;
  }
  return carm_twin_paint(twin, values, 0, vol, NULL);
}

carm_status carm_twin_labels(const carm_twin *twin, carm_volume *labels) {
  double zero[CARM_TWIN_C_COUNT] = {0};
  return carm_twin_paint(twin, zero, 0, NULL, labels);
}

static carm_status make_grid(carm_volume **out, const double lo[3], const double hi[3],
                             double voxel_mm) {
  if (!(voxel_mm >= 0.1 && voxel_mm <= 20.0)) {
    return carm_error(CARM_ERR_INVALID, "twin grid: voxel size %g mm not in 0.1..20", voxel_mm);
  }
  int64_t dims[3];
  for (int k = 0; k < 3; k++) {
    dims[k] = (int64_t)ceil((hi[k] - lo[k]) / voxel_mm);
    if (dims[k] < 1) {
      dims[k] = 1;
    }
  }
  carm_volume *v = NULL;
  carm_status st = carm_volume_create(&v, dims);
  if (st != CARM_OK) {
    return st;
  }
  for (int k = 0; k < 3; k++) {
    v->spacing[k] = voxel_mm;
    /* centred on the box */
    v->origin[k] = 0.5 * (lo[k] + hi[k]) - 0.5 * (double)(dims[k] - 1) * voxel_mm;
  }
  *out = v;
  return CARM_OK;
}

carm_status carm_twin_scene_grid(const carm_twin *twin, double voxel_mm, carm_volume **out) {
  if (twin == NULL || out == NULL) {
    return carm_error(CARM_ERR_INVALID, "twin scene grid: NULL argument");
  }
  /* the body's box (the outermost ellipse) in x, y; ±130 mm in z */
  double lo[3] = {INFINITY, INFINITY, -130.0}, hi[3] = {-INFINITY, -INFINITY, 130.0};
  const carm_twin_private *pv = twin->priv;
  for (int i = 0; i < pv->n_prims; i++) {
    const twin_prim *p = &pv->prims[i];
    if (pv->layer_label[p->layer] != CARM_TWIN_LABEL_FAT) {
      continue;
    }
    for (int k = 0; k < 2; k++) {
      lo[k] = fmin(lo[k], p->lo[k]);
      hi[k] = fmax(hi[k], p->hi[k]);
    }
  }
  if (!isfinite(lo[0]) || !isfinite(lo[1])) {
    return carm_error(CARM_ERR_INTERNAL, "twin scene grid: no body");
  }
  return make_grid(out, lo, hi, voxel_mm);
}

carm_status carm_twin_fov_grid(double voxel_mm, carm_volume **out) {
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "twin fov grid: NULL argument");
  }
  double lo[3] = {-125.0, -125.0, -100.0}, hi[3] = {125.0, 125.0, 100.0};
  return make_grid(out, lo, hi, voxel_mm);
}
