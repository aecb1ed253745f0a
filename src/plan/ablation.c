/* Ablation zones (ellipsoids along the needle) and their coverage of a
 * target with a margin (CLINICAL.md, "Thermal ablation"). */
#include "carm/plan.h"

#include <math.h>
#include <stdlib.h>

/* Eberly's robust root of F(s) = (r0·z0/(s + r0))² + (z1/(s + 1))² − 1 on
 * the bracket he derives ("Distance from a point to an ellipse, an
 * ellipsoid, or a hyperellipsoid", 2013). */
static double get_root(double r0, double z0, double z1, double g) {
  double n0 = r0 * z0;
  double s0 = z1 - 1.0;
  double s1 = g < 0.0 ? 0.0 : hypot(n0, z1) - 1.0;
  double s = 0.0;
  for (int i = 0; i < 200; i++) {
    s = 0.5 * (s0 + s1);
    if (s == s0 || s == s1) {
      break;
    }
    double ratio0 = n0 / (s + r0);
    double ratio1 = z1 / (s + 1.0);
    g = ratio0 * ratio0 + ratio1 * ratio1 - 1.0;
    if (g > 0.0) {
      s0 = s;
    } else if (g < 0.0) {
      s1 = s;
    } else {
      break;
    }
  }
  return s;
}

/* Distance from (y0, y1), both >= 0, to the ellipse with semi-axes
 * e0 >= e1 > 0. */
static double ellipse_distance(double e0, double e1, double y0, double y1) {
  if (y1 > 0.0) {
    if (y0 > 0.0) {
      double z0 = y0 / e0;
      double z1 = y1 / e1;
      double g = z0 * z0 + z1 * z1 - 1.0;
      if (g == 0.0) {
        return 0.0;
      }
      double r0 = (e0 / e1) * (e0 / e1);
      double sbar = get_root(r0, z0, z1, g);
      double x0 = r0 * y0 / (sbar + r0);
      double x1 = y1 / (sbar + 1.0);
      return hypot(x0 - y0, x1 - y1);
    }
    return fabs(y1 - e1);
  }
  double numer0 = e0 * y0;
  double denom0 = e0 * e0 - e1 * e1;
  if (numer0 < denom0) {
    double xde0 = numer0 / denom0;
    double x0 = e0 * xde0;
    double x1 = e1 * sqrt(1.0 - xde0 * xde0);
    return hypot(x0 - y0, x1);
  }
  return fabs(y0 - e0);
}

double carm_ablation_zone_depth(const carm_ablation_zone *zone, const double p[3]) {
  double axis[3] = {zone->axis[0], zone->axis[1], zone->axis[2]};
  carm_vec3_normalize(axis);
  double d[3] = {p[0] - zone->centre_mm[0], p[1] - zone->centre_mm[1], p[2] - zone->centre_mm[2]};
  double along = fabs(carm_vec3_dot(d, axis));
  double radial2 = carm_vec3_dot(d, d) - along * along;
  double radial = radial2 > 0.0 ? sqrt(radial2) : 0.0;
  double a = 0.5 * zone->long_mm;
  double b = 0.5 * zone->short_mm;
  double inside = (along / a) * (along / a) + (radial / b) * (radial / b) - 1.0;
  double dist =
      a >= b ? ellipse_distance(a, b, along, radial) : ellipse_distance(b, a, radial, along);
  return inside <= 0.0 ? dist : -dist;
}

carm_status carm_ablation_coverage_compute(const carm_volume *labels, int label, double margin_mm,
                                           const carm_ablation_zone *zone,
                                           carm_ablation_coverage *out) {
  if (labels == NULL || zone == NULL || out == NULL) {
    return carm_error(CARM_ERR_INVALID, "ablation coverage: missing argument");
  }
  if (!(margin_mm >= 0.0 && margin_mm <= 50.0) || !(zone->long_mm > 0.0) ||
      !(zone->short_mm > 0.0) || carm_vec3_norm(zone->axis) < 1e-9) {
    return carm_error(CARM_ERR_RANGE, "ablation: margin 0..50 mm, zone axes > 0, axis non-zero");
  }
  const int64_t nx = labels->dims[0];
  const int64_t ny = labels->dims[1];
  const int64_t nz = labels->dims[2];
  /* target bounding box and its boundary voxels */
  int64_t lo[3] = {nx, ny, nz};
  int64_t hi[3] = {-1, -1, -1};
  int64_t n_target = 0;
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        if ((int)lroundf(carm_volume_at(labels, i, j, k)) == label) {
          int64_t idx[3] = {i, j, k};
          for (int a = 0; a < 3; a++) {
            lo[a] = idx[a] < lo[a] ? idx[a] : lo[a];
            hi[a] = idx[a] > hi[a] ? idx[a] : hi[a];
          }
          n_target++;
        }
      }
    }
  }
  if (n_target == 0) {
    return carm_error(CARM_ERR_NOTFOUND, "ablation: label %d is absent", label);
  }
  double(*boundary)[3] = malloc((size_t)n_target * sizeof *boundary);
  if (boundary == NULL) {
    return carm_error(CARM_ERR_NOMEM, "ablation: out of memory");
  }
  int64_t n_boundary = 0;
  double min_margin = INFINITY;
  int64_t target_in = 0;
  for (int64_t k = lo[2]; k <= hi[2]; k++) {
    for (int64_t j = lo[1]; j <= hi[1]; j++) {
      for (int64_t i = lo[0]; i <= hi[0]; i++) {
        if ((int)lroundf(carm_volume_at(labels, i, j, k)) != label) {
          continue;
        }
        double ijk[3] = {(double)i, (double)j, (double)k};
        double p[3];
        carm_volume_index_to_point(labels, ijk, p);
        double depth = carm_ablation_zone_depth(zone, p);
        min_margin = depth < min_margin ? depth : min_margin;
        target_in += depth >= 0.0;
        int edge = 0;
        const int64_t nb[6][3] = {{1, 0, 0},  {-1, 0, 0}, {0, 1, 0},
                                  {0, -1, 0}, {0, 0, 1},  {0, 0, -1}};
        for (int q = 0; q < 6 && !edge; q++) {
          int64_t a = i + nb[q][0];
          int64_t b = j + nb[q][1];
          int64_t c = k + nb[q][2];
          edge = a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz ||
                 (int)lroundf(carm_volume_at(labels, a, b, c)) != label;
        }
        if (edge) {
          boundary[n_boundary][0] = p[0];
          boundary[n_boundary][1] = p[1];
          boundary[n_boundary][2] = p[2];
          n_boundary++;
        }
      }
    }
  }
  /* target + margin: voxels within margin_mm of the target (target voxels
   * included); distances to the boundary voxels' centres */
  int64_t pad[3];
  for (int a = 0; a < 3; a++) {
    pad[a] = (int64_t)ceil(margin_mm / labels->spacing[a]) + 1;
  }
  int64_t region = 0;
  int64_t region_in = 0;
  double m2 = margin_mm * margin_mm;
  for (int64_t k = lo[2] - pad[2]; k <= hi[2] + pad[2]; k++) {
    for (int64_t j = lo[1] - pad[1]; j <= hi[1] + pad[1]; j++) {
      for (int64_t i = lo[0] - pad[0]; i <= hi[0] + pad[0]; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k};
        double p[3];
        carm_volume_index_to_point(labels, ijk, p);
        int in_target = i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz &&
                        (int)lroundf(carm_volume_at(labels, i, j, k)) == label;
        int in_region = in_target;
        for (int64_t b = 0; b < n_boundary && !in_region; b++) {
          double dx = p[0] - boundary[b][0];
          double dy = p[1] - boundary[b][1];
          double dz = p[2] - boundary[b][2];
          in_region = dx * dx + dy * dy + dz * dz <= m2;
        }
        if (in_region) {
          region++;
          region_in += carm_ablation_zone_depth(zone, p) >= 0.0;
        }
      }
    }
  }
  free(boundary);
  double voxel_ml = labels->spacing[0] * labels->spacing[1] * labels->spacing[2] / 1000.0;
  out->coverage = (double)region_in / (double)region;
  out->tumour_coverage = (double)target_in / (double)n_target;
  out->min_margin_mm = min_margin;
  out->target_ml = (double)n_target * voxel_ml;
  out->zone_ml = 4.0 / 3.0 * M_PI * (0.5 * zone->long_mm) * (0.5 * zone->short_mm) *
                 (0.5 * zone->short_mm) / 1000.0;
  return CARM_OK;
}
