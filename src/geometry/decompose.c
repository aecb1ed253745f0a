/* Decomposition of an arbitrary 3x4 projection matrix into the nine RTK
 * parameters, after RTK's ThreeDCircularProjectionGeometry::AddProjection(
 * const HomogeneousProjectionMatrixType &): normalise the scale, split the
 * left 3x3 block A = K·R (RQ decomposition, K upper triangular, R a
 * rotation), read SDD and the principal point (u0, v0) = (sx − px, sy − py)
 * from K, the source position (sx, sy, SID) in the rotated frame from
 * −K⁻¹·P[:,3], and the three angles from R = Rz(−ip)·Rx(−oop)·Ry(−ga).
 * docs/coordinates.md explains the choices. */
#include "carm/geometry.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double rad2deg(double r) { return r * (180.0 / M_PI); }

static double dot3(const double a[3], const double b[3]) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* Angles of R = Rz(a)·Rx(b)·Ry(c) with b in [−π/2, π/2] (ITK's ZXY Euler
 * order). At b = ±π/2 (gimbal lock) c is set to 0. */
static void euler_zxy(const double r[3][3], double *a, double *b, double *c) {
  double cb = hypot(r[0][1], r[1][1]);
  *b = atan2(r[2][1], cb);
  if (cb > 1e-12) {
    *a = atan2(-r[0][1], r[1][1]);
    *c = atan2(-r[2][0], r[2][2]);
  } else {
    *c = 0.0;
    *a = r[2][1] > 0.0 ? atan2(r[0][2], r[0][0]) : atan2(-r[0][2], r[0][0]);
  }
}

static double max_abs_diff(const double a[3][4], const double b[3][4]) {
  double d = 0.0;
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 4; j++) {
      double e = fabs(a[i][j] - b[i][j]);
      d = e > d ? e : d;
    }
  }
  return d;
}

/* Set `out` from the parameters (angles in radians), keeping a copy of the
 * error detail with a prefix when carm_view_set refuses them. */
static carm_status set_params(carm_view *out, double sid, double sdd, double ga, double px,
                              double py, double oop, double ip, double sx, double sy) {
  carm_status st =
      carm_view_set(out, sid, sdd, rad2deg(ga), px, py, rad2deg(oop), rad2deg(ip), sx, sy);
  if (st != CARM_OK) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s", carm_last_error());
    return carm_error(st, "matrix decomposes into invalid parameters: %s", msg);
  }
  return CARM_OK;
}

static carm_status decompose_parallel(carm_view *tmp, double q[3][4], double big) {
  /* P = [[R0, −px], [R1, −py], [0, 0, 0, 1]] up to scale. */
  if (!(fabs(q[2][3]) > 1e-12 * big)) {
    return carm_error(CARM_ERR_GEOMETRY, "degenerate projection matrix (third row is zero)");
  }
  const double s = 1.0 / q[2][3];
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 4; j++) {
      q[i][j] *= s;
    }
  }
  double r[3][3];
  double n1 = sqrt(dot3(q[1], q[1]));
  if (!(n1 > 1e-12 * big)) {
    return carm_error(CARM_ERR_GEOMETRY, "degenerate parallel projection matrix (rank < 2)");
  }
  for (int j = 0; j < 3; j++) {
    r[1][j] = q[1][j] / n1;
  }
  double k01 = dot3(q[0], r[1]);
  double t[3];
  for (int j = 0; j < 3; j++) {
    t[j] = q[0][j] - k01 * r[1][j];
  }
  double k00 = sqrt(dot3(t, t));
  if (!(k00 > 1e-12 * big)) {
    return carm_error(CARM_ERR_GEOMETRY, "degenerate parallel projection matrix (rank < 2)");
  }
  for (int j = 0; j < 3; j++) {
    r[0][j] = t[j] / k00;
  }
  carm_vec3_cross(r[0], r[1], r[2]);
  double a;
  double b;
  double c;
  euler_zxy(r, &a, &b, &c);
  /* The SID of a parallel beam is arbitrary; RTK uses 1000. */
  return set_params(tmp, 1000.0, 0.0, -c, -q[0][3], -q[1][3], -b, -a, 0.0, 0.0);
}

static carm_status decompose_cone(carm_view *tmp, double q[3][4], double n0, double n1, double n2) {
  double a3[3][3];
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) {
      a3[i][j] = q[i][j];
    }
  }
  double det = carm_mat3_det(a3);
  if (!(fabs(det) > 1e-12 * n0 * n1 * n2)) {
    return carm_error(CARM_ERR_GEOMETRY, "degenerate projection matrix (left 3x3 block singular)");
  }
  /* Scale so that the third row of A is a unit vector and det(A) > 0: then
   * K has the diagonal (−SDD, −SDD, 1) of the model and w is the depth. */
  double s = (det > 0.0 ? 1.0 : -1.0) / n2;
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 4; j++) {
      q[i][j] *= s;
    }
  }
  /* RQ by Gram–Schmidt from the bottom row, diagonal signs (−, −, +). */
  double r[3][3];
  double t[3];
  memcpy(r[2], q[2], sizeof r[2]);
  double k12 = dot3(q[1], r[2]);
  for (int j = 0; j < 3; j++) {
    t[j] = q[1][j] - k12 * r[2][j];
  }
  double k11 = -sqrt(dot3(t, t));
  for (int j = 0; j < 3; j++) {
    r[1][j] = t[j] / k11;
  }
  double k02 = dot3(q[0], r[2]);
  double k01 = dot3(q[0], r[1]);
  for (int j = 0; j < 3; j++) {
    t[j] = q[0][j] - k01 * r[1][j] - k02 * r[2][j];
  }
  double k00 = -sqrt(dot3(t, t));
  for (int j = 0; j < 3; j++) {
    r[0][j] = t[j] / k00;
  }
  /* Source in the rotated frame: (sx, sy, SID) = −K⁻¹·P[:,3]. */
  double x2 = q[2][3];
  double x1 = (q[1][3] - k12 * x2) / k11;
  double x0 = (q[0][3] - k01 * x1 - k02 * x2) / k00;
  double sx = -x0;
  double sy = -x1;
  double sid = -x2;
  double sdd = -0.5 * (k00 + k11);
  if (!(sid > 0.0)) {
    return carm_error(CARM_ERR_GEOMETRY,
                      "projection matrix puts the isocentre behind the source (SID %g mm)", sid);
  }
  double a;
  double b;
  double c;
  euler_zxy(r, &a, &b, &c);
  return set_params(tmp, sid, sdd, -c, sx - k02, sy - k12, -b, -a, sx, sy);
}

carm_status carm_view_from_matrix(carm_view *view, const double p[3][4], double *residual) {
  if (view == NULL || p == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_view_from_matrix: NULL argument");
  }
  double q[3][4];
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 4; j++) {
      if (!isfinite(p[i][j])) {
        return carm_error(CARM_ERR_GEOMETRY, "projection matrix element [%d][%d] is %g", i, j,
                          p[i][j]);
      }
      q[i][j] = p[i][j];
    }
  }
  double n0 = sqrt(dot3(q[0], q[0]));
  double n1 = sqrt(dot3(q[1], q[1]));
  double n2 = sqrt(dot3(q[2], q[2]));
  double big = n0 > n1 ? n0 : n1;
  if (!(big > 0.0) || !(big < 1e150)) {
    return carm_error(CARM_ERR_GEOMETRY, "degenerate projection matrix (scale %g)", big);
  }
  carm_view tmp;
  memset(&tmp, 0, sizeof tmp);
  carm_status st =
      n2 <= 1e-12 * big ? decompose_parallel(&tmp, q, big) : decompose_cone(&tmp, q, n0, n1, n2);
  if (st != CARM_OK) {
    return st;
  }
  double res = max_abs_diff(q, tmp.matrix);
  tmp.time_s = view->time_s;
  memcpy(tmp.matrix, q, sizeof tmp.matrix);
  *view = tmp;
  if (residual != NULL) {
    *residual = res;
  }
  return CARM_OK;
}
