/* The digital liver phantom: anatomy in patient LPS, seeded with carm_rng,
 * placed on the C-arm (world = W·lps). Vessel trees grow by recursive
 * territory splitting (each branch point splits its share of liver samples
 * in two along their principal axis; child radii follow Murray's law with
 * flow proportional to territory size). docs/twin.md has the details. */
#include "carm/twin.h"
#include "sim/twin_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- small vector helpers ----------------------------------------------- */

static void v_set(double o[3], double x, double y, double z) {
  o[0] = x;
  o[1] = y;
  o[2] = z;
}
static void v_sub(const double a[3], const double b[3], double o[3]) {
  for (int i = 0; i < 3; i++) {
    o[i] = a[i] - b[i];
  }
}
static void v_lerp(const double a[3], const double b[3], double t, double o[3]) {
  for (int i = 0; i < 3; i++) {
    o[i] = a[i] + t * (b[i] - a[i]);
  }
}
static double v_dist(const double a[3], const double b[3]) {
  double d[3];
  v_sub(a, b, d);
  return carm_vec3_norm(d);
}
static double clampd(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* ---- frames and the liver ------------------------------------------------ */

void twin_to_world(const carm_twin *twin, const double lps[3], double world[3]) {
  carm_mat3_apply(twin->priv->world_from_lps, lps, world);
}

void twin_to_lps(const carm_twin *twin, const double world[3], double lps[3]) {
  carm_mat3_apply(twin->priv->lps_from_world, world, lps);
}

/* The blob's norm before modulation, and the modulation's bound. */
static double liver_n(const carm_twin_private *pv, const double q[3]) {
  const double *a = pv->liver_a;
  double s = clampd(q[0] / a[0] + 0.15, 0.0, 1.0);
  double sc = 1.0 - pv->liver_taper * s * s;
  double x = q[0] / a[0], y = q[1] / (a[1] * sc), z = q[2] / (a[2] * sc);
  return sqrt(x * x + y * y + z * z);
}

static double liver_mod(const carm_twin_private *pv, const double q[3]) {
  double len = carm_vec3_norm(q);
  double eps = 0.0;
  if (len > 1e-9) {
    for (int m = 0; m < TWIN_LIVER_MODES; m++) {
      double d =
          (pv->mode_w[m][0] * q[0] + pv->mode_w[m][1] * q[1] + pv->mode_w[m][2] * q[2]) / len;
      eps += pv->mode_amp[m] * sin(d + pv->mode_phase[m]);
    }
  }
  return eps;
}

double twin_liver_g(const carm_twin_private *pv, const double lps[3]) {
  double q[3];
  v_sub(lps, pv->liver_c, q);
  return liver_n(pv, q) / (1.0 + liver_mod(pv, q));
}

double twin_liver_g_bounds(const carm_twin_private *pv, const double lps[3], double *lo,
                           double *hi) {
  double q[3];
  v_sub(lps, pv->liver_c, q);
  double n = liver_n(pv, q), amp = 0.0;
  for (int m = 0; m < TWIN_LIVER_MODES; m++) {
    amp += pv->mode_amp[m];
  }
  *lo = n / (1.0 + amp);
  *hi = n / (1.0 - amp);
  return n;
}

static double cage_value(const carm_twin_private *pv, const double lps[3]) {
  double x = (lps[0] - pv->cage_c[0]) / pv->cage_a[0];
  double y = (lps[1] - pv->cage_c[1]) / pv->cage_a[1];
  return sqrt(x * x + y * y);
}

int twin_liver_inside_lps(const carm_twin_private *pv, const double lps[3]) {
  if (cage_value(pv, lps) >= 1.0) {
    return 0;
  }
  double lo, hi;
  twin_liver_g_bounds(pv, lps, &lo, &hi);
  if (hi < 1.0) {
    return 1;
  }
  if (lo >= 1.0) {
    return 0;
  }
  return twin_liver_g(pv, lps) < 1.0;
}

/* A margin-aware "well inside" test used while growing trees. */
static int deep_inside(const carm_twin_private *pv, const double lps[3], double level) {
  return twin_liver_g(pv, lps) < level && cage_value(pv, lps) < 1.0 - (1.0 - level) * 0.5;
}

/* ---- Couinaud ------------------------------------------------------------ */

void twin_couinaud_lps(const carm_twin_private *pv, const double lps[3], char out[4]) {
  out[0] = '\0';
  if (!twin_liver_inside_lps(pv, lps)) {
    return;
  }
  double dx = lps[0] - pv->ivc_lps[0], dy = lps[1] - pv->ivc_lps[1];
  int upper = lps[2] > pv->bif_lps[2];
  /* caudate: behind the portal bifurcation, within 35 mm of the IVC axis,
   * between the bifurcation's and the confluence's heights */
  if (lps[1] > pv->bif_lps[1] && sqrt(dx * dx + dy * dy) < 35.0 && lps[2] >= pv->bif_lps[2] &&
      lps[2] <= pv->ivc_lps[2]) {
    out[0] = '1';
    out[1] = '\0';
    return;
  }
  /* azimuth from the patient's right (−x) towards anterior (−y) */
  double alpha = atan2(-dy, -dx) * 180.0 / M_PI;
  const char *seg;
  if (alpha >= pv->hv_angle_deg[2] || alpha < -90.0) {
    seg = upper ? "2" : "3";
  } else if (alpha >= pv->hv_angle_deg[1]) {
    seg = upper ? "4a" : "4b";
  } else if (alpha >= pv->hv_angle_deg[0]) {
    seg = upper ? "8" : "5";
  } else {
    seg = upper ? "7" : "6";
  }
  size_t n = strlen(seg);
  memcpy(out, seg, n + 1);
}

void carm_twin_couinaud(const carm_twin *twin, const double xyz_mm[3], char out[4]) {
  double lps[3];
  twin_to_lps(twin, xyz_mm, lps);
  twin_couinaud_lps(twin->priv, lps, out);
}

int carm_twin_in_liver(const carm_twin *twin, const double xyz_mm[3]) {
  double lps[3];
  twin_to_lps(twin, xyz_mm, lps);
  return twin_liver_inside_lps(twin->priv, lps);
}

const char *carm_twin_vessel_name(int kind) {
  static const char *const names[CARM_TWIN_VESSEL_COUNT] = {"artery", "portal_vein", "hepatic_vein",
                                                            "ivc",    "aorta",       "catheter"};
  if (kind < 0 || kind >= CARM_TWIN_VESSEL_COUNT) {
    return NULL;
  }
  return names[kind];
}

/* ---- the builder ---------------------------------------------------------- */

typedef struct builder {
  carm_twin *twin;
  carm_twin_private *pv;
  carm_rng rng;
  int cap_segments;
  int failed; /* allocation failure */
  /* territory samples (LPS) */
  int n_pts;
  double (*pts)[3];
  int *idx; /* scratch index array */
  /* tree parameters of the tree being grown */
  carm_twin_vessel kind;
  double r_min;
  int max_gen;
  int min_pts;
} builder;

static double urand(builder *b, double lo, double hi) {
  return lo + (hi - lo) * carm_rng_uniform(&b->rng);
}

static int add_segment_pts(builder *b, int parent, carm_twin_vessel kind, int gen, int n,
                           double (*pts)[3], double *rad) {
  carm_twin *t = b->twin;
  if (t->n_segments == b->cap_segments) {
    int cap = b->cap_segments ? 2 * b->cap_segments : 256;
    carm_twin_segment *s = realloc(t->segments, (size_t)cap * sizeof *s);
    if (s == NULL) {
      b->failed = 1;
      free(pts);
      free(rad);
      return -1;
    }
    t->segments = s;
    b->cap_segments = cap;
  }
  int id = t->n_segments++;
  carm_twin_segment *s = &t->segments[id];
  memset(s, 0, sizeof *s);
  s->id = id;
  s->parent = parent;
  s->kind = kind;
  s->generation = gen;
  s->tumour = -1;
  s->n_points = n;
  s->points_mm = pts;
  s->radius_mm = rad;
  if (parent >= 0) {
    t->segments[parent].n_children++;
  }
  return id;
}

/* Pull an LPS point into the liver (towards the liver centre) until it is
 * deep inside at `level`. */
static void pull_inside(const carm_twin_private *pv, double p[3], double level) {
  for (int it = 0; it < 60 && !deep_inside(pv, p, level); it++) {
    v_lerp(p, pv->liver_c, 0.05, p);
  }
}

/* A centreline from a to b: quadratic Bézier bent sideways by `bend`
 * (fraction of the length) in a random direction, one point per ~3 mm.
 * With `inside`, interior points are kept in the liver. */
static int add_curve(builder *b, int parent, carm_twin_vessel kind, int gen, const double a[3],
                     const double e[3], double r0, double r1, double bend, int inside) {
  double d[3];
  v_sub(e, a, d);
  double len = carm_vec3_norm(d);
  int n = (int)ceil(len / 3.0) + 1;
  if (n < 2) {
    n = 2;
  }
  if (n > 200) {
    n = 200;
  }
  /* a random unit vector perpendicular to d */
  double rnd[3] = {carm_rng_normal(&b->rng), carm_rng_normal(&b->rng), carm_rng_normal(&b->rng)};
  double perp[3];
  carm_vec3_cross(d, rnd, perp);
  if (carm_vec3_normalize(perp) < 1e-12) {
    v_set(perp, 0, 0, 0);
  }
  double ctrl[3];
  for (int i = 0; i < 3; i++) {
    ctrl[i] = 0.5 * (a[i] + e[i]) + bend * len * perp[i];
  }
  double(*pts)[3] = malloc((size_t)n * sizeof *pts);
  double *rad = malloc((size_t)n * sizeof *rad);
  if (pts == NULL || rad == NULL) {
    free(pts);
    free(rad);
    b->failed = 1;
    return -1;
  }
  for (int i = 0; i < n; i++) {
    double t = (double)i / (double)(n - 1);
    for (int k = 0; k < 3; k++) {
      pts[i][k] = (1 - t) * (1 - t) * a[k] + 2 * t * (1 - t) * ctrl[k] + t * t * e[k];
    }
    if (inside && i > 0 && i < n - 1) {
      pull_inside(b->pv, pts[i], 0.97);
    }
    rad[i] = r0 + t * (r1 - r0);
  }
  return add_segment_pts(b, parent, kind, gen, n, pts, rad);
}

/* ---- territory splitting ---------------------------------------------------- */

static void centroid(const builder *b, const int *ix, int n, double c[3]) {
  v_set(c, 0, 0, 0);
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < 3; k++) {
      c[k] += b->pts[ix[i]][k];
    }
  }
  for (int k = 0; k < 3; k++) {
    c[k] /= (double)(n > 0 ? n : 1);
  }
}

/* Split ix[0..n) in place along the principal axis; returns the size of the
 * first part (0 when no split is possible). */
static int split_territory(builder *b, int *ix, int n) {
  if (n < 2) {
    return 0;
  }
  double c[3];
  centroid(b, ix, n, c);
  double cov[3][3] = {{0}};
  for (int i = 0; i < n; i++) {
    double d[3];
    v_sub(b->pts[ix[i]], c, d);
    for (int r = 0; r < 3; r++) {
      for (int s = 0; s < 3; s++) {
        cov[r][s] += d[r] * d[s];
      }
    }
  }
  double e[3] = {0.577, 0.578, 0.579};
  for (int it = 0; it < 60; it++) {
    double ne[3];
    carm_mat3_apply(cov, e, ne);
    if (carm_vec3_normalize(ne) < 1e-300) {
      return 0;
    }
    memcpy(e, ne, sizeof e);
  }
  double var = 0.0;
  for (int i = 0; i < n; i++) {
    double d[3];
    v_sub(b->pts[ix[i]], c, d);
    double p = carm_vec3_dot(d, e);
    var += p * p;
  }
  double thr = urand(b, -0.2, 0.2) * sqrt(var / n);
  /* partition: elements with projection < thr first */
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    double d[3];
    v_sub(b->pts[ix[lo]], c, d);
    if (carm_vec3_dot(d, e) < thr) {
      lo++;
    } else {
      int tmp = ix[lo];
      ix[lo] = ix[hi];
      ix[hi] = tmp;
      hi--;
    }
  }
  if (lo == 0 || lo == n) {
    return 0;
  }
  return lo;
}

/* Grow the children of a node at q (LPS) whose incoming segment has radius r
 * and territory ix[0..n). */
static void grow(builder *b, int parent, const double q[3], double r, int *ix, int n, int gen) {
  if (b->failed || gen > b->max_gen || n < 2 * b->min_pts) {
    return;
  }
  int na = split_territory(b, ix, n);
  if (na == 0) {
    return;
  }
  int nb = n - na;
  double ra = r * cbrt((double)na / n), rb = r * cbrt((double)nb / n);
  if (ra < b->r_min || rb < b->r_min) {
    return;
  }
  int *parts[2] = {ix, ix + na};
  int counts[2] = {na, nb};
  double radii[2] = {ra, rb};
  for (int k = 0; k < 2; k++) {
    double c[3];
    centroid(b, parts[k], counts[k], c);
    /* terminal when its own balanced split would fall below r_min */
    int terminal =
        gen + 1 > b->max_gen || radii[k] * cbrt(0.5) < b->r_min || counts[k] < 2 * b->min_pts;
    double lam = terminal ? urand(b, 0.75, 0.95) : urand(b, 0.4, 0.6);
    double e[3];
    v_lerp(q, c, lam, e);
    if (v_dist(q, e) < 2.0) {
      double d[3];
      v_sub(c, q, d);
      if (carm_vec3_normalize(d) < 1e-9) {
        v_set(d, 0, 0, 1);
      }
      for (int i = 0; i < 3; i++) {
        e[i] = q[i] + 2.0 * d[i];
      }
    }
    pull_inside(b->pv, e, 0.95);
    int id = add_curve(b, parent, b->kind, gen, q, e, radii[k], radii[k], urand(b, 0.0, 0.12), 1);
    if (id < 0) {
      return;
    }
    grow(b, id, e, radii[k], parts[k], counts[k], gen + 1);
  }
}

/* ---- placing things ------------------------------------------------------- */

/* Lowest z (LPS) of the liver along the vertical line through (x, y) below
 * the liver centre's height, by bisection. */
static double liver_bottom(const carm_twin_private *pv, double x, double y) {
  double in[3] = {x, y, pv->liver_c[2]};
  double lo = pv->liver_c[2] - 3.0 * pv->liver_a[2], hi = pv->liver_c[2];
  if (!twin_liver_inside_lps(pv, in)) {
    return pv->liver_c[2];
  }
  for (int it = 0; it < 50; it++) {
    double mid = 0.5 * (lo + hi);
    double p[3] = {x, y, mid};
    if (twin_liver_inside_lps(pv, p)) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

static int lesion_fits(builder *b, const double c[3], double radius) {
  const carm_twin_private *pv = b->pv;
  if (!deep_inside(pv, c, 0.8)) {
    return 0;
  }
  for (int i = -1; i <= 1; i++) {
    for (int j = -1; j <= 1; j++) {
      for (int k = -1; k <= 1; k++) {
        if (i == 0 && j == 0 && k == 0) {
          continue;
        }
        double d[3] = {i, j, k};
        carm_vec3_normalize(d);
        double p[3];
        for (int m = 0; m < 3; m++) {
          p[m] = c[m] + (radius + 5.0) * d[m];
        }
        if (!deep_inside(pv, p, 0.97)) {
          return 0;
        }
      }
    }
  }
  /* away from the hilum and the IVC */
  if (v_dist(c, pv->bif_lps) < radius + 15.0) {
    return 0;
  }
  double dx = c[0] - pv->ivc_lps[0], dy = c[1] - pv->ivc_lps[1];
  if (sqrt(dx * dx + dy * dy) < radius + 20.0) {
    return 0;
  }
  return 1;
}

/* Place a spherical lesion of diameter ~d (shrinks when it does not fit).
 * Returns 0 on success. */
static int place_lesion(builder *b, carm_twin_tumour *t, double d, const carm_twin_tumour *others,
                        int n_others) {
  const carm_twin_private *pv = b->pv;
  for (int attempt = 0; attempt < 8; attempt++) {
    double radius = 0.5 * d;
    for (int it = 0; it < 3000; it++) {
      double c[3];
      for (int k = 0; k < 3; k++) {
        c[k] = pv->liver_c[k] + urand(b, -1.0, 1.0) * pv->liver_a[k];
      }
      if (!lesion_fits(b, c, radius)) {
        continue;
      }
      int clash = 0;
      for (int o = 0; o < n_others; o++) {
        if (v_dist(c, others[o].centre_mm) < radius + 0.5 * others[o].diameter_mm + 8.0) {
          clash = 1;
        }
      }
      if (clash) {
        continue;
      }
      memcpy(t->centre_mm, c, sizeof c);
      t->diameter_mm = d;
      return 0;
    }
    d *= 0.8;
  }
  return -1;
}

/* Liver samples for tree growth: inside, away from lesions and the IVC. */
static int sample_territory(builder *b, int n_target) {
  carm_twin *t = b->twin;
  const carm_twin_private *pv = b->pv;
  b->pts = malloc((size_t)n_target * sizeof *b->pts);
  b->idx = malloc((size_t)n_target * sizeof *b->idx);
  if (b->pts == NULL || b->idx == NULL) {
    return -1;
  }
  int n = 0;
  for (long it = 0; n < n_target && it < 200L * n_target; it++) {
    double p[3];
    for (int k = 0; k < 3; k++) {
      p[k] = pv->liver_c[k] + urand(b, -1.2, 1.2) * pv->liver_a[k];
    }
    if (!deep_inside(pv, p, 0.93)) {
      continue;
    }
    int skip = 0;
    for (int k = 0; k < t->n_tumours; k++) {
      if (v_dist(p, t->tumours[k].centre_mm) < 0.5 * t->tumours[k].diameter_mm + 2.0) {
        skip = 1;
      }
    }
    if (t->has_hypo && v_dist(p, t->hypo.centre_mm) < 0.5 * t->hypo.diameter_mm + 2.0) {
      skip = 1;
    }
    double dx = p[0] - pv->ivc_lps[0], dy = p[1] - pv->ivc_lps[1];
    if (sqrt(dx * dx + dy * dy) < 15.0) {
      skip = 1;
    }
    if (!skip) {
      memcpy(b->pts[n], p, sizeof p);
      n++;
    }
  }
  b->n_pts = n;
  return n == n_target ? 0 : -1;
}

/* ---- primitives ------------------------------------------------------------- */

static twin_prim *new_prim(builder *b, twin_prim_type type, int layer) {
  carm_twin_private *pv = b->pv;
  if (pv->n_prims == pv->cap_prims) {
    int cap = pv->cap_prims ? 2 * pv->cap_prims : 256;
    twin_prim *p = realloc(pv->prims, (size_t)cap * sizeof *p);
    if (p == NULL) {
      b->failed = 1;
      return NULL;
    }
    pv->prims = p;
    pv->cap_prims = cap;
  }
  twin_prim *p = &pv->prims[pv->n_prims++];
  memset(p, 0, sizeof *p);
  p->type = type;
  p->layer = layer;
  carm_mat3_identity(p->r);
  return p;
}

static int find_layer(const carm_twin_private *pv, int label) {
  for (int i = 0; i < pv->n_layers; i++) {
    if (pv->layer_label[i] == label) {
      return i;
    }
  }
  return -1;
}

/* Capsule chains of at most 6 pieces each (small bounding boxes). */
static void add_capsules(builder *b, int label, int n, const double (*pts)[3], const double *rad) {
  int layer = find_layer(b->pv, label);
  for (int s = 0; s < n - 1; s += 6) {
    int e = s + 6 < n - 1 ? s + 6 : n - 1;
    twin_prim *p = new_prim(b, TWIN_PRIM_CAPSULES, layer);
    if (p == NULL) {
      return;
    }
    p->n = e - s + 1;
    p->pts = pts + s;
    p->rad = rad + s;
  }
}

/* An owned capsule chain (LPS points now, transformed to world later). */
static void add_owned_chain(builder *b, int label, int n, const double (*pts)[3], double radius) {
  carm_twin_private *pv = b->pv;
  if (pv->n_owned == pv->cap_owned) {
    int cap = pv->cap_owned ? 2 * pv->cap_owned : 64;
    double **o = realloc(pv->owned, (size_t)cap * sizeof *o);
    if (o == NULL) {
      b->failed = 1;
      return;
    }
    pv->owned = o;
    int *on = realloc(pv->owned_n, (size_t)cap * sizeof *on);
    if (on == NULL) {
      b->failed = 1;
      return;
    }
    pv->owned_n = on;
    pv->cap_owned = cap;
  }
  double *buf = malloc((size_t)n * 4 * sizeof *buf);
  if (buf == NULL) {
    b->failed = 1;
    return;
  }
  pv->owned_n[pv->n_owned] = n;
  pv->owned[pv->n_owned++] = buf;
  double(*p)[3] = (double(*)[3])buf;
  double *r = buf + 3 * n;
  for (int i = 0; i < n; i++) {
    memcpy(p[i], pts[i], sizeof p[i]);
    r[i] = radius;
  }
  add_capsules(b, label, n, (const double(*)[3])p, r);
}

static void add_ellipsoid(builder *b, int label, const double c[3], const double a[3]) {
  twin_prim *p = new_prim(b, TWIN_PRIM_ELLIPSOID, find_layer(b->pv, label));
  if (p != NULL) {
    memcpy(p->c, c, sizeof p->c);
    memcpy(p->a, a, sizeof p->a);
  }
}

/* Elliptic cylinder along LPS z. */
static void add_ecyl(builder *b, int label, const double c[3], double ax, double ay, double half) {
  twin_prim *p = new_prim(b, TWIN_PRIM_ECYL, find_layer(b->pv, label));
  if (p != NULL) {
    memcpy(p->c, c, sizeof p->c);
    v_set(p->a, ax, ay, half);
  }
}

static void setup_layers(carm_twin_private *pv, int n_tumours) {
  /* priority, highest first: the catheter and the arteries (tumour feeders
   * stay visible), lesions (they hide the veins that cross them), veins,
   * bone, organs, body */
  static const int head[][2] = {{CARM_TWIN_C_CATHETER, CARM_TWIN_LABEL_CATHETER},
                                {CARM_TWIN_C_ARTERY, CARM_TWIN_LABEL_ARTERY}};
  static const int tail[][2] = {{CARM_TWIN_C_HYPO, CARM_TWIN_LABEL_HYPO},
                                {CARM_TWIN_C_PORTAL, CARM_TWIN_LABEL_PORTAL},
                                {CARM_TWIN_C_HEPATIC_VEIN, CARM_TWIN_LABEL_HEPATIC_VEIN},
                                {CARM_TWIN_C_IVC, CARM_TWIN_LABEL_IVC},
                                {CARM_TWIN_C_AORTA, CARM_TWIN_LABEL_AORTA},
                                {CARM_TWIN_C_BONE, CARM_TWIN_LABEL_BONE},
                                {CARM_TWIN_C_LIVER, CARM_TWIN_LABEL_LIVER},
                                {CARM_TWIN_C_KIDNEY, CARM_TWIN_LABEL_KIDNEY},
                                {CARM_TWIN_C_LUNG, CARM_TWIN_LABEL_LUNG},
                                {CARM_TWIN_C_BODY, CARM_TWIN_LABEL_BODY},
                                {CARM_TWIN_C_FAT, CARM_TWIN_LABEL_FAT}};
  int n = 0;
  for (size_t i = 0; i < sizeof head / sizeof head[0]; i++, n++) {
    pv->layer_compartment[n] = head[i][0];
    pv->layer_label[n] = head[i][1];
  }
  for (int k = 0; k < n_tumours; k++, n++) {
    pv->layer_compartment[n] = CARM_TWIN_C_TUMOUR;
    pv->layer_label[n] = CARM_TWIN_LABEL_TUMOUR + k;
  }
  for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++, n++) {
    pv->layer_compartment[n] = tail[i][0];
    pv->layer_label[n] = tail[i][1];
  }
  pv->n_layers = n;
}

/* Body, fat, spine, ribs, lungs, kidneys (LPS). */
static void build_body(builder *b) {
  const double bx = 70.0, by = 0.0;
  double c[3] = {bx, by, 0.0};
  add_ecyl(b, CARM_TWIN_LABEL_FAT, c, 170.0, 120.0, 400.0);
  add_ecyl(b, CARM_TWIN_LABEL_BODY, c, 158.0, 108.0, 400.0);
  /* vertebral bodies (discs are soft tissue) and posterior elements */
  for (int k = -13; k <= 13; k++) {
    double z = 30.0 * k;
    double vc[3] = {bx, 72.0, z};
    add_ecyl(b, CARM_TWIN_LABEL_BONE, vc, 20.0, 16.0, 12.0);
    double sp[2][3] = {{bx, 92.0, z}, {bx, 108.0, z - 6.0}};
    add_owned_chain(b, CARM_TWIN_LABEL_BONE, 2, (const double(*)[3])sp, 5.0);
    for (int side = -1; side <= 1; side += 2) {
      double tp[2][3] = {{bx, 86.0, z}, {bx + side * 30.0, 88.0, z}};
      add_owned_chain(b, CARM_TWIN_LABEL_BONE, 2, (const double(*)[3])tp, 4.0);
    }
  }
  /* ribs: arcs on an ellipse inside the body wall, descending anteriorly */
  const double ra = 150.0, rb = 103.0;
  for (int k = -3; k <= 4; k++) {
    double z0 = 30.0 * k + 10.0;
    int floating = k <= -2;
    for (int side = -1; side <= 1; side += 2) {
      double phi0 = side < 0 ? 108.0 : 72.0;
      double phi1 = side < 0 ? (floating ? 200.0 : 238.0) : (floating ? -20.0 : -58.0);
      double pts[40][3];
      int n = 24;
      for (int i = 0; i < n; i++) {
        double t = (double)i / (n - 1);
        double phi = (phi0 + t * (phi1 - phi0)) * M_PI / 180.0;
        v_set(pts[i], bx + ra * cos(phi), by + rb * sin(phi), z0 - 45.0 * t);
      }
      add_owned_chain(b, CARM_TWIN_LABEL_BONE, n, (const double(*)[3])pts, 4.5);
    }
  }
  /* lungs above the diaphragm, kidneys */
  const carm_twin_private *pv = b->pv;
  double top = pv->liver_c[2] + pv->liver_a[2];
  double lr[3] = {-5.0, 20.0, top + 80.0}, la[3] = {62.0, 72.0, 90.0};
  add_ellipsoid(b, CARM_TWIN_LABEL_LUNG, lr, la);
  double ll[3] = {140.0, 20.0, top + 70.0};
  add_ellipsoid(b, CARM_TWIN_LABEL_LUNG, ll, la);
  double kr[3] = {-25.0, 72.0, pv->liver_c[2] - 75.0}, ka[3] = {27.0, 22.0, 52.0};
  add_ellipsoid(b, CARM_TWIN_LABEL_KIDNEY, kr, ka);
  double kl[3] = {150.0, 72.0, pv->liver_c[2] - 60.0};
  add_ellipsoid(b, CARM_TWIN_LABEL_KIDNEY, kl, ka);
}

/* ---- liver shape ------------------------------------------------------------ */

static double measure_liver_ml(const carm_twin_private *pv, double h) {
  const double *a = pv->liver_a, *c = pv->liver_c;
  int64_t n[3];
  for (int k = 0; k < 3; k++) {
    n[k] = (int64_t)ceil(2.6 * a[k] / h);
  }
  int64_t count = 0;
#pragma omp parallel for reduction(+ : count) schedule(static)
  for (int64_t k = 0; k < n[2]; k++) {
    for (int64_t j = 0; j < n[1]; j++) {
      for (int64_t i = 0; i < n[0]; i++) {
        double p[3] = {c[0] - 1.3 * a[0] + ((double)i + 0.5) * h,
                       c[1] - 1.3 * a[1] + ((double)j + 0.5) * h,
                       c[2] - 1.3 * a[2] + ((double)k + 0.5) * h};
        if (twin_liver_inside_lps(pv, p)) {
          count++;
        }
      }
    }
  }
  return (double)count * h * h * h / 1000.0;
}

static void build_liver(builder *b, double target_ml) {
  carm_twin_private *pv = b->pv;
  v_set(pv->liver_c, urand(b, -3, 3), urand(b, -3, 3), urand(b, -3, 3));
  v_set(pv->liver_a, 75.0 * urand(b, 0.95, 1.05), 70.0 * urand(b, 0.95, 1.05),
        80.0 * urand(b, 0.95, 1.05));
  pv->liver_taper = 0.5;
  for (int m = 0; m < TWIN_LIVER_MODES; m++) {
    double w[3] = {carm_rng_normal(&b->rng), carm_rng_normal(&b->rng), carm_rng_normal(&b->rng)};
    carm_vec3_normalize(w);
    double f = urand(b, 1.5, 3.0);
    for (int k = 0; k < 3; k++) {
      pv->mode_w[m][k] = f * w[k];
    }
    pv->mode_phase[m] = urand(b, 0.0, 2.0 * M_PI);
    pv->mode_amp[m] = urand(b, 0.015, 0.035);
  }
  pv->cage_c[0] = 70.0;
  pv->cage_c[1] = 0.0;
  pv->cage_a[0] = 142.0;
  pv->cage_a[1] = 96.0;
  /* scale to the target volume (the shape is scale-invariant in the blob;
   * the rib cage clips a little, so iterate twice) */
  for (int it = 0; it < 3; it++) {
    double v = measure_liver_ml(pv, 2.0);
    double f = cbrt(target_ml / v);
    for (int k = 0; k < 3; k++) {
      pv->liver_a[k] *= f;
    }
  }
}

/* ---- vessel trees -------------------------------------------------------------- */

static void grow_tree(builder *b, int parent, const double q[3], double r, carm_twin_vessel kind,
                      int gen, double r_min, int max_gen, int *ix, int n) {
  b->kind = kind;
  b->r_min = r_min;
  b->max_gen = max_gen;
  b->min_pts = 3;
  grow(b, parent, q, r, ix, n, gen);
}

static void build_arteries(builder *b, const carm_twin_opts *opts, double cel[3], double gpt[3]) {
  carm_twin_private *pv = b->pv;
  const double *lc = pv->liver_c, *la = pv->liver_a;
  /* hilum H: just inside the inferior surface, right of the portal vein */
  double hx = lc[0] + 0.15 * la[0], hy = lc[1] - 0.05 * la[1];
  double H[3] = {hx, hy, liver_bottom(pv, hx, hy) + 20.0};
  pull_inside(pv, H, 0.85);
  double gx = lc[0] + 0.4 * la[0], gy = lc[1] - 0.05 * la[1];
  double G[3] = {gx, gy, liver_bottom(pv, gx, gy) - 12.0};
  v_set(cel, 75.0, 27.0, G[2] - 4.0); /* celiac origin on the aortic wall */
  memcpy(gpt, G, 3 * sizeof(double));
  const double r_cha = 3.0, r_gda = 2.25;
  double r_pha = cbrt(r_cha * r_cha * r_cha - r_gda * r_gda * r_gda);
  int cha = add_curve(b, -1, CARM_TWIN_VESSEL_ARTERY, 0, cel, G, r_cha, r_cha, 0.1, 0);
  double gda_end[3] = {G[0] + 5.0, G[1] - 15.0, G[2] - 50.0};
  add_curve(b, cha, CARM_TWIN_VESSEL_ARTERY, 1, G, gda_end, r_gda, r_gda, 0.1, 0);
  int pha = add_curve(b, cha, CARM_TWIN_VESSEL_ARTERY, 1, G, H, r_pha, r_pha, 0.05, 0);
  for (int i = 0; i < b->n_pts; i++) {
    b->idx[i] = i;
  }
  grow_tree(b, pha, H, r_pha, CARM_TWIN_VESSEL_ARTERY, 2, opts->min_radius_mm,
            1 + opts->max_generations, b->idx, b->n_pts);
}

static void build_portal(builder *b) {
  carm_twin_private *pv = b->pv;
  const double *lc = pv->liver_c, *la = pv->liver_a;
  double bx = lc[0] + 0.1 * la[0], by = lc[1] + 0.1 * la[1];
  double B[3] = {bx, by, liver_bottom(pv, bx, by) + 25.0};
  pull_inside(pv, B, 0.8);
  memcpy(pv->bif_lps, B, sizeof B);
  double conf[3] = {50.0, 20.0, B[2] - 85.0};
  int root = add_curve(b, -1, CARM_TWIN_VESSEL_PORTAL, 0, conf, B, 6.5, 6.5, 0.05, 0);
  for (int i = 0; i < b->n_pts; i++) {
    b->idx[i] = i;
  }
  grow_tree(b, root, B, 6.5, CARM_TWIN_VESSEL_PORTAL, 1, 1.0, 7, b->idx, b->n_pts);
}

static void build_veins(builder *b) {
  carm_twin_private *pv = b->pv;
  /* IVC: straight along z, posterior to the liver's medial part */
  double ivc_x = 40.0, ivc_y = 35.0;
  double Q[3] = {ivc_x, ivc_y, pv->liver_c[2] + 0.35 * pv->liver_a[2]};
  for (int it = 0; it < 100; it++) {
    double front[3] = {Q[0], Q[1] - 12.0, Q[2]};
    if (deep_inside(pv, front, 0.9)) {
      break;
    }
    Q[2] -= 2.0;
  }
  memcpy(pv->ivc_lps, Q, sizeof Q);
  double ivc[2][3] = {{ivc_x, ivc_y, -400.0}, {ivc_x, ivc_y, 400.0}};
  double ivc_r[2] = {10.0, 10.0};
  double(*ip)[3] = malloc(sizeof ivc);
  double *irad = malloc(sizeof ivc_r);
  if (ip == NULL || irad == NULL) {
    free(ip);
    free(irad);
    b->failed = 1;
    return;
  }
  memcpy(ip, ivc, sizeof ivc);
  memcpy(irad, ivc_r, sizeof ivc_r);
  add_segment_pts(b, -1, CARM_TWIN_VESSEL_IVC, 0, 2, ip, irad);
  /* three hepatic veins in vertical planes through the IVC axis */
  double dirs[3][2] = {{-1.0, -0.55}, {-0.3, -1.0}, {0.65, -1.0}};
  double len[3] = {50.0, 45.0, 40.0}, dz[3] = {15.0, 20.0, 10.0}, rr[3] = {6.0, 5.5, 5.0};
  for (int v = 0; v < 3; v++) {
    for (int k = 0; k < 2; k++) {
      dirs[v][k] += urand(b, -0.08, 0.08);
    }
    double n = hypot(dirs[v][0], dirs[v][1]);
    dirs[v][0] /= n;
    dirs[v][1] /= n;
    pv->hv_angle_deg[v] = atan2(-dirs[v][1], -dirs[v][0]) * 180.0 / M_PI;
  }
  /* territories: the liver samples nearest in azimuth (sector bisectors) */
  double cut0 = 0.5 * (pv->hv_angle_deg[0] + pv->hv_angle_deg[1]);
  double cut1 = 0.5 * (pv->hv_angle_deg[1] + pv->hv_angle_deg[2]);
  for (int v = 0; v < 3; v++) {
    int n = 0;
    for (int i = 0; i < b->n_pts; i++) {
      double dx = b->pts[i][0] - Q[0], dy = b->pts[i][1] - Q[1];
      double al = atan2(-dy, -dx) * 180.0 / M_PI;
      int sector;
      if (al < -90.0 || al >= cut1) {
        sector = 2;
      } else if (al >= cut0) {
        sector = 1;
      } else {
        sector = 0;
      }
      if (sector == v) {
        b->idx[n++] = i;
      }
    }
    double start[3] = {Q[0] + 10.0 * dirs[v][0], Q[1] + 10.0 * dirs[v][1], Q[2]};
    double T[3] = {Q[0] + len[v] * dirs[v][0], Q[1] + len[v] * dirs[v][1], Q[2] - dz[v]};
    if (!deep_inside(pv, T, 0.9)) {
      /* shorten along the plane rather than pull off it */
      for (int it = 0; it < 40 && !deep_inside(pv, T, 0.9); it++) {
        v_lerp(T, start, 0.05, T);
      }
    }
    double q0[3];
    memcpy(q0, Q, sizeof q0);
    int root = add_curve(b, -1, CARM_TWIN_VESSEL_HEPATIC_VEIN, 0, q0, T, rr[v], rr[v], 0.0, 0);
    grow_tree(b, root, T, rr[v], CARM_TWIN_VESSEL_HEPATIC_VEIN, 1, 1.0, 6, b->idx, n);
  }
}

/* Route terminal arterial branches into each tumour. */
static void route_feeders(builder *b) {
  carm_twin *t = b->twin;
  for (int k = 0; k < t->n_tumours; k++) {
    carm_twin_tumour *tu = &t->tumours[k];
    double R = 0.5 * tu->diameter_mm;
    int want = 1 + (R > 10.0 ? (int)(carm_rng_next(&b->rng) % 2) : 0);
    for (int f = 0; f < want; f++) {
      int best = -1;
      double best_d = INFINITY;
      for (int s = 0; s < t->n_segments; s++) {
        carm_twin_segment *sg = &t->segments[s];
        if (sg->kind != CARM_TWIN_VESSEL_ARTERY || sg->n_children != 0 || sg->tumour >= 0 ||
            sg->generation < 3) {
          continue;
        }
        double d = v_dist(sg->points_mm[0], tu->centre_mm);
        if (d < best_d) {
          best_d = d;
          best = s;
        }
      }
      if (best < 0) {
        break;
      }
      carm_twin_segment *sg = &t->segments[best];
      double e[3];
      double rnd[3] = {carm_rng_normal(&b->rng), carm_rng_normal(&b->rng),
                       carm_rng_normal(&b->rng)};
      carm_vec3_normalize(rnd);
      for (int m = 0; m < 3; m++) {
        e[m] = tu->centre_mm[m] + 0.3 * R * rnd[m];
      }
      /* rebuild the centreline from the branch point to e */
      double a[3];
      memcpy(a, sg->points_mm[0], sizeof a);
      double r = sg->radius_mm[0];
      double len = v_dist(a, e);
      int n = (int)ceil(len / 3.0) + 1;
      n = n < 2 ? 2 : (n > 200 ? 200 : n);
      double(*pts)[3] = malloc((size_t)n * sizeof *pts);
      double *rad = malloc((size_t)n * sizeof *rad);
      if (pts == NULL || rad == NULL) {
        free(pts);
        free(rad);
        b->failed = 1;
        return;
      }
      for (int i = 0; i < n; i++) {
        v_lerp(a, e, (double)i / (n - 1), pts[i]);
        if (i > 0 && i < n - 1) {
          pull_inside(b->pv, pts[i], 0.97);
        }
        rad[i] = r;
      }
      free(sg->points_mm);
      free(sg->radius_mm);
      sg->points_mm = pts;
      sg->radius_mm = rad;
      sg->n_points = n;
      sg->tumour = k;
      tu->feeders[tu->n_feeders++] = best;
    }
  }
}

/* The catheter: up the aorta, into the celiac trunk and the CHA. */
static void build_catheter(builder *b, const double cel[3], int cha) {
  carm_twin *t = b->twin;
  const carm_twin_segment *c = &t->segments[cha];
  int n_cha = c->n_points / 3 + 1; /* a third of the CHA */
  if (n_cha > c->n_points) {
    n_cha = c->n_points;
  }
  int n = 3 + n_cha;
  double(*pts)[3] = malloc((size_t)n * sizeof *pts);
  double *rad = malloc((size_t)n * sizeof *rad);
  if (pts == NULL || rad == NULL) {
    free(pts);
    free(rad);
    b->failed = 1;
    return;
  }
  v_set(pts[0], 75.0, 40.0, -400.0);
  v_set(pts[1], 75.0, 40.0, cel[2] - 25.0);
  v_set(pts[2], 75.0, 34.0, cel[2] - 8.0);
  for (int i = 0; i < n_cha; i++) {
    memcpy(pts[3 + i], c->points_mm[i], sizeof pts[0]);
  }
  for (int i = 0; i < n; i++) {
    rad[i] = 0.65; /* 4 F */
  }
  t->catheter_segment = add_segment_pts(b, -1, CARM_TWIN_VESSEL_CATHETER, 0, n, pts, rad);
}

/* ---- transform to world, primitives for every segment ------------------------ */

static void finish_world(builder *b) {
  carm_twin *t = b->twin;
  carm_twin_private *pv = b->pv;
  double W[3][3], Wt[3][3];
  memcpy(W, t->priv->world_from_lps, sizeof W);
  carm_mat3_transpose(W, Wt);
  /* segments: intrahepatic flag from LPS, then transform */
  for (int s = 0; s < t->n_segments; s++) {
    carm_twin_segment *sg = &t->segments[s];
    int in = 1;
    for (int i = 0; i < sg->n_points; i++) {
      if (!twin_liver_inside_lps(pv, sg->points_mm[i])) {
        in = 0;
      }
    }
    sg->intrahepatic = in && sg->kind != CARM_TWIN_VESSEL_CATHETER &&
                       sg->kind != CARM_TWIN_VESSEL_IVC && sg->kind != CARM_TWIN_VESSEL_AORTA;
    for (int i = 0; i < sg->n_points; i++) {
      double w[3];
      carm_mat3_apply(W, sg->points_mm[i], w);
      memcpy(sg->points_mm[i], w, sizeof w);
    }
    static const int seg_label[CARM_TWIN_VESSEL_COUNT] = {
        CARM_TWIN_LABEL_ARTERY, CARM_TWIN_LABEL_PORTAL, CARM_TWIN_LABEL_HEPATIC_VEIN,
        CARM_TWIN_LABEL_IVC,    CARM_TWIN_LABEL_AORTA,  CARM_TWIN_LABEL_CATHETER};
    add_capsules(b, seg_label[sg->kind], sg->n_points, (const double(*)[3])sg->points_mm,
                 sg->radius_mm);
  }
  /* owned chains: transform */
  for (int i = 0; i < pv->n_prims; i++) {
    twin_prim *p = &pv->prims[i];
    if (p->type == TWIN_PRIM_CAPSULES) {
      continue;
    }
    double c[3], rw[3][3];
    carm_mat3_apply(W, p->c, c);
    memcpy(p->c, c, sizeof c);
    carm_mat3_mul(p->r, Wt, rw); /* local = R·(lps − c) = R·Wᵀ·(world − W c) */
    memcpy(p->r, rw, sizeof rw);
  }
  for (int o = 0; o < pv->n_owned; o++) {
    double(*p)[3] = (double(*)[3])pv->owned[o];
    for (int i = 0; i < pv->owned_n[o]; i++) {
      double w[3];
      carm_mat3_apply(W, p[i], w);
      memcpy(p[i], w, sizeof w);
    }
  }
}

static void prim_bbox(const carm_twin_private *pv, twin_prim *p) {
  if (p->type == TWIN_PRIM_CAPSULES) {
    for (int k = 0; k < 3; k++) {
      p->lo[k] = INFINITY;
      p->hi[k] = -INFINITY;
    }
    for (int i = 0; i < p->n; i++) {
      for (int k = 0; k < 3; k++) {
        p->lo[k] = fmin(p->lo[k], p->pts[i][k] - p->rad[i]);
        p->hi[k] = fmax(p->hi[k], p->pts[i][k] + p->rad[i]);
      }
    }
    return;
  }
  double ext[3];
  if (p->type == TWIN_PRIM_LIVER) {
    /* generous: the blob's semi-axes plus modulation */
    double m = 1.0;
    for (int i = 0; i < TWIN_LIVER_MODES; i++) {
      m += pv->mode_amp[i];
    }
    for (int k = 0; k < 3; k++) {
      ext[k] = m * pv->liver_a[k] * 1.05;
    }
    /* liver_a is per LPS axis: map the box through |W| */
  } else {
    memcpy(ext, p->a, sizeof ext);
  }
  /* world half-extent of the local box: |rᵀ|·ext (local axes in world) */
  for (int k = 0; k < 3; k++) {
    double h = 0.0;
    for (int j = 0; j < 3; j++) {
      h += fabs(p->r[j][k]) * ext[j];
    }
    p->lo[k] = p->c[k] - h;
    p->hi[k] = p->c[k] + h;
  }
}

/* ---- create / destroy -------------------------------------------------------- */

void carm_twin_destroy(carm_twin *twin) {
  if (twin == NULL) {
    return;
  }
  for (int s = 0; s < twin->n_segments; s++) {
    free(twin->segments[s].points_mm);
    free(twin->segments[s].radius_mm);
  }
  free(twin->segments);
  if (twin->priv != NULL) {
    for (int o = 0; o < twin->priv->n_owned; o++) {
      free(twin->priv->owned[o]);
    }
    free(twin->priv->owned);
    free(twin->priv->owned_n);
    free(twin->priv->prims);
    free(twin->priv);
  }
  free(twin);
}

carm_status carm_twin_set_protocol(carm_twin *twin, const carm_contrast_protocol *p) {
  if (twin == NULL) {
    return carm_error(CARM_ERR_INVALID, "twin: NULL");
  }
  carm_status st = carm_contrast_check(p);
  if (st == CARM_OK) {
    twin->protocol = *p;
  }
  return st;
}

static carm_status check_opts(const carm_twin_opts *o) {
  if (o == NULL || o->version != 1) {
    return carm_error(CARM_ERR_INVALID, "twin options: NULL or version != 1");
  }
  if (o->n_tumours < 0 || o->n_tumours > CARM_TWIN_MAX_TUMOURS) {
    return carm_error(CARM_ERR_INVALID, "twin options: n_tumours %d not in 0..%d", o->n_tumours,
                      CARM_TWIN_MAX_TUMOURS);
  }
  if (!(o->liver_volume_ml == 0.0 ||
        (o->liver_volume_ml >= 500.0 && o->liver_volume_ml <= 3000.0))) {
    return carm_error(CARM_ERR_INVALID, "twin options: liver_volume_ml %g not 0 or 500..3000",
                      o->liver_volume_ml);
  }
  if (o->max_generations < 1 || o->max_generations > 10) {
    return carm_error(CARM_ERR_INVALID, "twin options: max_generations %d not in 1..10",
                      o->max_generations);
  }
  if (!(o->min_radius_mm >= 0.2 && o->min_radius_mm <= 2.0)) {
    return carm_error(CARM_ERR_INVALID, "twin options: min_radius_mm %g not in 0.2..2",
                      o->min_radius_mm);
  }
  if (o->territory_points < 200 || o->territory_points > 200000) {
    return carm_error(CARM_ERR_INVALID, "twin options: territory_points %d not in 200..200000",
                      o->territory_points);
  }
  return CARM_OK;
}

carm_status carm_twin_create(carm_twin **out, const carm_twin_opts *opts) {
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "twin: NULL output");
  }
  carm_status st = check_opts(opts);
  if (st != CARM_OK) {
    return st;
  }
  carm_twin *t = calloc(1, sizeof *t);
  if (t == NULL) {
    return carm_error(CARM_ERR_NOMEM, "twin: out of memory");
  }
  t->priv = calloc(1, sizeof *t->priv);
  if (t->priv == NULL) {
    free(t);
    return carm_error(CARM_ERR_NOMEM, "twin: out of memory");
  }
  t->seed = opts->seed;
  t->catheter_segment = -1;
  carm_contrast_default(&t->protocol);
  /* The anatomy is built in LPS; the map to the output frame is kept
   * general but is the identity (outputs are LPS). */
  double W[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  memcpy(t->priv->world_from_lps, W, sizeof W);
  carm_mat3_transpose(W, t->priv->lps_from_world);

  builder b = {0};
  b.twin = t;
  b.pv = t->priv;
  carm_rng_seed(&b.rng, opts->seed);
  int n_tum = opts->n_tumours ? opts->n_tumours : 1 + (int)(carm_rng_next(&b.rng) % 3);
  setup_layers(t->priv, n_tum);
  double target = opts->liver_volume_ml > 0.0 ? opts->liver_volume_ml : urand(&b, 1500, 1800);
  build_liver(&b, target);
  /* landmarks first (tumour placement keeps away from them) */
  {
    carm_twin_private *pv = t->priv;
    double bx = pv->liver_c[0] + 0.1 * pv->liver_a[0], by = pv->liver_c[1] + 0.1 * pv->liver_a[1];
    double B[3] = {bx, by, liver_bottom(pv, bx, by) + 25.0};
    pull_inside(pv, B, 0.8);
    memcpy(pv->bif_lps, B, sizeof B);
    v_set(pv->ivc_lps, 40.0, 35.0, pv->liver_c[2] + 0.35 * pv->liver_a[2]);
  }
  /* lesions */
  for (int k = 0; k < n_tum; k++) {
    carm_twin_tumour *tu = &t->tumours[t->n_tumours];
    memset(tu, 0, sizeof *tu);
    double d = urand(&b, 12.0, 45.0);
    if (place_lesion(&b, tu, d, t->tumours, t->n_tumours) != 0) {
      carm_twin_destroy(t);
      return carm_error(CARM_ERR_INTERNAL, "twin: could not place tumour %d in the liver", k);
    }
    tu->label = CARM_TWIN_LABEL_TUMOUR + k;
    tu->hypervascular = 1;
    t->n_tumours++;
  }
  if (opts->hypovascular) {
    carm_twin_tumour all[CARM_TWIN_MAX_TUMOURS];
    memcpy(all, t->tumours, sizeof all);
    memset(&t->hypo, 0, sizeof t->hypo);
    if (place_lesion(&b, &t->hypo, urand(&b, 10.0, 25.0), all, t->n_tumours) == 0) {
      t->has_hypo = 1;
      t->hypo.label = CARM_TWIN_LABEL_HYPO;
    }
  }
  if (sample_territory(&b, opts->territory_points) != 0) {
    free(b.pts);
    free(b.idx);
    carm_twin_destroy(t);
    return carm_error(CARM_ERR_INTERNAL, "twin: could not sample the liver");
  }
  double cel[3], G[3];
  build_arteries(&b, opts, cel, G);
  build_portal(&b);
  build_veins(&b);
  if (!b.failed) {
    route_feeders(&b);
  }
  /* the aorta */
  {
    double(*ap)[3] = malloc(2 * sizeof *ap);
    double *ar = malloc(2 * sizeof *ar);
    if (ap == NULL || ar == NULL) {
      free(ap);
      free(ar);
      b.failed = 1;
    } else {
      v_set(ap[0], 75.0, 38.0, -400.0);
      v_set(ap[1], 75.0, 38.0, 400.0);
      ar[0] = ar[1] = 11.0;
      add_segment_pts(&b, -1, CARM_TWIN_VESSEL_AORTA, 0, 2, ap, ar);
    }
  }
  if (opts->catheter && !b.failed) {
    build_catheter(&b, cel, 0);
  }
  free(b.pts);
  free(b.idx);
  b.pts = NULL;
  b.idx = NULL;
  (void)G;
  /* non-vessel primitives, in LPS */
  build_body(&b);
  for (int k = 0; k < t->n_tumours; k++) {
    double r = 0.5 * t->tumours[k].diameter_mm;
    double a[3] = {r, r, r};
    add_ellipsoid(&b, t->tumours[k].label, t->tumours[k].centre_mm, a);
  }
  if (t->has_hypo) {
    double r = 0.5 * t->hypo.diameter_mm;
    double a[3] = {r, r, r};
    add_ellipsoid(&b, CARM_TWIN_LABEL_HYPO, t->hypo.centre_mm, a);
  }
  twin_prim *lp = new_prim(&b, TWIN_PRIM_LIVER, find_layer(t->priv, CARM_TWIN_LABEL_LIVER));
  if (lp != NULL) {
    memcpy(lp->c, t->priv->liver_c, sizeof lp->c);
  }
  if (b.failed) {
    carm_twin_destroy(t);
    return carm_error(CARM_ERR_NOMEM, "twin: out of memory");
  }
  finish_world(&b);
  if (b.failed) {
    carm_twin_destroy(t);
    return carm_error(CARM_ERR_NOMEM, "twin: out of memory");
  }
  for (int i = 0; i < t->priv->n_prims; i++) {
    prim_bbox(t->priv, &t->priv->prims[i]);
  }
  /* truth in world + Couinaud */
  t->liver_volume_ml = measure_liver_ml(t->priv, 1.0);
  twin_to_world(t, t->priv->bif_lps, t->portal_bifurcation_mm);
  twin_to_world(t, t->priv->ivc_lps, t->ivc_axis_mm);
  for (int v = 0; v < 3; v++) {
    double a = t->priv->hv_angle_deg[v] * M_PI / 180.0;
    double d[3] = {-cos(a), -sin(a), 0.0};
    twin_to_world(t, d, t->hv_direction[v]);
  }
  for (int k = 0; k < t->n_tumours; k++) {
    carm_twin_tumour *tu = &t->tumours[k];
    double lps[3];
    memcpy(lps, tu->centre_mm, sizeof lps);
    twin_to_world(t, lps, tu->centre_mm);
    twin_couinaud_lps(t->priv, lps, tu->couinaud);
  }
  if (t->has_hypo) {
    double lps[3];
    memcpy(lps, t->hypo.centre_mm, sizeof lps);
    twin_to_world(t, lps, t->hypo.centre_mm);
    twin_couinaud_lps(t->priv, lps, t->hypo.couinaud);
  }
  *out = t;
  return CARM_OK;
}
