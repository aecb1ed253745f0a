/* Frangi vesselness: the response on the axis of a solid tube of radius r
 * peaks near sigma = r / sqrt(2); it is low on a plate and a blob; the dark
 * mode sees an inverted tube; option errors. */
#include "check.h"
#include "seg_util.h"

#define N 40

/* Solid tube of radius r (mm) along z through the centre, 4x4 in-plane
 * supersampling for partial volume; spacing 1 mm. */
static carm_volume *tube(double r) {
  carm_volume *v = make_vol(N, N, N, 1, 1, 1);
  for (int j = 0; j < N; j++) {
    for (int i = 0; i < N; i++) {
      double acc = 0.0;
      for (int sj = 0; sj < 4; sj++) {
        for (int si = 0; si < 4; si++) {
          double x = i - 19.5 + (si + 0.5) / 4.0 - 0.5, y = j - 19.5 + (sj + 0.5) / 4.0 - 0.5;
          acc += (x * x + y * y <= r * r) ? 1.0 : 0.0;
        }
      }
      for (int k = 0; k < N; k++) {
        *at(v, i, j, k) = (float)(acc / 16.0);
      }
    }
  }
  return v;
}

static double vmax(const carm_volume *v) {
  double m = 0.0;
  for (int64_t n = 0; n < carm_volume_count(v); n++) {
    m = fmax(m, v->data[n]);
  }
  return m;
}

static void test_scale_peak(void) {
  const double radii[2] = {2.5, 4.0};
  for (int t = 0; t < 2; t++) {
    double r = radii[t];
    carm_volume *v = tube(r);
    carm_volume *o = make_like(v), *sc = make_like(v);
    carm_seg_vesselness_opts opts = CARM_SEG_VESSELNESS_OPTS_INIT;
    opts.n_sigmas = 0;
    for (int s = 0; s < CARM_SEG_MAX_SCALES; s++) {
      opts.sigmas_mm[opts.n_sigmas++] = 1.0 + 0.25 * s;
    }
    CHECK(carm_seg_vesselness(o, sc, v, &opts) == CARM_OK);
    /* the axis lies between voxels 19 and 20: average the four */
    double best = 0.0, vaxis = 0.0;
    for (int dj = 19; dj <= 20; dj++) {
      for (int di = 19; di <= 20; di++) {
        best += *at(sc, di, dj, 20) / 4.0;
        vaxis += *at(o, di, dj, 20) / 4.0;
      }
    }
    printf("tube radius %.1f: best sigma %.2f (r/sqrt2 = %.2f), V on axis %.3f\n", r, best,
           r / sqrt(2.0), vaxis);
    CHECK_NEAR(best, r / sqrt(2.0), 0.3);
    CHECK(vaxis > 0.5);
    /* the response falls off away from the tube */
    CHECK(*at(o, 2, 2, 20) < 0.05 * vaxis);
    carm_volume_destroy(v);
    carm_volume_destroy(o);
    carm_volume_destroy(sc);
  }
}

static void test_plate_blob_dark(void) {
  const double r = 3.0;
  carm_seg_vesselness_opts opts = CARM_SEG_VESSELNESS_OPTS_INIT;
  opts.n_sigmas = 3;
  opts.sigmas_mm[0] = 1.5;
  opts.sigmas_mm[1] = 2.0;
  opts.sigmas_mm[2] = 2.5;
  opts.c = 0.25; /* fixed, so that the three shapes are comparable */
  carm_volume *tb = tube(r), *o = make_like(tb);
  CHECK(carm_seg_vesselness(o, NULL, tb, &opts) == CARM_OK);
  double vt = vmax(o);
  carm_volume *plate = make_vol(N, N, N, 1, 1, 1), *blob = make_vol(N, N, N, 1, 1, 1);
  for (int k = 0; k < N; k++) {
    for (int j = 0; j < N; j++) {
      for (int i = 0; i < N; i++) {
        double x = i - 19.5, y = j - 19.5, z = k - 19.5;
        *at(plate, i, j, k) = fabs(x) <= r ? 1.0f : 0.0f;
        *at(blob, i, j, k) = x * x + y * y + z * z <= r * r ? 1.0f : 0.0f;
      }
    }
  }
  CHECK(carm_seg_vesselness(o, NULL, plate, &opts) == CARM_OK);
  double vp = vmax(o);
  CHECK(carm_seg_vesselness(o, NULL, blob, &opts) == CARM_OK);
  double vb_centre = *at(o, 20, 20, 20), vb = vmax(o);
  printf("max V: tube %.3f, plate %.3f, blob %.3f (centre %.3f)\n", vt, vp, vb, vb_centre);
  CHECK(vp < 0.05 * vt);
  CHECK(vb_centre < 0.25 * vt);
  /* off centre, where the radial curvature of the smoothed ball crosses
   * zero, Frangi's measure sees a line; it stays well under the tube */
  CHECK(vb < 0.6 * vt);
  /* dark mode on the inverted tube equals bright mode on the tube */
  carm_volume *inv = make_like(tb), *o2 = make_like(tb);
  for (int64_t n = 0; n < carm_volume_count(tb); n++) {
    inv->data[n] = 1.0f - tb->data[n];
  }
  CHECK(carm_seg_vesselness(o, NULL, tb, &opts) == CARM_OK);
  opts.bright = 0;
  CHECK(carm_seg_vesselness(o2, NULL, inv, &opts) == CARM_OK);
  double diff = 0.0;
  for (int64_t n = 0; n < carm_volume_count(tb); n++) {
    diff = fmax(diff, fabs(o->data[n] - o2->data[n]));
  }
  CHECK_MSG(diff < 1e-4, "dark/bright difference %g", diff);
  /* bright mode sees nothing in the dark tube's centre */
  opts.bright = 1;
  CHECK(carm_seg_vesselness(o2, NULL, inv, &opts) == CARM_OK);
  CHECK(*at(o2, 20, 20, 20) == 0.0f);
  /* errors */
  opts.n_sigmas = 0;
  CHECK(carm_seg_vesselness(o, NULL, tb, &opts) == CARM_ERR_INVALID);
  opts.n_sigmas = 1;
  opts.sigmas_mm[0] = -1.0;
  CHECK(carm_seg_vesselness(o, NULL, tb, &opts) == CARM_ERR_INVALID);
  opts.sigmas_mm[0] = 1.0;
  opts.version = 7;
  CHECK(carm_seg_vesselness(o, NULL, tb, &opts) == CARM_ERR_INVALID);
  CHECK(carm_seg_vesselness(o, NULL, tb, NULL) == CARM_ERR_INVALID);
  opts.version = 1;
  CHECK(carm_seg_vesselness(tb, NULL, tb, &opts) == CARM_ERR_INVALID);
  carm_volume_destroy(tb);
  carm_volume_destroy(o);
  carm_volume_destroy(o2);
  carm_volume_destroy(inv);
  carm_volume_destroy(plate);
  carm_volume_destroy(blob);
}

static int cancel_cb(void *user, double fraction, const char *stage) {
  (void)fraction;
  (void)stage;
  (*(int *)user)++;
  return 1;
}

static void test_cancel(void) {
  carm_volume *v = tube(3.0), *o = make_like(v);
  carm_seg_vesselness_opts opts = CARM_SEG_VESSELNESS_OPTS_INIT;
  int calls = 0;
  opts.progress.fn = cancel_cb;
  opts.progress.user = &calls;
  CHECK(carm_seg_vesselness(o, NULL, v, &opts) == CARM_ERR_CANCELLED);
  CHECK(calls == 1);
  carm_volume_destroy(v);
  carm_volume_destroy(o);
}

int main(void) {
  test_scale_peak();
  test_plate_blob_dark();
  test_cancel();
  return check_done();
}
