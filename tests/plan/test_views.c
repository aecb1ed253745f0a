/* Working views: foreshortening of a straight vessel equals the formula;
 * the proposed view of a planar vessel pair has no overlap; C-arm angles
 * agree with the HFS geometry. */
#include "carm/plan.h"
#include "check.h"

#include <stdlib.h>

int main(void) {
  /* direction convention: AP looks along -y (detector anterior), LAO 90 puts
   * the detector on the patient's left, CRA 90 at the head */
  double d[3];
  carm_carm_view_direction(0, 0, d);
  CHECK_NEAR(d[1], -1.0, 1e-15);
  carm_carm_view_direction(90, 0, d);
  CHECK_NEAR(d[0], 1.0, 1e-15);
  carm_carm_view_direction(0, 90, d);
  CHECK_NEAR(d[2], 1.0, 1e-15);
  /* the same pose as a geometry view: source opposite the detector */
  carm_view v;
  for (double lao = -90; lao <= 90; lao += 30) {
    for (double cra = -30; cra <= 30; cra += 15) {
      CHECK(carm_view_set_carm(&v, lao, cra, 785, 1200) == CARM_OK);
      double s[3];
      double w[3][3];
      double wt[3][3];
      double sp[3];
      carm_view_source(&v, s);
      carm_patient_to_world(CARM_PATIENT_HFS, w);
      carm_mat3_transpose(w, wt);
      carm_mat3_apply(wt, s, sp);
      carm_carm_view_direction(lao, cra, d);
      for (int a = 0; a < 3; a++) {
        CHECK_NEAR(sp[a], -785.0 * d[a], 1e-9);
      }
    }
  }

  /* straight vessel along the patient axis: CRA 30 shortens it by
   * 1 − sqrt(1 − 0.5²) = 0.133975 */
  double line[2][3] = {{0, 0, -30}, {0, 0, 30}};
  carm_polyline target = {2, line, NULL};
  carm_views_opts o = CARM_VIEWS_INIT;
  o.step_deg = 10;
  o.cra_min_deg = -40;
  o.cra_max_deg = 40;
  carm_view_score *grid = NULL;
  int rows = 0;
  int cols = 0;
  CHECK(carm_working_views(&target, NULL, 0, &o, &grid, &rows, &cols) == CARM_OK);
  CHECK(rows == 9 && cols == 25);
  int found = 0;
  for (int i = 0; i < rows * cols; i++) {
    carm_carm_view_direction(grid[i].lao_deg, grid[i].cra_deg, d);
    double vz[3] = {0, 0, 1};
    CHECK_NEAR(grid[i].foreshortening, carm_foreshortening(vz, d), 1e-12);
    if (grid[i].lao_deg == 0 && grid[i].cra_deg == 30) {
      CHECK_NEAR(grid[i].foreshortening, 0.133975, 1e-6);
      found = 1;
    }
  }
  CHECK(found);
  free(grid);

  /* two parallel vessels in the coronal plane, 20 mm apart: lateral views
   * overlap them, the proposal (lowest score) must not */
  double a[2][3] = {{-10, 0, -30}, {-10, 0, 30}};
  double b[2][3] = {{10, 0, -30}, {10, 0, 30}};
  double ra[2] = {2, 2};
  carm_polyline ta = {2, a, ra};
  carm_polyline tb = {2, b, ra};
  CHECK(carm_working_views(&ta, &tb, 1, &o, &grid, &rows, &cols) == CARM_OK);
  int best = 0;
  double lateral_overlap = -1;
  for (int i = 0; i < rows * cols; i++) {
    if (grid[i].score < grid[best].score) {
      best = i;
    }
    if (grid[i].lao_deg == 90 && grid[i].cra_deg == 0) {
      lateral_overlap = grid[i].overlap;
    }
  }
  CHECK(grid[best].overlap == 0.0);
  CHECK(grid[best].foreshortening < 0.02);
  CHECK_MSG(lateral_overlap > 0.95, "lateral overlap %g", lateral_overlap);
  free(grid);
  o.step_deg = 0;
  CHECK(carm_working_views(&ta, &tb, 1, &o, &grid, &rows, &cols) == CARM_ERR_RANGE);
  return check_done();
}
