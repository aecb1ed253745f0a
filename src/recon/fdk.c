/* FDK cone-beam reconstruction: plan (weights, ramp filter spectrum, FFTW
 * plans, buffers) and execute (filter a batch of views, backproject it).
 *
 * Formula (Feldkamp, Davis, Kress 1984, flat detector, per view k):
 *   f(x) = Σ_k ω_k · SID·SDD / U_k(x)² · q_k(u_k(x), v_k(x))
 *   q_k   = du · h ⊛ (c · w_k · p_k)   row by row
 * with c the cosine weight SDD/√(SDD² + (u−u0)² + (v−v0)²), w_k the Parker
 * or Wang weight of each column, h the discretised ramp (Kak & Slaney,
 * "Principles of computerized tomographic imaging", eq. 61: h(0) = 1/(4τ²),
 * h(n odd) = −1/(n²π²τ²), 0 otherwise) times the apodisation window, U the
 * distance from the source along the central ray, and ω_k the view's own
 * angular interval (half the gap to its neighbours) times 1/2 on full scans
 * (each ray is measured twice) or times 1 with Parker weights (which sum to 1
 * over a ray and its conjugate). The backprojector works from the 3×4
 * matrices, so tilted and calibrated poses are handled exactly. */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include "recon/fdk_internal.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *const window_names[] = {"ram-lak", "shepp-logan", "cosine", "hamming", "hann"};

carm_status carm_filter_window_parse(const char *name, carm_filter_window *out) {
  if (name == NULL) {
    return carm_error(CARM_ERR_INVALID, "no filter name");
  }
  for (int i = 0; i < 5; i++) {
    if (strcmp(name, window_names[i]) == 0) {
      *out = (carm_filter_window)i;
      return CARM_OK;
    }
  }
  if (strcmp(name, "ramlak") == 0 || strcmp(name, "ramp") == 0) {
    *out = CARM_FILTER_RAM_LAK;
    return CARM_OK;
  }
  return carm_error(CARM_ERR_INVALID,
                    "unknown filter '%s' (ram-lak, shepp-logan, cosine, hamming, hann)", name);
}

const char *carm_filter_window_name(carm_filter_window window) {
  int i = (int)window;
  return i >= 0 && i < 5 ? window_names[i] : "unknown";
}

/* Smallest n >= min of the form 2^a 3^b 5^c, even. */
static int64_t fft_size(int64_t min) {
  for (int64_t n = min < 2 ? 2 : min;; n++) {
    int64_t m = n;
    if (m % 2 != 0) {
      continue;
    }
    while (m % 2 == 0) {
      m /= 2;
    }
    while (m % 3 == 0) {
      m /= 3;
    }
    while (m % 5 == 0) {
      m /= 5;
    }
    if (m == 1) {
      return n;
    }
  }
}

static double window_gain(carm_filter_window w, double r) {
  if (r > 1.0) {
    return 0.0;
  }
  switch (w) {
  case CARM_FILTER_RAM_LAK: return 1.0;
  case CARM_FILTER_SHEPP_LOGAN: {
    double x = 0.5 * M_PI * r;
    return x < 1e-12 ? 1.0 : sin(x) / x;
  }
  case CARM_FILTER_COSINE: return cos(0.5 * M_PI * r);
  case CARM_FILTER_HAMMING: return 0.54 + 0.46 * cos(M_PI * r);
  case CARM_FILTER_HANN: return 0.5 + 0.5 * cos(M_PI * r);
  }
  return 1.0;
}

/* Real spectrum of the spatial ramp kernel on a circle of n samples, times
 * the window, times τ/n (the convolution's dx and FFTW's unnormalised
 * inverse). The kernel is even, so its DFT is the cosine sum. */
static carm_status make_kernel(fdk_plan_data *p, double tau) {
  int64_t n = p->n_fft;
  int64_t nk = n / 2 + 1;
  double *h = calloc((size_t)n, sizeof *h);
  double *ct = malloc((size_t)n * sizeof *ct);
  p->kernel = fftwf_malloc((size_t)nk * sizeof *p->kernel);
  if (h == NULL || ct == NULL || p->kernel == NULL) {
    free(h);
    free(ct);
    return carm_error(CARM_ERR_NOMEM, "no memory for the ramp kernel");
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t m = i <= n / 2 ? i : i - n;
    if (m == 0) {
      h[i] = 1.0 / (4.0 * tau * tau);
    } else if (m % 2 != 0) {
      h[i] = -1.0 / (M_PI * M_PI * (double)m * (double)m * tau * tau);
    }
    ct[i] = cos(2.0 * M_PI * (double)i / (double)n);
  }
  for (int64_t k = 0; k < nk; k++) {
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
      s += h[i] * ct[(k * i) % n];
    }
    double r = ((double)k / (double)n) / (0.5 * p->opts.cutoff);
    p->kernel[k] = (float)(s * window_gain(p->opts.window, r) * tau / (double)n);
  }
  free(h);
  free(ct);
  return CARM_OK;
}

static int cmp_idx_angle(const void *a, const void *b) {
  const double *x = a;
  const double *y = b;
  return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Angular weights ω_k, Parker/Wang column weights, short-scan decision. */
static carm_status make_weights(fdk_plan_data *p, const carm_geometry *geo) {
  int64_t n = geo->n_views;
  int64_t nu = p->nu;
  if (n < 2) {
    return carm_error(CARM_ERR_GEOMETRY, "FDK needs at least two views");
  }
  /* sorted (angle, index) pairs */
  double *s = malloc((size_t)n * 2 * sizeof *s);
  p->omega = malloc((size_t)n * sizeof *p->omega);
  if (s == NULL || p->omega == NULL) {
    free(s);
    return carm_error(CARM_ERR_NOMEM, "no memory for the view weights");
  }
  for (int64_t k = 0; k < n; k++) {
    s[2 * k] = carm_angle_wrap(geo->views[k].gantry_angle_rad);
    s[2 * k + 1] = (double)k;
  }
  qsort(s, (size_t)n, 2 * sizeof *s, cmp_idx_angle);
  /* largest gap, and where the arc starts (after it) */
  int64_t gap_at = n - 1; /* gap between sorted[gap_at] and sorted[gap_at+1] */
  double largest = -1.0;
  for (int64_t i = 0; i < n; i++) {
    double g = i + 1 < n ? s[2 * (i + 1)] - s[2 * i] : s[0] + 2.0 * M_PI - s[2 * (n - 1)];
    if (g > largest) {
      largest = g;
      gap_at = i;
    }
  }
  double coverage = carm_geometry_angular_coverage(geo);
  double step = n > 1 ? coverage / (double)n : 2.0 * M_PI;
  /* geometry.h's rule: a full scan covers at least 2π − 1.5 steps; with the
   * coverage's own definition this is: largest gap <= 2.5 typical steps. */
  int full = n > 1 && coverage >= 2.0 * M_PI - 1.5 * step;
  double start = s[2 * ((gap_at + 1) % n)];
  /* β of each view from the start of the arc, in sorted order */
  double *beta = malloc((size_t)n * sizeof *beta);
  if (beta == NULL) {
    free(s);
    return carm_error(CARM_ERR_NOMEM, "no memory for the view weights");
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t src = (gap_at + 1 + i) % n;
    double b = s[2 * src] - start;
    beta[i] = b < 0.0 ? b + 2.0 * M_PI : b;
  }
  double arc = beta[n - 1];
  /* fan half-angle: the largest |γ| over the detector, over the views */
  double fan_half = 0.0;
  for (int64_t k = 0; k < n; k++) {
    const carm_view *v = &geo->views[k];
    double u0 = v->source_offset_x_mm - v->proj_offset_x_mm;
    double ua = p->u_origin_mm - 0.5 * p->du - u0;
    double ub = p->u_origin_mm + ((double)nu - 0.5) * p->du - u0;
    double g = fmax(fabs(atan(ua / v->sdd_mm)), fabs(atan(ub / v->sdd_mm)));
    fan_half = fmax(fan_half, g);
  }
  p->info.coverage_rad = coverage;
  p->info.arc_rad = full ? 2.0 * M_PI : arc;
  p->info.fan_angle_rad = 2.0 * fan_half;

  int parker = 0;
  if (p->opts.short_scan == CARM_ON) {
    parker = 1;
  } else if (p->opts.short_scan == CARM_AUTO) {
    parker = !full;
  }
  if (parker && arc < M_PI + 2.0 * fan_half) {
    free(s);
    free(beta);
    return carm_error(CARM_ERR_GEOMETRY,
                      "the views cover an arc of %.2f degrees, shorter than the 180 degrees "
                      "plus the fan angle (%.2f degrees) a short-scan reconstruction needs",
                      arc * 180.0 / M_PI, 2.0 * fan_half * 180.0 / M_PI);
  }
  /* each view's own angular interval */
  for (int64_t i = 0; i < n; i++) {
    int64_t k = (int64_t)s[2 * ((gap_at + 1 + i) % n) + 1];
    double d;
    if (full) {
      double prev = i > 0 ? beta[i - 1] : beta[n - 1] - 2.0 * M_PI;
      double next = i + 1 < n ? beta[i + 1] : beta[0] + 2.0 * M_PI;
      d = 0.5 * (next - prev);
    } else {
      double prev = i > 0 ? beta[i - 1] : beta[i];
      double next = i + 1 < n ? beta[i + 1] : beta[i];
      d = 0.5 * (next - prev);
    }
    p->omega[k] = d * (parker ? 1.0 : 0.5);
  }

  /* Wang weights (displaced detector), full scans only */
  int wang = 0;
  double wang_o = 0.0;
  int wang_sign = 1;
  {
    const carm_view *v = &geo->views[0];
    double u0 = v->source_offset_x_mm - v->proj_offset_x_mm;
    double left = u0 - (p->u_origin_mm - 0.5 * p->du);
    double right = p->u_origin_mm + ((double)nu - 0.5) * p->du - u0;
    double lo = fmin(left, right);
    double hi = fmax(left, right);
    if (p->opts.displaced == CARM_ON) {
      wang = 1;
    } else if (p->opts.displaced == CARM_AUTO) {
      wang = full && lo < 0.5 * hi;
    }
    if (wang && !full) {
      free(s);
      free(beta);
      return carm_error(CARM_ERR_UNSUPPORTED, "displaced-detector (Wang) weights need a full scan");
    }
    if (wang && lo <= p->du) {
      free(s);
      free(beta);
      return carm_error(CARM_ERR_GEOMETRY,
                        "the detector does not reach across the central ray: no overlap for "
                        "displaced-detector weights");
    }
    wang_o = lo;
    wang_sign = right >= left ? 1 : -1;
    if (wang) {
      /* the conjugate side's filtered values are needed past the short side
       * (the ramp's tails): the backprojector sees a symmetric detector */
      int64_t extra = (int64_t)ceil((hi - lo) / p->du);
      p->nu_bp = nu + extra;
      p->bp_left = wang_sign > 0 ? extra : 0;
    }
  }
  p->info.short_scan = parker;
  p->info.displaced = wang;

  if (parker || wang) {
    p->colw = malloc((size_t)(n * nu) * sizeof *p->colw);
    if (p->colw == NULL) {
      free(s);
      free(beta);
      return carm_error(CARM_ERR_NOMEM, "no memory for the column weights");
    }
    double delta = 0.5 * (arc - M_PI);
    for (int64_t i = 0; i < n; i++) {
      int64_t k = (int64_t)s[2 * ((gap_at + 1 + i) % n) + 1];
      const carm_view *v = &geo->views[k];
      double u0 = v->source_offset_x_mm - v->proj_offset_x_mm;
      double b = beta[i];
      for (int64_t c = 0; c < nu; c++) {
        double t = p->u_origin_mm + (double)c * p->du - u0;
        double w = 1.0;
        if (parker) {
          /* conjugate of (β, γ) is (β + π − 2γ, −γ) in this frame */
          double g = atan(t / v->sdd_mm);
          if (b < 2.0 * delta + 2.0 * g) {
            double x = sin(0.25 * M_PI * b / (delta + g));
            w = x * x;
          } else if (b > M_PI + 2.0 * g) {
            double x = sin(0.25 * M_PI * (M_PI + 2.0 * delta - b) / (delta - g));
            w = x * x;
          }
          if (b < 0.0 || b > M_PI + 2.0 * delta) {
            w = 0.0;
          }
        }
        if (wang) {
          double tt = wang_sign * t;
          if (tt <= -wang_o) {
            w *= 0.0;
          } else if (tt >= wang_o) {
            w *= 2.0;
          } else {
            double x = sin(0.25 * M_PI * (tt + wang_o) / wang_o);
            w *= 2.0 * x * x;
          }
        }
        p->colw[k * nu + c] = (float)w;
      }
    }
  }
  free(s);
  free(beta);
  return CARM_OK;
}

/* Backprojection matrices: voxel index (i, j, k, 1) → (U·w, V·w, w) with U,
 * V buffer coordinates (pixel index + 1 for the zero border) and w = −(the
 * distance from the source along the central ray) in mm. */
static carm_status make_matrices(fdk_plan_data *p, const carm_geometry *geo,
                                 const carm_volume *vg) {
  int64_t n = geo->n_views;
  p->pm = malloc((size_t)n * 12 * sizeof *p->pm);
  p->vw = malloc((size_t)n * sizeof *p->vw);
  if (p->pm == NULL || p->vw == NULL) {
    return carm_error(CARM_ERR_NOMEM, "no memory for the view matrices");
  }
  /* index → world, as a 4x4: the volume grid is in patient coordinates,
   * the views in the geometry's world frame (carm_geometry_world_grid) */
  double origin_w[3];
  double direction_w[3][3];
  carm_geometry_world_grid(geo, vg, origin_w, direction_w);
  double m[4][4] = {{0}};
  for (int r = 0; r < 3; r++) {
    for (int c = 0; c < 3; c++) {
      m[r][c] = direction_w[r][c] * vg->spacing[c];
    }
    m[r][3] = origin_w[r];
  }
  m[3][3] = 1.0;
  for (int64_t k = 0; k < n; k++) {
    const carm_view *v = &geo->views[k];
    double q[3][4];
    memcpy(q, v->matrix, sizeof q);
    double nrm = sqrt(q[2][0] * q[2][0] + q[2][1] * q[2][1] + q[2][2] * q[2][2]);
    if (!(nrm > 0.0) || !isfinite(nrm)) {
      return carm_error(CARM_ERR_GEOMETRY, "view %lld: degenerate projection matrix", (long long)k);
    }
    double sgn = q[2][3] < 0.0 ? 1.0 : -1.0;
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 4; c++) {
        q[r][c] *= sgn / nrm;
      }
    }
    /* detector mm → buffer pixel coordinates */
    double a[3][4];
    for (int c = 0; c < 4; c++) {
      double u_first = p->u_origin_mm - (double)p->bp_left * p->du;
      a[0][c] = (q[0][c] - u_first * q[2][c]) / p->du + q[2][c];
      a[1][c] = (q[1][c] - p->v_origin_mm * q[2][c]) / p->dv + q[2][c];
      a[2][c] = q[2][c];
    }
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 4; c++) {
        double s = 0.0;
        for (int t = 0; t < 4; t++) {
          s += a[r][t] * m[t][c];
        }
        p->pm[k * 12 + r * 4 + c] = s;
      }
    }
    p->vw[k] = p->omega[k] * v->sid_mm * v->sdd_mm;
  }
  return CARM_OK;
}

static carm_status check_opts(const carm_fdk_opts *o) {
  if (o->version != 1) {
    return carm_error(CARM_ERR_INVALID, "FDK options of unknown version %d", o->version);
  }
  if ((int)o->window < 0 || (int)o->window > 4) {
    return carm_error(CARM_ERR_INVALID, "unknown filter window %d", (int)o->window);
  }
  if (!(o->cutoff > 0.0 && o->cutoff <= 1.0)) {
    return carm_error(CARM_ERR_RANGE, "filter cut-off %g outside (0, 1]", o->cutoff);
  }
  if ((int)o->short_scan < 0 || (int)o->short_scan > 2 || (int)o->displaced < 0 ||
      (int)o->displaced > 2) {
    return carm_error(CARM_ERR_INVALID, "short-scan and displaced switches must be AUTO/ON/OFF");
  }
  if (!(o->extrapolate >= 0.0 && o->extrapolate <= 2.0)) {
    return carm_error(CARM_ERR_RANGE, "extrapolation width %g outside [0, 2]", o->extrapolate);
  }
  if (!(o->i0 >= 0.0) || !isfinite(o->i0)) {
    return carm_error(CARM_ERR_RANGE, "I0 %g must be finite and >= 0", o->i0);
  }
  if (o->hu && !(o->water_mu_per_mm > 0.0 && isfinite(o->water_mu_per_mm))) {
    return carm_error(CARM_ERR_RANGE, "water attenuation %g must be > 0", o->water_mu_per_mm);
  }
  if (o->threads < 0 || o->threads > 1024 || o->batch_views < 0 || o->batch_views > 4096) {
    return carm_error(CARM_ERR_RANGE, "threads (0..1024) or batch size (0..4096) out of range");
  }
  return CARM_OK;
}

carm_status carm_fdk_plan_create(carm_fdk_plan **out, const carm_geometry *geo,
                                 const carm_volume *proj_grid, const carm_volume *vol_grid,
                                 const carm_fdk_opts *opts) {
  if (out == NULL || geo == NULL || proj_grid == NULL || vol_grid == NULL) {
    return carm_error(CARM_ERR_INVALID, "NULL argument to carm_fdk_plan_create");
  }
  carm_fdk_opts o = CARM_FDK_INIT;
  if (opts != NULL) {
    o = *opts;
  }
  carm_status st = check_opts(&o);
  if (st != CARM_OK) {
    return st;
  }
  st = carm_volume_check_grid(vol_grid);
  if (st != CARM_OK) {
    return st;
  }
  st = carm_volume_check_grid(proj_grid);
  if (st != CARM_OK) {
    return st;
  }
  if (geo->n_views < 1 || geo->views == NULL) {
    return carm_error(CARM_ERR_GEOMETRY, "the geometry has no views");
  }
  if (proj_grid->dims[2] != geo->n_views) {
    return carm_error(CARM_ERR_INVALID, "the projection stack has %lld views, the geometry %lld",
                      (long long)proj_grid->dims[2], (long long)geo->n_views);
  }
  for (int64_t k = 0; k < geo->n_views; k++) {
    const carm_view *v = &geo->views[k];
    if (!(v->sdd_mm > 0.0) || !(v->sid_mm > 0.0) || !isfinite(v->sdd_mm) || !isfinite(v->sid_mm)) {
      return carm_error(CARM_ERR_UNSUPPORTED,
                        "view %lld: FDK needs a cone beam with SID > 0 and SDD > 0", (long long)k);
    }
  }
  /* the backprojector computes texel indices in float: keep them exact */
  if ((proj_grid->dims[0] + 2) * (proj_grid->dims[1] + 1) >= ((int64_t)1 << 24)) {
    return carm_error(CARM_ERR_RANGE, "detector of %lldx%lld pixels is too large (at most 2^24)",
                      (long long)proj_grid->dims[0], (long long)proj_grid->dims[1]);
  }

  fdk_plan_data *p = calloc(1, sizeof *p);
  if (p == NULL) {
    return carm_error(CARM_ERR_NOMEM, "no memory for the FDK plan");
  }
  p->opts = o;
  p->nu = proj_grid->dims[0];
  p->nv = proj_grid->dims[1];
  p->n_views = geo->n_views;
  p->du = proj_grid->spacing[0];
  p->dv = proj_grid->spacing[1];
  p->u_origin_mm = proj_grid->origin[0];
  p->nu_bp = p->nu;
  p->bp_left = 0;
  p->v_origin_mm = proj_grid->origin[1];
  carm_volume_copy_grid(&p->grid, vol_grid);
  p->grid.data = NULL;
  carm_volume_copy_grid(&p->proj_grid, proj_grid);
  p->proj_grid.data = NULL;
  p->threads = o.threads > 0 ? o.threads : omp_get_max_threads();
  p->batch = o.batch_views > 0 ? o.batch_views : 8;
  if (p->batch > p->n_views) {
    p->batch = p->n_views;
  }
  p->view_geo = malloc((size_t)p->n_views * 4 * sizeof *p->view_geo);
  if (p->view_geo == NULL) {
    carm_fdk_plan_destroy(p);
    return carm_error(CARM_ERR_NOMEM, "no memory for the FDK plan");
  }
  for (int64_t k = 0; k < p->n_views; k++) {
    const carm_view *v = &geo->views[k];
    p->view_geo[4 * k] = v->sdd_mm;
    p->view_geo[4 * k + 1] = v->source_offset_x_mm - v->proj_offset_x_mm;
    p->view_geo[4 * k + 2] = v->source_offset_y_mm - v->proj_offset_y_mm;
    p->view_geo[4 * k + 3] = v->sid_mm;
  }

  st = make_weights(p, geo);
  if (st == CARM_OK) {
    st = make_matrices(p, geo, vol_grid);
  }
  if (st != CARM_OK) {
    carm_fdk_plan_destroy(p);
    return st;
  }
  /* filter: extension and padding */
  p->n_ext = (int64_t)ceil(o.extrapolate * (double)p->nu);
  int64_t span = p->nu_bp + 2 * p->n_ext;
  /* no wrap-around: the kernel spans [−N/2, N/2), and an output column is
   * at most nu_bp + n_ext columns from any input (data or extension) */
  p->n_fft = fft_size(o.zero_pad ? 2 * (p->nu_bp + p->n_ext) + 2 : span);
  p->uu2 = malloc((size_t)(p->n_views * p->nu) * sizeof *p->uu2);
  if (p->uu2 == NULL) {
    carm_fdk_plan_destroy(p);
    return carm_error(CARM_ERR_NOMEM, "no memory for the filter tables");
  }
  for (int64_t k = 0; k < p->n_views; k++) {
    for (int64_t c = 0; c < p->nu; c++) {
      double uu = p->u_origin_mm + (double)c * p->du - p->view_geo[4 * k + 1];
      p->uu2[k * p->nu + c] = (float)(uu * uu);
    }
  }
  st = make_kernel(p, p->du);
  if (st != CARM_OK) {
    carm_fdk_plan_destroy(p);
    return st;
  }
  /* per-thread strides rounded to 64 bytes, so every thread's arrays have
   * the alignment of the planning arrays */
  p->in_stride = (p->n_fft + 15) / 16 * 16;
  p->out_stride = (p->n_fft / 2 + 1 + 7) / 8 * 8;
  p->fft_in = fftwf_malloc((size_t)(p->threads * p->in_stride) * sizeof(float));
  p->fft_out = fftwf_malloc((size_t)(p->threads * p->out_stride) * sizeof(fftwf_complex));
  /* batch buffer: per view, (nv + 1) rows of (nu + 2) pairs (rows r, r+1) */
  p->row_pairs = p->nu_bp + 2;
  p->view_pairs = (p->nv + 1) * p->row_pairs;
  size_t bbytes = (size_t)(p->batch * p->view_pairs) * 2 * sizeof(float);
  /* 2 MiB aligned and, where the kernel allows, on huge pages: the
   * backprojector's gathers touch many rows of many views */
  void *bb = NULL;
  if (posix_memalign(&bb, (size_t)2 << 20, bbytes) != 0) {
    bb = NULL;
  }
  p->bbuf = bb;
#ifdef MADV_HUGEPAGE
  if (bb != NULL) {
    (void)madvise(bb, bbytes, MADV_HUGEPAGE);
  }
#endif
  if (p->fft_in == NULL || p->fft_out == NULL || p->bbuf == NULL) {
    carm_fdk_plan_destroy(p);
    return carm_error(CARM_ERR_NOMEM, "no memory for the FDK buffers (%zu bytes)", bbytes);
  }
  memset(p->bbuf, 0, bbytes);
  p->fwd = fftwf_plan_dft_r2c_1d((int)p->n_fft, p->fft_in, p->fft_out, FFTW_ESTIMATE);
  p->inv = fftwf_plan_dft_c2r_1d((int)p->n_fft, p->fft_out, p->fft_in, FFTW_ESTIMATE);
  if (p->fwd == NULL || p->inv == NULL) {
    carm_fdk_plan_destroy(p);
    return carm_error(CARM_ERR_INTERNAL, "FFTW could not plan a transform of %lld points",
                      (long long)p->n_fft);
  }
  p->info.fft_length = p->n_fft;
  p->info.batch_views = p->batch;
  p->info.buffer_bytes = bbytes;
  *out = (carm_fdk_plan *)p;
  return CARM_OK;
}

void carm_fdk_plan_destroy(carm_fdk_plan *plan) {
  fdk_plan_data *p = (fdk_plan_data *)plan;
  if (p == NULL) {
    return;
  }
  if (p->fwd != NULL) {
    fftwf_destroy_plan(p->fwd);
  }
  if (p->inv != NULL) {
    fftwf_destroy_plan(p->inv);
  }
  fftwf_free(p->kernel);
  fftwf_free(p->fft_in);
  fftwf_free(p->fft_out);
  free(p->bbuf);
  free(p->omega);
  free(p->colw);
  free(p->pm);
  free(p->vw);
  free(p->view_geo);
  free(p->uu2);
  free(p);
}

void carm_fdk_plan_info(const carm_fdk_plan *plan, carm_fdk_info *info) {
  const fdk_plan_data *p = (const fdk_plan_data *)plan;
  *info = p->info;
}

void carm_fdk_plan_timing(const carm_fdk_plan *plan, double *filter_s, double *backproject_s) {
  const fdk_plan_data *p = (const fdk_plan_data *)plan;
  if (filter_s != NULL) {
    *filter_s = p->t_filter;
  }
  if (backproject_s != NULL) {
    *backproject_s = p->t_bp;
  }
}

void carm_fdk_plan_cpu_timing(const carm_fdk_plan *plan, double *filter_cpu_s,
                              double *backproject_cpu_s) {
  if (filter_cpu_s != NULL) {
    *filter_cpu_s = plan->c_filter;
  }
  if (backproject_cpu_s != NULL) {
    *backproject_cpu_s = plan->c_bp;
  }
}

/* Edge value and outward slope (per column) of a detector row: least-squares
 * line through the EDGE_FIT_COLUMNS columns next to the edge at `edge`, going
 * inward with `step` (+1 from the left edge, −1 from the right one). */
enum { EDGE_FIT_COLUMNS = 16 };
static void edge_fit(const float *edge, int64_t nu, int step, float out[2]) {
  int64_t m = nu / 4 < EDGE_FIT_COLUMNS ? nu / 4 : EDGE_FIT_COLUMNS;
  if (m < 2) {
    out[0] = edge[0];
    out[1] = 0.0f;
    return;
  }
  /* t = −j: position of column j inward, outward positive */
  double st = 0.0, sy = 0.0, stt = 0.0, sty = 0.0;
  for (int64_t j = 0; j < m; j++) {
    double t = -(double)j;
    double y = edge[j * step];
    st += t;
    sy += y;
    stt += t * t;
    sty += t * y;
  }
  double dm = (double)m;
  double den = dm * stt - st * st;
  double b = (dm * sty - st * sy) / den;
  double a = (sy - b * st) / dm;
  out[0] = (float)a;
  out[1] = (float)b;
}

/* Fill `ext` columns outward from an edge (dst, dst + dir, ...) with the
 * profile k·sqrt(R² − (d + n)²) of the water cylinder whose value and slope
 * at the edge (n = 0) match fit = {value, outward slope} (Hsieh et al., Med.
 * Phys. 31(9), 2004): d = −value·slope/k², R² = (value/k)² + d². The fixed
 * width edge taper it replaces put a truncation bias of +25 HU in the twin's
 * liver, and its sign and size depended on the taper width. `w` is the
 * edge column's weight (cosine × Parker/Wang). Beyond `ext` columns the
 * cylinder is cut; a non-positive edge value gives no extension. */
static void cylinder_tail(const float fit[2], double k, float w, int64_t ext, float *dst, int dir) {
  double pe = fit[0];
  if (!(pe > 0.0) || !(k > 0.0)) {
    return;
  }
  double s = fit[1];
  double d = -s * pe / (k * k);
  double r2 = (pe / k) * (pe / k) + d * d;
  for (int64_t n = 1; n <= ext; n++) {
    double x = d + (double)n;
    double q = r2 - x * x;
    if (q <= 0.0 && x > 0.0) {
      break;
    }
    dst[(n - 1) * dir] = q > 0.0 ? (float)(w * k * sqrt(q)) : 0.0f;
  }
}

/* Filter row `row` of view `view` (global index) into batch slot `slot`. */
static void filter_row(fdk_plan_data *p, const float *src, int64_t view, int64_t slot, int64_t row,
                       float *in, fftwf_complex *spec) {
  const int64_t nu = p->nu;
  const int64_t ext = p->n_ext;
  const double sdd = p->view_geo[4 * view];
  const double v0 = p->view_geo[4 * view + 2];
  const double vv = p->v_origin_mm + (double)row * p->dv - v0;
  const float *cw = p->colw != NULL ? p->colw + view * nu : NULL;
  const double i0 = p->opts.i0;
  /* cosine weight SDD / sqrt(SDD² + u² + v²) (float, vectorised) */
  const float s2 = (float)(sdd * sdd + vv * vv);
  const float fsdd = (float)sdd;
  const float *uu2 = p->uu2 + view * nu;
  const int64_t e = p->n_ext + p->bp_left; /* first detector column in `in` */
  memset(in, 0, (size_t)p->n_fft * sizeof *in);
  float *x = in + e;
  if (i0 > 0.0) {
    for (int64_t c = 0; c < nu; c++) {
      x[c] = (float)log(i0 / fmax((double)src[c], 1e-30 * i0));
    }
  } else {
    for (int64_t c = 0; c < nu; c++) {
      x[c] = src[c];
    }
  }
  /* water-cylinder fit at both edges, on the unweighted line integrals */
  float ext_left[2] = {0.0f, 0.0f};
  float ext_right[2] = {0.0f, 0.0f};
  if (ext > 0) {
    edge_fit(x, nu, 1, ext_left);
    edge_fit(x + nu - 1, nu, -1, ext_right);
  }
  const float w_left = (cw != NULL ? cw[0] : 1.0f) * fsdd / sqrtf(s2 + uu2[0]);
  const float w_right = (cw != NULL ? cw[nu - 1] : 1.0f) * fsdd / sqrtf(s2 + uu2[nu - 1]);
  if (cw != NULL) {
    for (int64_t c = 0; c < nu; c++) {
      x[c] *= cw[c] * fsdd / sqrtf(s2 + uu2[c]);
    }
  } else {
    for (int64_t c = 0; c < nu; c++) {
      x[c] *= fsdd / sqrtf(s2 + uu2[c]);
    }
  }
  /* lateral extrapolation: the water cylinder that continues each edge's
   * value and slope (k = 2 mu_water x the pixel width at the isocentre) */
  if (ext > 0) {
    const double mu =
        p->opts.water_mu_per_mm > 0.0 ? p->opts.water_mu_per_mm : CARM_MU_WATER_PER_MM;
    const double k = 2.0 * mu * p->du * p->view_geo[4 * view + 3] / sdd;
    cylinder_tail(ext_left, k, w_left, ext, in + e - 1, -1);
    cylinder_tail(ext_right, k, w_right, ext, in + e + nu, 1);
  }
  fftwf_execute_dft_r2c(p->fwd, in, spec);
  int64_t nk = p->n_fft / 2 + 1;
  for (int64_t k = 0; k < nk; k++) {
    spec[k][0] *= p->kernel[k];
    spec[k][1] *= p->kernel[k];
  }
  fftwf_execute_dft_c2r(p->inv, spec, in);
  /* buffer row r = row + 1 (zero border); pair row r holds (r, r+1) */
  float *base = p->bbuf + 2 * slot * p->view_pairs;
  int64_t r = row + 1;
  float *lower = base + 2 * ((r - 1) * p->row_pairs + 1) + 1; /* second of pair row r-1 */
  float *upper = base + 2 * (r * p->row_pairs + 1);           /* first of pair row r */
  const float *out = in + ext;                                /* backprojector column 0 */
  for (int64_t c = 0; c < p->nu_bp; c++) {
    float q = out[c];
    lower[2 * c] = q;
    upper[2 * c] = q;
  }
}

carm_status carm_fdk_execute(carm_fdk_plan *plan, const carm_volume *proj, carm_volume *vol) {
  fdk_plan_data *p = (fdk_plan_data *)plan;
  if (p == NULL || proj == NULL || vol == NULL || proj->data == NULL || vol->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "NULL argument to carm_fdk_execute");
  }
  if (!carm_volume_same_grid(proj, &p->proj_grid, 1e-6)) {
    return carm_error(CARM_ERR_INVALID, "the projections' grid differs from the planned one");
  }
  if (!carm_volume_same_grid(vol, &p->grid, 1e-6)) {
    return carm_error(CARM_ERR_INVALID, "the volume's grid differs from the planned one");
  }
  const int64_t nvox = carm_volume_count(vol);
  memset(vol->data, 0, (size_t)nvox * sizeof(float));
  p->t_filter = 0.0;
  p->t_bp = 0.0;
  p->c_filter = 0.0;
  p->c_bp = 0.0;
  const int64_t nu = p->nu;
  const int64_t nv = p->nv;
  carm_status st = CARM_OK;
  if (carm_progress_report(&p->opts.progress, 0.0, "fdk")) {
    return carm_error(CARM_ERR_CANCELLED, "FDK cancelled");
  }
  for (int64_t first = 0; first < p->n_views; first += p->batch) {
    int64_t nb = p->n_views - first < p->batch ? p->n_views - first : p->batch;
    double t0 = now_s();
    double c0 = cpu_s();
    int64_t jobs = nb * nv;
#pragma omp parallel num_threads(p->threads)
    {
      int t = omp_get_thread_num();
      float *in = p->fft_in + (int64_t)t * p->in_stride;
      fftwf_complex *spec = p->fft_out + (int64_t)t * p->out_stride;
#pragma omp for schedule(static)
      for (int64_t jb = 0; jb < jobs; jb++) {
        int64_t slot = jb / nv;
        int64_t row = jb % nv;
        int64_t view = first + slot;
        const float *src = proj->data + (view * nv + row) * nu;
        filter_row(p, src, view, slot, row, in, spec);
      }
    }
    double t1 = now_s();
    double c1 = cpu_s();
    fdk_backproject_batch(p, first, nb, vol->data);
    double t2 = now_s();
    double c2 = cpu_s();
    p->t_filter += t1 - t0;
    p->t_bp += t2 - t1;
    p->c_filter += c1 - c0;
    p->c_bp += c2 - c1;
    if (carm_progress_report(&p->opts.progress, (double)(first + nb) / (double)p->n_views, "fdk")) {
      st = carm_error(CARM_ERR_CANCELLED, "FDK cancelled");
      break;
    }
  }
  if (st == CARM_OK && p->opts.hu) {
    const float a = (float)(1000.0 / p->opts.water_mu_per_mm);
    float *d = vol->data;
#pragma omp parallel for num_threads(p->threads) schedule(static)
    for (int64_t i = 0; i < nvox; i++) {
      d[i] = d[i] * a - 1000.0f;
    }
  }
  return st;
}
