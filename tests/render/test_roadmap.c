/* Roadmap: the projected centreline of a straight vessel lands where the
 * forward projector puts the vessel's shadow, on an oblique C-arm pose
 * (LAO/CRA, HFS) and on a pose with all nine parameters non-zero. */
#include "carm/carm.h"
#include "carm/phantom.h"
#include "check.h"

static void check_pose(carm_geometry *g) {
  /* a tube of radius 2 mm from (-30, 10, -40) to (25, -15, 35) mm */
  const double a[3] = {-30, 10, -40};
  const double b[3] = {25, -15, 35};
  double c[3];
  double axis[3];
  for (int k = 0; k < 3; k++) {
    c[k] = 0.5 * (a[k] + b[k]);
    axis[k] = b[k] - a[k];
  }
  double len = carm_vec3_norm(axis);
  carm_phantom *ph = NULL;
  CHECK(carm_phantom_create(&ph) == CARM_OK);
  CHECK(carm_phantom_add_cylinder(ph, c, axis, 2.0, len, 1.0) == CARM_OK);
  carm_volume *vol = NULL;
  int64_t dims[3] = {100, 100, 100};
  CHECK(carm_volume_create(&vol, dims) == CARM_OK);
  for (int k = 0; k < 3; k++) {
    vol->origin[k] = -49.5;
  }
  CHECK(carm_phantom_voxelize(ph, vol, 2) == CARM_OK);
  carm_volume *proj = NULL;
  CHECK(carm_projections_create(&proj, 160, 160, g->n_views, 1.0, 1.0) == CARM_OK);
  carm_project_opts po = CARM_PROJECT_INIT;
  CHECK(carm_project_forward(vol, g, proj, &po) == CARM_OK);
  /* sample the centreline, project it, and read the shadow across it */
  double pts[41][3];
  for (int i = 0; i <= 40; i++) {
    double t = 0.1 + 0.8 * i / 40.0; /* stay away from the caps */
    for (int k = 0; k < 3; k++) {
      pts[i][k] = a[k] + t * (b[k] - a[k]);
    }
  }
  double uv[41][2];
  for (int64_t v = 0; v < g->n_views; v++) {
    CHECK(carm_roadmap_project(g, v, proj, (const double(*)[3])pts, 41, uv) == 41);
    const float *img = proj->data + v * 160 * 160;
    /* on the projected centreline the shadow is near its maximum along the
     * perpendicular: the profile's centroid sits within 0.5 pixel */
    double du = uv[40][0] - uv[0][0];
    double dv = uv[40][1] - uv[0][1];
    double n = hypot(du, dv);
    double pu = -dv / n;
    double pv = du / n;
    double worst = 0.0;
    for (int i = 5; i <= 35; i += 5) {
      double s = 0.0;
      double sw = 0.0;
      for (double o = -8.0; o <= 8.0; o += 0.25) {
        double x = uv[i][0] + o * pu;
        double y = uv[i][1] + o * pv;
        int xi = (int)floor(x);
        int yi = (int)floor(y);
        if (xi < 0 || yi < 0 || xi >= 159 || yi >= 159) {
          continue;
        }
        double fx = x - xi;
        double fy = y - yi;
        double val =
            (1 - fx) * (1 - fy) * img[yi * 160 + xi] + fx * (1 - fy) * img[yi * 160 + xi + 1] +
            (1 - fx) * fy * img[(yi + 1) * 160 + xi] + fx * fy * img[(yi + 1) * 160 + xi + 1];
        s += o * val;
        sw += val;
      }
      CHECK(sw > 0.0);
      double off = fabs(s / sw);
      worst = off > worst ? off : worst;
    }
    CHECK_MSG(worst < 0.5, "view %lld: shadow centroid %g pixels off the roadmap", (long long)v,
              worst);
  }
  carm_volume_destroy(proj);
  carm_volume_destroy(vol);
  carm_phantom_destroy(ph);
}

int main(void) {
  carm_geometry *g = NULL;
  CHECK(carm_geometry_create(&g, 3) == CARM_OK);
  g->patient = CARM_PATIENT_HFS;
  CHECK(carm_view_set_carm(&g->views[0], 30, 20, 785, 1200) == CARM_OK);
  CHECK(carm_view_set_carm(&g->views[1], -45, -15, 785, 1200) == CARM_OK);
  CHECK(carm_view_set(&g->views[2], 760, 1180, 47, 6.5, -4.0, 7.0, -3.0, 3.5, -2.5) == CARM_OK);
  check_pose(g);
  carm_geometry_destroy(g);
  return check_done();
}
