/* The digital liver phantom: tree topology (connected, Murray's law, radii
 * shrinking, intrahepatic branches inside the liver), tumour feeders, the
 * ground truth against the label volume, Couinaud rule, reproducibility
 * (same seed -> same bytes, any thread count; other seed -> other tree),
 * option errors. */
#include "carm/twin.h"
#include "check.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double dist3(const double a[3], const double b[3]) {
  double d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
  return sqrt(d0 * d0 + d1 * d1 + d2 * d2);
}

/* Distance from x to the nearest artery/catheter tube surface (<0 inside). */
static double vessel_sd(const carm_twin *tw, const double x[3], carm_twin_vessel kind) {
  double best = INFINITY;
  for (int s = 0; s < tw->n_segments; s++) {
    const carm_twin_segment *sg = &tw->segments[s];
    if (sg->kind != kind) {
      continue;
    }
    for (int i = 0; i + 1 < sg->n_points; i++) {
      const double *a = sg->points_mm[i], *b = sg->points_mm[i + 1];
      double ab[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
      double ax[3] = {x[0] - a[0], x[1] - a[1], x[2] - a[2]};
      double l2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
      double t = l2 > 0 ? (ax[0] * ab[0] + ax[1] * ab[1] + ax[2] * ab[2]) / l2 : 0;
      t = t < 0 ? 0 : (t > 1 ? 1 : t);
      double p[3] = {a[0] + t * ab[0], a[1] + t * ab[1], a[2] + t * ab[2]};
      double r = sg->radius_mm[i] + t * (sg->radius_mm[i + 1] - sg->radius_mm[i]);
      double d = dist3(x, p) - r;
      if (d < best) {
        best = d;
      }
    }
  }
  return best;
}

static carm_volume *cube(const double c[3], double half, double h) {
  int64_t n = (int64_t)ceil(2.0 * half / h);
  int64_t dims[3] = {n, n, n};
  carm_volume *v = NULL;
  if (carm_volume_create(&v, dims) != CARM_OK) {
    return NULL;
  }
  for (int k = 0; k < 3; k++) {
    v->spacing[k] = h;
    v->origin[k] = c[k] - 0.5 * (double)(n - 1) * h;
  }
  return v;
}

/* Murray's law and shrinking radii in the venous trees too. */
static void check_murray(const carm_twin *tw, carm_twin_vessel kind, int want_roots) {
  int roots = 0, bad = 0, n = 0;
  for (int s = 0; s < tw->n_segments; s++) {
    const carm_twin_segment *sg = &tw->segments[s];
    if (sg->kind != kind) {
      continue;
    }
    n++;
    roots += sg->parent < 0;
    double sum3 = 0.0;
    for (int c = 0; c < tw->n_segments; c++) {
      if (tw->segments[c].parent == s) {
        sum3 += pow(tw->segments[c].radius_mm[0], 3.0);
        bad += !(tw->segments[c].radius_mm[0] < sg->radius_mm[sg->n_points - 1]);
        bad += tw->segments[c].kind != kind;
      }
    }
    double r3 = pow(sg->radius_mm[sg->n_points - 1], 3.0);
    bad += sg->n_children > 0 && fabs(sum3 - r3) > 1e-9 * r3;
  }
  CHECK_MSG(roots == want_roots, "%s: %d roots", carm_twin_vessel_name((int)kind), roots);
  CHECK_MSG(n > 50 && bad == 0, "%s: %d segments, %d violations", carm_twin_vessel_name((int)kind),
            n, bad);
}

static void check_topology(const carm_twin *tw) {
  check_murray(tw, CARM_TWIN_VESSEL_PORTAL, 1);
  check_murray(tw, CARM_TWIN_VESSEL_HEPATIC_VEIN, 3);
  int roots = 0, murray_bad = 0, shrink_bad = 0, joint_bad = 0, outside = 0, max_gen = 0;
  double rmin = INFINITY;
  for (int s = 0; s < tw->n_segments; s++) {
    const carm_twin_segment *sg = &tw->segments[s];
    CHECK(sg->id == s);
    CHECK(sg->n_points >= 2);
    if (sg->kind != CARM_TWIN_VESSEL_ARTERY) {
      continue;
    }
    if (sg->parent < 0) {
      roots++;
    } else {
      const carm_twin_segment *p = &tw->segments[sg->parent];
      CHECK(p->kind == CARM_TWIN_VESSEL_ARTERY);
      CHECK(sg->generation == p->generation + 1);
      if (dist3(p->points_mm[p->n_points - 1], sg->points_mm[0]) > 1e-9) {
        joint_bad++;
      }
      if (!(sg->radius_mm[0] < p->radius_mm[p->n_points - 1])) {
        shrink_bad++;
      }
    }
    /* Murray at this segment's end */
    double sum3 = 0.0;
    int nc = 0;
    for (int c = 0; c < tw->n_segments; c++) {
      if (tw->segments[c].parent == s) {
        sum3 += pow(tw->segments[c].radius_mm[0], 3.0);
        nc++;
      }
    }
    CHECK(nc == sg->n_children);
    if (nc > 0 && fabs(sum3 - pow(sg->radius_mm[sg->n_points - 1], 3.0)) >
                      1e-9 * pow(sg->radius_mm[0], 3.0)) {
      murray_bad++;
    }
    for (int i = 0; i + 1 < sg->n_points; i++) {
      if (sg->radius_mm[i + 1] > sg->radius_mm[i]) {
        shrink_bad++;
      }
    }
    if (sg->generation >= 2) {
      for (int i = 0; i < sg->n_points; i++) {
        if (!carm_twin_in_liver(tw, sg->points_mm[i])) {
          outside++;
        }
      }
    }
    max_gen = sg->generation > max_gen ? sg->generation : max_gen;
    rmin = sg->radius_mm[sg->n_points - 1] < rmin ? sg->radius_mm[sg->n_points - 1] : rmin;
  }
  /* connected: one root, and every segment reaches it */
  CHECK(roots == 1);
  for (int s = 0; s < tw->n_segments; s++) {
    if (tw->segments[s].kind != CARM_TWIN_VESSEL_ARTERY) {
      continue;
    }
    int hops = 0, r = s;
    while (tw->segments[r].parent >= 0 && hops < 100) {
      r = tw->segments[r].parent;
      hops++;
    }
    CHECK(tw->segments[r].parent < 0 && tw->segments[r].kind == CARM_TWIN_VESSEL_ARTERY);
  }
  CHECK_MSG(joint_bad == 0, "%d children do not start at their parent's end", joint_bad);
  CHECK_MSG(murray_bad == 0, "%d branch points break Murray's law", murray_bad);
  CHECK_MSG(shrink_bad == 0, "%d radii grow along a path", shrink_bad);
  CHECK_MSG(outside == 0, "%d intrahepatic artery points outside the liver", outside);
  /* 5-7 intrahepatic generations (numbered from 2), down to ~0.5 mm */
  CHECK_MSG(max_gen >= 6 && max_gen <= 8, "deepest generation %d", max_gen);
  CHECK_MSG(rmin >= 0.5 && rmin < 0.8, "smallest radius %g", rmin);
}

static void check_tumours(const carm_twin *tw) {
  CHECK(tw->n_tumours >= 1 && tw->n_tumours <= 3);
  for (int k = 0; k < tw->n_tumours; k++) {
    const carm_twin_tumour *t = &tw->tumours[k];
    CHECK(t->label == CARM_TWIN_LABEL_TUMOUR + k);
    CHECK(t->diameter_mm >= 5.0 && t->diameter_mm <= 50.0);
    CHECK_MSG(t->n_feeders >= 1, "tumour %d has no feeder", k);
    for (int f = 0; f < t->n_feeders; f++) {
      const carm_twin_segment *sg = &tw->segments[t->feeders[f]];
      CHECK(sg->kind == CARM_TWIN_VESSEL_ARTERY && sg->tumour == k && sg->n_children == 0);
      CHECK(dist3(sg->points_mm[sg->n_points - 1], t->centre_mm) < 0.5 * t->diameter_mm);
    }
    char seg[4];
    carm_twin_couinaud(tw, t->centre_mm, seg);
    CHECK(strcmp(seg, t->couinaud) == 0);
    CHECK(strlen(seg) >= 1);
    /* label volume: the tumour's voxels (0.5 mm, its own box) vs its sphere */
    double r = 0.5 * t->diameter_mm;
    carm_volume *lab = cube(t->centre_mm, r + 4.0, 0.5);
    CHECK(lab != NULL && carm_twin_labels(tw, lab) == CARM_OK);
    int64_t n = 0;
    for (int64_t v = 0; v < carm_volume_count(lab); v++) {
      n += lab->data[v] == (float)t->label;
    }
    double vol = (double)n * 0.125, expect = 4.0 / 3.0 * M_PI * r * r * r;
    CHECK_MSG(fabs(vol - expect) < 0.05 * expect, "tumour %d: %g mm3 labelled, sphere %g", k, vol,
              expect);
    carm_volume_destroy(lab);
  }
}

/* Vessel voxels lie near centrelines; thick centrelines are labelled. */
static void check_vessel_labels(const carm_twin *tw) {
  const double h = 0.6;
  carm_volume *lab = cube(tw->portal_bifurcation_mm, 20.0, h);
  CHECK(lab != NULL && carm_twin_labels(tw, lab) == CARM_OK);
  int far = 0, count = 0;
  const double diag = h * sqrt(3.0);
  for (int64_t k = 0; k < lab->dims[2]; k++) {
    for (int64_t j = 0; j < lab->dims[1]; j++) {
      for (int64_t i = 0; i < lab->dims[0]; i++) {
        float l = carm_volume_at(lab, i, j, k);
        carm_twin_vessel kind;
        if (l == CARM_TWIN_LABEL_ARTERY) {
          kind = CARM_TWIN_VESSEL_ARTERY;
        } else if (l == CARM_TWIN_LABEL_PORTAL) {
          kind = CARM_TWIN_VESSEL_PORTAL;
        } else {
          continue;
        }
        double ijk[3] = {(double)i, (double)j, (double)k}, x[3];
        carm_volume_index_to_point(lab, ijk, x);
        count++;
        if (vessel_sd(tw, x, kind) > 0.5 * diag) {
          far++;
        }
      }
    }
  }
  CHECK_MSG(count > 1000, "only %d vessel voxels near the portal bifurcation", count);
  CHECK_MSG(far == 0, "%d of %d vessel voxels are away from their centrelines", far, count);
  /* centreline points of vessels thicker than a voxel carry a vessel label */
  int missed = 0, tested = 0;
  for (int s = 0; s < tw->n_segments; s++) {
    const carm_twin_segment *sg = &tw->segments[s];
    if ((sg->kind != CARM_TWIN_VESSEL_ARTERY && sg->kind != CARM_TWIN_VESSEL_PORTAL) ||
        sg->radius_mm[0] < 1.0) {
      continue;
    }
    for (int i = 0; i < sg->n_points; i++) {
      double ijk[3];
      carm_volume_point_to_index(lab, sg->points_mm[i], ijk);
      int64_t q[3];
      int in = 1;
      for (int a = 0; a < 3; a++) {
        q[a] = (int64_t)floor(ijk[a] + 0.5);
        in &= q[a] >= 0 && q[a] < lab->dims[a];
      }
      if (!in) {
        continue;
      }
      float l = carm_volume_at(lab, q[0], q[1], q[2]);
      tested++;
      if (!(l == CARM_TWIN_LABEL_ARTERY || l == CARM_TWIN_LABEL_PORTAL ||
            l == CARM_TWIN_LABEL_CATHETER || l == CARM_TWIN_LABEL_HEPATIC_VEIN)) {
        missed++;
      }
    }
  }
  CHECK(tested > 10);
  CHECK_MSG(missed == 0, "%d of %d centreline points are not labelled as vessel", missed, tested);
  carm_volume_destroy(lab);
}

static void check_couinaud(const carm_twin *tw) {
  /* points on both sides of each hepatic-vein plane fall in neighbouring
   * sectors; above and below the bifurcation in upper/lower segments */
  static const char *const upper[4] = {"7", "8", "4a", "2"};
  static const char *const lower[4] = {"6", "5", "4b", "3"};
  int tested = 0;
  for (int v = 0; v < 3; v++) {
    const double *d = tw->hv_direction[v];
    for (int side = 0; side < 2; side++) {
      double ang = (side == 0 ? -12.0 : 12.0) * M_PI / 180.0;
      /* the azimuth runs from −x (right) through −y (anterior) to +x
       * (left): a counter-clockwise rotation in the x-y plane */
      double c = cos(ang), s = sin(ang);
      double dir[2] = {c * d[0] - s * d[1], s * d[0] + c * d[1]};
      for (int up = 0; up < 2; up++) {
        double z = tw->portal_bifurcation_mm[2] + (up ? 12.0 : -12.0);
        double p[3] = {tw->ivc_axis_mm[0] + 55.0 * dir[0], tw->ivc_axis_mm[1] + 55.0 * dir[1], z};
        if (!carm_twin_in_liver(tw, p)) {
          continue;
        }
        char seg[4];
        carm_twin_couinaud(tw, p, seg);
        int sector = v + (side == 0 ? 0 : 1);
        const char *want = up ? upper[sector] : lower[sector];
        CHECK_MSG(strcmp(seg, want) == 0, "plane %d side %d up %d: %s, expected %s", v, side, up,
                  seg, want);
        tested++;
      }
    }
  }
  CHECK_MSG(tested >= 6, "only %d Couinaud probes inside the liver", tested);
  double out[3] = {500.0, 0.0, 0.0};
  char seg[4];
  carm_twin_couinaud(tw, out, seg);
  CHECK(seg[0] == '\0');
}

static int same_twin(const carm_twin *a, const carm_twin *b) {
  if (a->n_segments != b->n_segments || a->n_tumours != b->n_tumours ||
      memcmp(a->tumours, b->tumours, sizeof a->tumours) != 0 ||
      a->liver_volume_ml != b->liver_volume_ml) {
    return 0;
  }
  for (int s = 0; s < a->n_segments; s++) {
    const carm_twin_segment *x = &a->segments[s], *y = &b->segments[s];
    if (x->n_points != y->n_points || x->parent != y->parent ||
        memcmp(x->points_mm, y->points_mm, (size_t)x->n_points * sizeof *x->points_mm) != 0 ||
        memcmp(x->radius_mm, y->radius_mm, (size_t)x->n_points * sizeof *x->radius_mm) != 0) {
      return 0;
    }
  }
  return 1;
}

static char *slurp(const char *path, long *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)*len + 1);
  if (buf != NULL && fread(buf, 1, (size_t)*len, f) != (size_t)*len) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  return buf;
}

static void check_reproducible(const carm_twin *tw) {
  carm_twin_opts o = CARM_TWIN_INIT;
  o.seed = tw->seed;
  carm_twin *again = NULL;
  CHECK(carm_twin_create(&again, &o) == CARM_OK);
  CHECK(same_twin(tw, again));
  CHECK(carm_twin_write_tree(tw, "twin_tree_a.json") == CARM_OK);
  CHECK(carm_twin_write_tree(again, "twin_tree_b.json") == CARM_OK);
  long la = 0, lb = 0;
  char *a = slurp("twin_tree_a.json", &la), *b = slurp("twin_tree_b.json", &lb);
  CHECK(a != NULL && b != NULL && la == lb && la > 1000 && memcmp(a, b, (size_t)la) == 0);
  free(a);
  free(b);
  /* voxelisation does not depend on the number of threads */
  double c[3] = {0, 0, 0};
  carm_volume *v1 = cube(c, 60.0, 2.0), *v2 = cube(c, 60.0, 2.0);
  omp_set_num_threads(1);
  CHECK(carm_twin_voxelize(tw, 6.0, v1) == CARM_OK);
  omp_set_num_threads(2);
  CHECK(carm_twin_voxelize(again, 6.0, v2) == CARM_OK);
  CHECK(memcmp(v1->data, v2->data, (size_t)carm_volume_count(v1) * sizeof(float)) == 0);
  double mn, mx;
  carm_volume_range(v1, &mn, &mx);
  CHECK(mn >= 0.0 && mx > 0.04); /* arteries at 6 s are bright */
  carm_volume_destroy(v1);
  carm_volume_destroy(v2);
  carm_twin_destroy(again);
  /* another seed, another tree */
  o.seed = tw->seed + 1;
  carm_twin *other = NULL;
  CHECK(carm_twin_create(&other, &o) == CARM_OK);
  CHECK(other != NULL && !same_twin(tw, other));
  carm_twin_destroy(other);
  remove("twin_tree_a.json");
  remove("twin_tree_b.json");
}

static void check_errors(void) {
  carm_twin *t = NULL;
  carm_twin_opts o = CARM_TWIN_INIT;
  CHECK(carm_twin_create(NULL, &o) == CARM_ERR_INVALID);
  CHECK(carm_twin_create(&t, NULL) == CARM_ERR_INVALID);
  o.n_tumours = 99;
  CHECK(carm_twin_create(&t, &o) == CARM_ERR_INVALID);
  o = (carm_twin_opts)CARM_TWIN_INIT;
  o.min_radius_mm = 0.0;
  CHECK(carm_twin_create(&t, &o) == CARM_ERR_INVALID);
  o = (carm_twin_opts)CARM_TWIN_INIT;
  o.liver_volume_ml = 100.0;
  CHECK(carm_twin_create(&t, &o) == CARM_ERR_INVALID);
  o = (carm_twin_opts)CARM_TWIN_INIT;
  o.version = 2;
  CHECK(carm_twin_create(&t, &o) == CARM_ERR_INVALID);
  CHECK(t == NULL);
  carm_twin_destroy(NULL);
}

int main(void) {
  carm_twin_opts o = CARM_TWIN_INIT;
  o.seed = 7;
  carm_twin *tw = NULL;
  CHECK(carm_twin_create(&tw, &o) == CARM_OK);
  if (tw == NULL) {
    return check_done();
  }
  CHECK_MSG(tw->liver_volume_ml > 1400.0 && tw->liver_volume_ml < 1900.0, "liver %g mL",
            tw->liver_volume_ml);
  check_topology(tw);
  check_tumours(tw);
  check_vessel_labels(tw);
  check_couinaud(tw);
  check_reproducible(tw);
  check_errors();
  /* a second seed with options: several tumours, no catheter */
  o.seed = 12345;
  o.n_tumours = 3;
  o.catheter = 0;
  carm_twin *t3 = NULL;
  CHECK(carm_twin_create(&t3, &o) == CARM_OK);
  if (t3 != NULL) {
    CHECK(t3->n_tumours == 3 && t3->catheter_segment == -1);
    check_topology(t3);
    check_tumours(t3);
  }
  carm_twin_destroy(t3);
  carm_twin_destroy(tw);
  return check_done();
}
