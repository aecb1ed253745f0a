/* Ablation needle trajectories, zone placement, heat sink, C-arm views
 * (CLINICAL.md, "Thermal ablation"; docs/planning.md). */
#include "carm/guide.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void carm_needle_opts_init(carm_needle_opts *o) {
  memset(o, 0, sizeof *o);
  o->version = 1;
  o->needle_mm = 200.0;
  o->clearance_mm = 5.0;
  (void)carm_label_set_parse(&o->avoid, "2,4-9");
  o->margin_mm = 5.0;
  o->long_mm = 30.0;
  o->short_mm = 20.0;
  o->n_directions = 2000;
  carm_views_opts v = CARM_VIEWS_INIT;
  o->limits = v;
  o->zone_search = 1;
}

static int label_at(const carm_volume *v, const double p[3], int64_t q[3]) {
  double ijk[3];
  carm_volume_point_to_index(v, p, ijk);
  for (int a = 0; a < 3; a++) {
    q[a] = (int64_t)llround(ijk[a]);
    if (q[a] < 0 || q[a] >= v->dims[a]) {
      return -1;
    }
  }
  return (int)lroundf(carm_volume_at(v, q[0], q[1], q[2]));
}

static int in_set(const carm_label_set *s, int l) { return l >= 0 && l <= 255 && s->has[l]; }

double carm_needle_clearance_check(const carm_volume *labels, const carm_label_set *avoid,
                                   int target_label, const double a[3], const double b[3]) {
  double best = INFINITY;
  if (labels == NULL || avoid == NULL || a == NULL || b == NULL) {
    return best;
  }
  double ab[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
  double l2 = carm_vec3_dot(ab, ab);
  for (int64_t k = 0; k < labels->dims[2]; k++) {
    for (int64_t j = 0; j < labels->dims[1]; j++) {
      for (int64_t i = 0; i < labels->dims[0]; i++) {
        int l = (int)lroundf(carm_volume_at(labels, i, j, k));
        if (l == target_label || !in_set(avoid, l)) {
          continue;
        }
        double ijk[3] = {(double)i, (double)j, (double)k}, p[3];
        carm_volume_index_to_point(labels, ijk, p);
        double ap[3] = {p[0] - a[0], p[1] - a[1], p[2] - a[2]};
        double u = l2 > 0.0 ? carm_vec3_dot(ap, ab) / l2 : 0.0;
        u = u < 0.0 ? 0.0 : (u > 1.0 ? 1.0 : u);
        double d[3] = {ap[0] - u * ab[0], ap[1] - u * ab[1], ap[2] - u * ab[2]};
        double dd = carm_vec3_norm(d);
        best = dd < best ? dd : best;
      }
    }
  }
  return best;
}

/* C-arm angles for a view direction d (unit): d = (sin a cos b, −cos a cos b, sin b). */
static void angles_of(const double d[3], double *lao, double *cra) {
  double z = d[2] > 1.0 ? 1.0 : (d[2] < -1.0 ? -1.0 : d[2]);
  *cra = asin(z) * 180.0 / M_PI;
  *lao = atan2(d[0], -d[1]) * 180.0 / M_PI;
}

static int within(const carm_views_opts *l, double lao, double cra) {
  return lao >= l->lao_min_deg - 1e-9 && lao <= l->lao_max_deg + 1e-9 &&
         cra >= l->cra_min_deg - 1e-9 && cra <= l->cra_max_deg + 1e-9;
}

static void plan_views(carm_needle *n, const carm_views_opts *lim) {
  /* bull's-eye: along the needle, either way */
  double best_excess = INFINITY;
  for (int sgn = -1; sgn <= 1; sgn += 2) {
    double d[3] = {sgn * n->axis[0], sgn * n->axis[1], sgn * n->axis[2]}, a, b;
    angles_of(d, &a, &b);
    double ex = fmax(0.0, fmax(a - lim->lao_max_deg, lim->lao_min_deg - a)) +
                fmax(0.0, fmax(b - lim->cra_max_deg, lim->cra_min_deg - b));
    if (ex < best_excess) {
      best_excess = ex;
      n->bullseye_lao_deg = a;
      n->bullseye_cra_deg = b;
    }
  }
  n->bullseye_reachable = best_excess <= 1e-9;
  /* progress views: perpendicular to the needle, the least cranial first,
   * then the one farthest from it around the needle */
  double e1[3], e2[3], ref[3] = {0.0, 0.0, 1.0};
  if (fabs(n->axis[2]) > 0.9) {
    ref[0] = 1.0;
    ref[2] = 0.0;
  }
  carm_vec3_cross(n->axis, ref, e1);
  carm_vec3_normalize(e1);
  carm_vec3_cross(n->axis, e1, e2);
  double first_theta = NAN;
  double best_key = INFINITY;
  n->n_progress = 0;
  for (int pass = 0; pass < 2; pass++) {
    best_key = INFINITY;
    double pick_a = 0.0, pick_b = 0.0, pick_t = 0.0;
    for (int t = 0; t < 360; t++) {
      double th = t * M_PI / 180.0;
      double d[3], a, b;
      for (int k = 0; k < 3; k++) {
        d[k] = cos(th) * e1[k] + sin(th) * e2[k];
      }
      angles_of(d, &a, &b);
      if (!within(lim, a, b)) {
        continue;
      }
      double key;
      if (pass == 0) {
        key = fabs(b) + 1e-3 * fabs(a);
      } else {
        double sep = fabs(remainder(th - first_theta, M_PI)); /* 0..pi/2 */
        if (sep < M_PI / 4.0) {
          continue;
        }
        key = -sep + 1e-3 * fabs(b);
      }
      if (key < best_key) {
        best_key = key;
        pick_a = a;
        pick_b = b;
        pick_t = th;
      }
    }
    if (!isfinite(best_key)) {
      break;
    }
    n->progress_lao_deg[n->n_progress] = pick_a;
    n->progress_cra_deg[n->n_progress] = pick_b;
    n->n_progress++;
    first_theta = pick_t;
  }
}

typedef struct cand {
  double entry[3];
  double surface[3];
  double axis[3];
  double length;
  double clearance;
  double key;
} cand;

/* March from the target outwards along -u (u: entry to target) to the skin;
 * returns the clearance (a lower bound of the distance to avoided voxel
 * centres) and the entry. 0 when the skin is not reached in max_mm. */
static int trace(const carm_volume *labels, const carm_volume *dist, int target, const double c[3],
                 const double u[3], double max_mm, double h, cand *out) {
  double step = 0.5 * h;
  double clear = INFINITY;
  double last_inside[3];
  memcpy(last_inside, c, sizeof last_inside);
  memcpy(out->surface, c, sizeof out->surface);
  for (double t = 0.0; t <= max_mm + step; t += step) {
    double p[3] = {c[0] - t * u[0], c[1] - t * u[1], c[2] - t * u[2]};
    int64_t q[3];
    int l = label_at(labels, p, q);
    if (l <= 0) {
      /* outside the body (or the grid): the skin is the last point inside */
      if (l < 0 && t == 0.0) {
        return 0;
      }
      memcpy(out->entry, last_inside, sizeof out->entry);
      memcpy(out->axis, u, sizeof out->axis);
      out->length = t - step;
      if (l < 0) {
        /* left the grid without meeting air: the skin is unknown */
        return 0;
      }
      out->clearance = clear;
      return 1;
    }
    memcpy(last_inside, p, sizeof last_inside);
    if (l == target) {
      /* only the path from the skin to the target's surface counts */
      clear = INFINITY;
      memcpy(out->surface, p, sizeof out->surface);
    } else if (dist != NULL) {
      double ijk[3] = {(double)q[0], (double)q[1], (double)q[2]}, v[3];
      carm_volume_index_to_point(labels, ijk, v);
      double dv[3] = {p[0] - v[0], p[1] - v[1], p[2] - v[2]};
      double lb = (double)carm_volume_at(dist, q[0], q[1], q[2]) - carm_vec3_norm(dv) - 0.5 * step;
      clear = lb < clear ? lb : clear;
    }
  }
  return 0;
}

static int cand_cmp(const void *pa, const void *pb) {
  const cand *a = pa, *b = pb;
  return a->key > b->key ? -1 : (a->key < b->key ? 1 : 0);
}

/* Heat sink from the tree: centrelines sampled every 0.5 mm; a wall that
 * touches the zone (depth of the axis point >= -radius) counts. */
static void heat_sink_tree(carm_needle *n, const carm_seg_tree *t) {
  for (int64_t s = 0; s < t->n_segments; s++) {
    const carm_seg_segment *g = &t->segments[s];
    for (int64_t i = 0; i + 1 < g->n_points; i++) {
      double d[3] = {g->points_mm[i + 1][0] - g->points_mm[i][0],
                     g->points_mm[i + 1][1] - g->points_mm[i][1],
                     g->points_mm[i + 1][2] - g->points_mm[i][2]};
      int m = (int)ceil(carm_vec3_norm(d) / 0.5);
      m = m < 1 ? 1 : m;
      for (int q = 0; q <= m; q++) {
        double u = (double)q / m, p[3];
        for (int a = 0; a < 3; a++) {
          p[a] = g->points_mm[i][a] + u * d[a];
        }
        double r = g->radius_mm[i] + u * (g->radius_mm[i + 1] - g->radius_mm[i]);
        if (2.0 * r > n->heat_sink_diameter_mm && carm_ablation_zone_depth(&n->zone, p) >= -r) {
          n->heat_sink_diameter_mm = 2.0 * r;
        }
      }
    }
  }
}

/* Heat sink from the labels: vessel voxels near the zone, their local
 * radius from the distance to the vessel's background (vdist). */
static void heat_sink_labels(carm_needle *n, const carm_volume *labels, const carm_volume *vdist) {
  double h = fmin(labels->spacing[0], fmin(labels->spacing[1], labels->spacing[2]));
  double reach = 0.5 * n->zone.long_mm + 15.0;
  for (int64_t k = 0; k < labels->dims[2]; k++) {
    for (int64_t j = 0; j < labels->dims[1]; j++) {
      for (int64_t i = 0; i < labels->dims[0]; i++) {
        float R = carm_volume_at(vdist, i, j, k);
        if (!(R > 0.0f)) {
          continue;
        }
        double ijk[3] = {(double)i, (double)j, (double)k}, p[3];
        carm_volume_index_to_point(labels, ijk, p);
        double dc[3] = {p[0] - n->zone.centre_mm[0], p[1] - n->zone.centre_mm[1],
                        p[2] - n->zone.centre_mm[2]};
        if (carm_vec3_norm(dc) > reach) {
          continue;
        }
        /* the voxel centre lies about R - h/2 inside the wall */
        double r = (double)R - 0.5 * h;
        double diam = 2.0 * (double)R - 0.5 * h;
        if (carm_ablation_zone_depth(&n->zone, p) >= -(r + 0.5 * h) &&
            diam > n->heat_sink_diameter_mm) {
          n->heat_sink_diameter_mm = diam;
          n->heat_sink_label = (int)lroundf(carm_volume_at(labels, i, j, k));
        }
      }
    }
  }
}

carm_status carm_needle_plan(carm_needle **out, int *n_out, int max_out, const carm_volume *labels,
                             int target_label, const carm_needle_opts *opts) {
  if (out == NULL || n_out == NULL || labels == NULL || opts == NULL) {
    return carm_error(CARM_ERR_INVALID, "needle: NULL argument");
  }
  if (opts->version != 1 || !(opts->needle_mm > 0.0) || !(opts->clearance_mm >= 0.0) ||
      !(opts->long_mm > 0.0) || !(opts->short_mm > 0.0) || !(opts->margin_mm >= 0.0) ||
      max_out < 1 || (!opts->has_entry && opts->n_directions < 1)) {
    return carm_error(CARM_ERR_INVALID, "needle: bad options (lengths > 0, max_out >= 1)");
  }
  /* the target's centroid */
  double c[3] = {0, 0, 0};
  int64_t cnt = 0;
  for (int64_t k = 0; k < labels->dims[2]; k++) {
    for (int64_t j = 0; j < labels->dims[1]; j++) {
      for (int64_t i = 0; i < labels->dims[0]; i++) {
        if ((int)lroundf(carm_volume_at(labels, i, j, k)) == target_label) {
          double ijk[3] = {(double)i, (double)j, (double)k}, p[3];
          carm_volume_index_to_point(labels, ijk, p);
          for (int a = 0; a < 3; a++) {
            c[a] += p[a];
          }
          cnt++;
        }
      }
    }
  }
  if (cnt == 0) {
    return carm_error(CARM_ERR_NOTFOUND, "needle: no voxel has the target label %d", target_label);
  }
  for (int a = 0; a < 3; a++) {
    c[a] /= (double)cnt;
  }
  double h = fmin(labels->spacing[0], fmin(labels->spacing[1], labels->spacing[2]));
  /* half a voxel more than asked: a vessel's wall may lie up to about half
   * a voxel closer than its labelled voxel centres (partial volume) */
  double need = opts->clearance_mm + 0.5 * h;
  carm_volume *mask = NULL, *dist = NULL, *vdist = NULL;
  cand *cands = NULL;
  carm_needle *res = NULL;
  carm_status st = carm_volume_create_like(&mask, labels);
  if (st == CARM_OK) {
    st = carm_volume_create_like(&dist, labels);
  }
  int64_t nv = carm_volume_count(labels);
  int64_t n_avoid = 0;
  for (int64_t v = 0; st == CARM_OK && v < nv; v++) {
    int l = (int)lroundf(labels->data[v]);
    mask->data[v] = (l != target_label && in_set(&opts->avoid, l)) ? 1.0f : 0.0f;
    n_avoid += mask->data[v] > 0.0f;
  }
  if (st == CARM_OK) {
    st = carm_seg_distance(dist, mask, CARM_SEG_TO_FOREGROUND);
  }
  int n_dir = opts->has_entry ? 1 : opts->n_directions;
  if (st == CARM_OK) {
    cands = calloc((size_t)n_dir, sizeof *cands);
    if (cands == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "needle: out of memory");
    }
  }
  int n_c = 0;
  for (int d = 0; st == CARM_OK && d < n_dir; d++) {
    double u[3];
    if (opts->has_entry) {
      for (int a = 0; a < 3; a++) {
        u[a] = c[a] - opts->entry_mm[a];
      }
      if (carm_vec3_normalize(u) < 1e-9) {
        st = carm_error(CARM_ERR_INVALID, "needle: the entry is the target");
        break;
      }
    } else {
      /* Fibonacci sphere */
      double z = 1.0 - (2.0 * d + 1.0) / n_dir;
      double r = sqrt(fmax(0.0, 1.0 - z * z));
      double phi = d * M_PI * (3.0 - sqrt(5.0));
      u[0] = r * cos(phi);
      u[1] = r * sin(phi);
      u[2] = z;
    }
    cand cd;
    memset(&cd, 0, sizeof cd);
    double max_mm = opts->has_entry ? 2.0 * opts->needle_mm + 1000.0 : opts->needle_mm + h;
    int ok = trace(labels, n_avoid > 0 ? dist : NULL, target_label, c, u, max_mm, h, &cd);
    if (opts->has_entry) {
      /* the given entry, whatever the skin */
      memcpy(cd.entry, opts->entry_mm, sizeof cd.entry);
      memcpy(cd.axis, u, sizeof cd.axis);
      double e[3] = {c[0] - cd.entry[0], c[1] - cd.entry[1], c[2] - cd.entry[2]};
      cd.length = carm_vec3_norm(e);
      if (!ok) {
        memcpy(cd.surface, c, sizeof cd.surface);
      }
      cd.clearance = n_avoid > 0 ? carm_needle_clearance_check(labels, &opts->avoid, target_label,
                                                               cd.entry, cd.surface)
                                 : INFINITY;
      ok = 1;
    }
    if (!ok || cd.length > opts->needle_mm) {
      if (!opts->has_entry) {
        continue;
      }
    }
    cd.key = fmin(cd.clearance, 2.0 * need) - 0.02 * cd.length;
    cands[n_c++] = cd;
  }
  if (st == CARM_OK && !opts->has_entry) {
    qsort(cands, (size_t)n_c, sizeof *cands, cand_cmp);
  }
  if (st == CARM_OK) {
    res = calloc((size_t)max_out, sizeof *res);
    if (res == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "needle: out of memory");
    }
  }
  if (st == CARM_OK && opts->vessels == NULL) {
    /* local vessel radius for the heat sink: distance to non-vessel */
    st = carm_volume_create_like(&vdist, labels);
    for (int64_t v = 0; st == CARM_OK && v < nv; v++) {
      int l = (int)lroundf(labels->data[v]);
      mask->data[v] = (l >= 4 && l <= 8) ? 1.0f : 0.0f;
    }
    if (st == CARM_OK) {
      st = carm_seg_distance(vdist, mask, CARM_SEG_TO_BACKGROUND);
    }
  }
  int n_res = 0;
  for (int i = 0; st == CARM_OK && i < n_c && n_res < max_out; i++) {
    const cand *cd = &cands[i];
    int valid = cd->clearance >= need && cd->length <= opts->needle_mm;
    if (!opts->has_entry && !valid) {
      break; /* sorted: the rest is worse */
    }
    int distinct = 1;
    for (int k = 0; k < n_res; k++) {
      if (carm_vec3_dot(res[k].axis, cd->axis) > cos(20.0 * M_PI / 180.0)) {
        distinct = 0;
      }
    }
    if (!distinct) {
      continue;
    }
    carm_needle *n = &res[n_res];
    memcpy(n->entry_mm, cd->entry, sizeof n->entry_mm);
    memcpy(n->target_mm, c, sizeof n->target_mm);
    memcpy(n->surface_mm, cd->surface, sizeof n->surface_mm);
    memcpy(n->axis, cd->axis, sizeof n->axis);
    n->length_mm = cd->length;
    n->clearance_mm = cd->clearance;
    n->valid = valid;
    n->heat_sink_label = -1;
    /* the zone along the needle: slide it to maximise the minimal margin */
    double best_m = -INFINITY;
    for (int s = opts->zone_search ? -10 : 0; s <= (opts->zone_search ? 10 : 0); s += 2) {
      carm_ablation_zone z;
      for (int a = 0; a < 3; a++) {
        z.centre_mm[a] = c[a] + s * cd->axis[a];
        z.axis[a] = cd->axis[a];
      }
      z.long_mm = opts->long_mm;
      z.short_mm = opts->short_mm;
      carm_ablation_coverage cov;
      st = carm_ablation_coverage_compute(labels, target_label, opts->margin_mm, &z, &cov);
      if (st != CARM_OK) {
        break;
      }
      if (cov.min_margin_mm > best_m + 1e-9) {
        best_m = cov.min_margin_mm;
        n->zone = z;
        n->coverage = cov;
      }
    }
    if (st != CARM_OK) {
      break;
    }
    if (opts->vessels != NULL) {
      heat_sink_tree(n, opts->vessels);
    } else {
      heat_sink_labels(n, labels, vdist);
    }
    n->heat_sink = n->heat_sink_diameter_mm >= 3.0;
    plan_views(n, &opts->limits);
    n_res++;
  }
  free(cands);
  carm_volume_destroy(mask);
  carm_volume_destroy(dist);
  carm_volume_destroy(vdist);
  if (st != CARM_OK) {
    free(res);
    return st;
  }
  *out = res;
  *n_out = n_res;
  return CARM_OK;
}
