/* Ablation needles: on liver twins (labels from the twin's truth), every
 * proposed trajectory keeps the required clearance from vessels and bone,
 * checked by brute force on the truth label volume and against the twin's
 * analytic vessel tubes (centrelines and radii); on a synthetic body the
 * bull's-eye view looks along the needle and the progress views are
 * perpendicular to it; the device chart reads and interpolates. */
#include "../check.h"
#include "carm/guide.h"
#include "carm/twin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Smallest distance from the needle segment p0-p1 to the vessel piece
 * q0-q1 outside the sphere (c, R) (vessel parts inside the target tumour
 * are ablated with it), the piece sampled every 0.1 mm. */
static double seg_seg(const double p0[3], const double p1[3], const double q0[3],
                      const double q1[3], const double c[3], double R) {
  double best = INFINITY;
  double pd[3] = {p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]};
  double l2 = carm_vec3_dot(pd, pd);
  double qd[3] = {q1[0] - q0[0], q1[1] - q0[1], q1[2] - q0[2]};
  int n = (int)(carm_vec3_norm(qd) / 0.1) + 1;
  for (int i = 0; i <= n; i++) {
    double q[3];
    for (int a = 0; a < 3; a++) {
      q[a] = q0[a] + qd[a] * i / n;
    }
    double qc[3] = {q[0] - c[0], q[1] - c[1], q[2] - c[2]};
    if (carm_vec3_norm(qc) < R) {
      continue;
    }
    double ap[3] = {q[0] - p0[0], q[1] - p0[1], q[2] - p0[2]};
    double u = l2 > 0 ? carm_vec3_dot(ap, pd) / l2 : 0.0;
    u = u < 0 ? 0 : (u > 1 ? 1 : u);
    double d[3] = {ap[0] - u * pd[0], ap[1] - u * pd[1], ap[2] - u * pd[2]};
    double dd = carm_vec3_norm(d);
    best = dd < best ? dd : best;
  }
  return best;
}

static void check_views(const carm_needle *n, const carm_views_opts *lim) {
  double d[3];
  carm_carm_view_direction(n->bullseye_lao_deg, n->bullseye_cra_deg, d);
  CHECK_NEAR(fabs(carm_vec3_dot(d, n->axis)), 1.0, 1e-9);
  if (n->bullseye_reachable) {
    CHECK(n->bullseye_lao_deg >= lim->lao_min_deg && n->bullseye_lao_deg <= lim->lao_max_deg);
    CHECK(n->bullseye_cra_deg >= lim->cra_min_deg && n->bullseye_cra_deg <= lim->cra_max_deg);
  }
  CHECK(n->n_progress >= 1);
  for (int k = 0; k < n->n_progress; k++) {
    carm_carm_view_direction(n->progress_lao_deg[k], n->progress_cra_deg[k], d);
    CHECK(fabs(carm_vec3_dot(d, n->axis)) < 0.02);
  }
}

int main(void) {
  /* device chart */
  char chart[1024];
  snprintf(chart, sizeof chart, "%s/data/ablation_devices.json",
           getenv("CARM_SOURCE") ? getenv("CARM_SOURCE") : "..");
  carm_ablation_device dev;
  CHECK(carm_ablation_device_read(&dev, chart, "illustrative-mw") == CARM_OK);
  CHECK(dev.placeholder == 1);
  double lm = 0, sm = 0;
  CHECK(carm_ablation_device_zone(&dev, 60, 4, &lm, &sm) == CARM_OK);
  CHECK_NEAR(lm, 0.5 * (dev.rows[0].long_mm + dev.rows[1].long_mm), 1e-9);
  CHECK_NEAR(sm, 0.5 * (dev.rows[0].short_mm + dev.rows[1].short_mm), 1e-9);
  CHECK(carm_ablation_device_read(&dev, chart, "no-such-device") != CARM_OK);

  /* twins */
  int n_needles = 0;
  double worst_label = INFINITY, worst_tube = INFINITY;
  for (uint64_t seed = 1; seed <= 4; seed++) {
    carm_twin_opts o = CARM_TWIN_INIT;
    o.seed = seed;
    carm_twin *tw = NULL;
    carm_volume *lab = NULL;
    if (carm_twin_create(&tw, &o) != CARM_OK) {
      CHECK(0);
      continue;
    }
    CHECK(carm_twin_scene_grid(tw, 2.5, &lab) == CARM_OK);
    CHECK(carm_twin_labels(tw, lab) == CARM_OK);
    carm_needle_opts no;
    carm_needle_opts_init(&no);
    no.n_directions = 600;
    carm_needle *nd = NULL;
    int nn = 0;
    CHECK(carm_needle_plan(&nd, &nn, 3, lab, CARM_TWIN_LABEL_TUMOUR, &no) == CARM_OK);
    for (int i = 0; i < nn; i++) {
      const carm_needle *n = &nd[i];
      double cl = carm_needle_clearance_check(lab, &no.avoid, CARM_TWIN_LABEL_TUMOUR, n->entry_mm,
                                              n->surface_mm);
      CHECK(n->valid);
      CHECK(cl >= no.clearance_mm);
      CHECK(n->length_mm <= no.needle_mm);
      worst_label = fmin(worst_label, cl);
      /* the twin's tubes of radius >= 1 mm, outside the target tumour */
      double tube = INFINITY;
      for (int s = 0; s < tw->n_segments; s++) {
        const carm_twin_segment *g = &tw->segments[s];
        if (g->kind == CARM_TWIN_VESSEL_CATHETER) {
          continue;
        }
        for (int p = 0; p + 1 < g->n_points; p++) {
          double r = fmax(g->radius_mm[p], g->radius_mm[p + 1]);
          if (r < 1.0) {
            continue;
          }
          double d = seg_seg(n->entry_mm, n->surface_mm, g->points_mm[p], g->points_mm[p + 1],
                             tw->tumours[0].centre_mm, 0.5 * tw->tumours[0].diameter_mm) -
                     r;
          if (d < tube && getenv("NEEDLE_DEBUG")) {
            printf("  seg %d kind %d r %.2f tumour %d pt (%.1f %.1f %.1f) d %.2f\n", s,
                   (int)g->kind, r, g->tumour, g->points_mm[p][0], g->points_mm[p][1],
                   g->points_mm[p][2], d);
          }
          tube = fmin(tube, d);
        }
      }
      worst_tube = fmin(worst_tube, tube);
      CHECK(tube >= no.clearance_mm);
      check_views(n, &no.limits);
      printf("twin %llu needle %d: length %.1f mm, clearance %.2f mm (labels %.2f, tubes r>=1 mm "
             "%.2f), coverage %.3f, min margin %.1f mm, heat sink %.1f mm, bull's-eye LAO %.0f "
             "CRA %.0f%s\n",
             (unsigned long long)seed, i, n->length_mm, n->clearance_mm, cl, tube,
             n->coverage.coverage, n->coverage.min_margin_mm, n->heat_sink_diameter_mm,
             n->bullseye_lao_deg, n->bullseye_cra_deg,
             n->bullseye_reachable ? "" : " (outside limits)");
      n_needles++;
    }
    free(nd);
    carm_volume_destroy(lab);
    carm_twin_destroy(tw);
  }
  printf("%d needles; smallest distance to an avoided truth voxel %.2f mm, to a truth tube (r >= 1 "
         "mm) %.2f mm (required 5 mm)\n",
         n_needles, worst_label, worst_tube);
  CHECK(n_needles >= 4);

  /* synthetic: a body box, a spherical target, one vessel; a given entry
   * crossing the vessel is reported invalid */
  int64_t dims[3] = {60, 60, 60};
  carm_volume *v = NULL;
  CHECK(carm_volume_create(&v, dims) == CARM_OK);
  for (int a = 0; a < 3; a++) {
    v->spacing[a] = 2.0;
    v->origin[a] = -59.0;
  }
  for (int64_t k = 0; k < 60; k++) {
    for (int64_t j = 0; j < 60; j++) {
      for (int64_t i = 0; i < 60; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k}, p[3];
        carm_volume_index_to_point(v, ijk, p);
        float l = (fabs(p[0]) < 50 && fabs(p[1]) < 50 && fabs(p[2]) < 50) ? 1.0f : 0.0f;
        if (l > 0 && hypot(p[0] - 20.0, p[1]) < 4.0) {
          l = 4.0f; /* vessel along z at x = 20, 8 mm wide */
        }
        if (carm_vec3_norm(p) < 10.0) {
          l = 10.0f;
        }
        v->data[(k * 60 + j) * 60 + i] = l;
      }
    }
  }
  carm_needle_opts so;
  carm_needle_opts_init(&so);
  so.has_entry = 1;
  so.entry_mm[0] = 48;
  so.entry_mm[1] = 0;
  so.entry_mm[2] = 0;
  carm_needle *sn = NULL;
  int ns = 0;
  CHECK(carm_needle_plan(&sn, &ns, 1, v, 10, &so) == CARM_OK);
  CHECK(ns == 1);
  if (ns == 1) {
    CHECK(!sn[0].valid);
    CHECK(sn[0].clearance_mm < 2.0);
    CHECK_NEAR(sn[0].bullseye_cra_deg, 0.0, 1e-9);
    CHECK_NEAR(fabs(sn[0].bullseye_lao_deg), 90.0, 1e-9);
    check_views(&sn[0], &so.limits);
  }
  free(sn);
  /* heat sink: a 50 x 30 mm zone along x reaches the 8 mm vessel at x = 20
   * (wall at 16 mm); from the labels (estimate) and from a centreline */
  so.long_mm = 50.0;
  so.short_mm = 30.0;
  so.zone_search = 0;
  CHECK(carm_needle_plan(&sn, &ns, 1, v, 10, &so) == CARM_OK);
  if (ns == 1) {
    printf("heat sink from labels: diameter %.2f mm (true 8)\n", sn[0].heat_sink_diameter_mm);
    CHECK(sn[0].heat_sink);
    CHECK(sn[0].heat_sink_diameter_mm >= 3.0 && sn[0].heat_sink_diameter_mm <= 10.0);
  }
  free(sn);
  double vp[2][3] = {{20, 0, -50}, {20, 0, 50}}, vr[2] = {4, 4};
  carm_seg_segment vs = {0, -1, CARM_SEG_SEGMENT_ROOT, 2, vp, vr};
  carm_seg_tree vt = {1, &vs, 0, 2, 1, "vessel"};
  so.vessels = &vt;
  CHECK(carm_needle_plan(&sn, &ns, 1, v, 10, &so) == CARM_OK);
  if (ns == 1) {
    CHECK(sn[0].heat_sink);
    CHECK_NEAR(sn[0].heat_sink_diameter_mm, 8.0, 1e-12);
  }
  free(sn);
  so.short_mm = 12.0; /* too thin to reach the vessel sideways: x <= 25 along the axis only */
  so.long_mm = 20.0;  /* reaches x = 10 only */
  CHECK(carm_needle_plan(&sn, &ns, 1, v, 10, &so) == CARM_OK);
  if (ns == 1) {
    CHECK(!sn[0].heat_sink);
  }
  free(sn);
  so.vessels = NULL;
  so.zone_search = 1;
  so.long_mm = 30.0;
  so.short_mm = 20.0;
  so.has_entry = 0;
  so.n_directions = 400;
  CHECK(carm_needle_plan(&sn, &ns, 3, v, 10, &so) == CARM_OK);
  CHECK(ns == 3);
  for (int i = 0; i < ns; i++) {
    CHECK(carm_needle_clearance_check(v, &so.avoid, 10, sn[i].entry_mm, sn[i].surface_mm) >= 5.0);
    /* a 30 x 20 mm zone on a 20 mm sphere with a 5 mm margin: the tumour is
     * covered, the margin is not (closed form: 10 - 10 = 0 mm across) */
    CHECK(sn[i].coverage.tumour_coverage > 0.99);
    CHECK(sn[i].coverage.min_margin_mm < 1.5);
    check_views(&sn[i], &so.limits);
  }
  free(sn);
  carm_volume_destroy(v);
  return check_done();
}
