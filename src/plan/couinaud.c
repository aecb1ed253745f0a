/* Couinaud segments from the portal and hepatic veins (CLINICAL.md,
 * "Anatomy"): the plane method (three vertical planes through the hepatic
 * veins on the IVC axis, the transverse plane at the portal bifurcation,
 * the caudate apart) and the portal-territory method (nearest labelled
 * portal branch). docs/planning.md. */
#include "carm/guide.h"

#include <math.h>
#include <string.h>

carm_status carm_couinaud_landmarks_from_trees(carm_couinaud_landmarks *lm,
                                               const carm_seg_tree *portal,
                                               const carm_seg_tree *hepatic) {
  if (lm == NULL || portal == NULL || hepatic == NULL) {
    return carm_error(CARM_ERR_INVALID, "couinaud: NULL argument");
  }
  /* the portal bifurcation: the end of the widest root */
  int64_t best = -1;
  double best_r = -1.0;
  for (int64_t s = 0; s < portal->n_segments; s++) {
    const carm_seg_segment *g = &portal->segments[s];
    if (g->parent >= 0) {
      continue;
    }
    double r = 0.0;
    for (int64_t i = 0; i < g->n_points; i++) {
      r += g->radius_mm[i] / (double)g->n_points;
    }
    if (r > best_r) {
      best_r = r;
      best = s;
    }
  }
  if (best < 0) {
    return carm_error(CARM_ERR_INVALID, "couinaud: the portal tree has no root");
  }
  carm_couinaud_landmarks out;
  memset(&out, 0, sizeof out);
  const carm_seg_segment *pr = &portal->segments[best];
  memcpy(out.bifurcation_mm, pr->points_mm[pr->n_points - 1], sizeof out.bifurcation_mm);
  /* the three widest hepatic-vein roots */
  int64_t roots[3] = {-1, -1, -1};
  double rr[3] = {-1.0, -1.0, -1.0};
  for (int64_t s = 0; s < hepatic->n_segments; s++) {
    const carm_seg_segment *g = &hepatic->segments[s];
    if (g->parent >= 0) {
      continue;
    }
    double r = 0.0;
    for (int64_t i = 0; i < g->n_points; i++) {
      r += g->radius_mm[i] / (double)g->n_points;
    }
    for (int k = 0; k < 3; k++) {
      if (r > rr[k]) {
        for (int m = 2; m > k; m--) {
          rr[m] = rr[m - 1];
          roots[m] = roots[m - 1];
        }
        rr[k] = r;
        roots[k] = s;
        break;
      }
    }
  }
  if (roots[2] < 0) {
    return carm_error(CARM_ERR_INVALID,
                      "couinaud: the hepatic-vein tree needs 3 roots (right, middle, left veins)");
  }
  double az[3];
  for (int k = 0; k < 3; k++) {
    const carm_seg_segment *g = &hepatic->segments[roots[k]];
    for (int a = 0; a < 3; a++) {
      out.confluence_mm[a] += g->points_mm[0][a] / 3.0;
    }
    double dx = g->points_mm[g->n_points - 1][0] - g->points_mm[0][0];
    double dy = g->points_mm[g->n_points - 1][1] - g->points_mm[0][1];
    if (hypot(dx, dy) < 1e-6) {
      return carm_error(CARM_ERR_INVALID, "couinaud: a hepatic-vein root is vertical");
    }
    /* azimuth from the patient's right (−x) towards anterior (−y) */
    az[k] = atan2(-dy, -dx) * 180.0 / M_PI;
  }
  for (int a = 1; a < 3; a++) {
    for (int b = a; b > 0 && az[b - 1] > az[b]; b--) {
      double t = az[b];
      az[b] = az[b - 1];
      az[b - 1] = t;
    }
  }
  memcpy(out.hv_azimuth_deg, az, sizeof az);
  out.caudate_radius_mm = 35.0;
  *lm = out;
  return CARM_OK;
}

void carm_couinaud_planes(const carm_couinaud_landmarks *lm, const double p[3], char out[4]) {
  out[0] = '\0';
  if (lm == NULL || p == NULL) {
    return;
  }
  const double *q = lm->confluence_mm, *b = lm->bifurcation_mm;
  double dx = p[0] - q[0], dy = p[1] - q[1];
  int upper = p[2] > b[2];
  if (p[1] > b[1] && hypot(dx, dy) < lm->caudate_radius_mm && p[2] >= b[2] && p[2] <= q[2]) {
    memcpy(out, "1", 2);
    return;
  }
  double alpha = atan2(-dy, -dx) * 180.0 / M_PI;
  const char *seg;
  if (alpha >= lm->hv_azimuth_deg[2] || alpha < -90.0) {
    seg = upper ? "2" : "3";
  } else if (alpha >= lm->hv_azimuth_deg[1]) {
    seg = upper ? "4a" : "4b";
  } else if (alpha >= lm->hv_azimuth_deg[0]) {
    seg = upper ? "8" : "5";
  } else {
    seg = upper ? "7" : "6";
  }
  memcpy(out, seg, strlen(seg) + 1);
}

void carm_couinaud_portal(const carm_seg_tree *portal, const char (*segment_label)[4],
                          const double p[3], char out[4]) {
  out[0] = '\0';
  if (portal == NULL || segment_label == NULL || p == NULL) {
    return;
  }
  double best = INFINITY;
  for (int64_t s = 0; s < portal->n_segments; s++) {
    if (segment_label[s][0] == '\0') {
      continue;
    }
    const carm_seg_segment *g = &portal->segments[s];
    for (int64_t i = 0; i + 1 < g->n_points; i++) {
      /* distance to the piece a-b */
      const double *a = g->points_mm[i], *c = g->points_mm[i + 1];
      double ab[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
      double ap[3] = {p[0] - a[0], p[1] - a[1], p[2] - a[2]};
      double l2 = carm_vec3_dot(ab, ab);
      double u = l2 > 0.0 ? carm_vec3_dot(ap, ab) / l2 : 0.0;
      u = u < 0.0 ? 0.0 : (u > 1.0 ? 1.0 : u);
      double d[3] = {ap[0] - u * ab[0], ap[1] - u * ab[1], ap[2] - u * ab[2]};
      double dd = carm_vec3_norm(d);
      if (dd < best) {
        best = dd;
        memcpy(out, segment_label[s], 4);
      }
    }
  }
}
