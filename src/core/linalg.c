/* Small dense linear algebra on 3-vectors, 3x3 and 3x4 matrices (double). */
#include "carm/core.h"

#include <math.h>
#include <string.h>

void carm_mat3_identity(double m[3][3]) {
  for (int r = 0; r < 3; r++) {
    for (int c = 0; c < 3; c++) {
      m[r][c] = r == c ? 1.0 : 0.0;
    }
  }
}

void carm_mat3_mul(const double a[3][3], const double b[3][3], double out[3][3]) {
  double t[3][3];
  for (int r = 0; r < 3; r++) {
    for (int c = 0; c < 3; c++) {
      t[r][c] = a[r][0] * b[0][c] + a[r][1] * b[1][c] + a[r][2] * b[2][c];
    }
  }
  memcpy(out, t, sizeof t);
}

void carm_mat3_transpose(const double a[3][3], double out[3][3]) {
  double t[3][3];
  for (int r = 0; r < 3; r++) {
    for (int c = 0; c < 3; c++) {
      t[r][c] = a[c][r];
    }
  }
  memcpy(out, t, sizeof t);
}

double carm_mat3_det(const double a[3][3]) {
  return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
         a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
         a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

carm_status carm_mat3_inverse(const double a[3][3], double out[3][3]) {
  double d = carm_mat3_det(a);
  if (!(fabs(d) >= 1e-300)) {
    return carm_error(CARM_ERR_RANGE, "singular 3x3 matrix");
  }
  double t[3][3];
  t[0][0] = (a[1][1] * a[2][2] - a[1][2] * a[2][1]) / d;
  t[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / d;
  t[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / d;
  t[1][0] = (a[1][2] * a[2][0] - a[1][0] * a[2][2]) / d;
  t[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / d;
  t[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / d;
  t[2][0] = (a[1][0] * a[2][1] - a[1][1] * a[2][0]) / d;
  t[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / d;
  t[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / d;
  memcpy(out, t, sizeof t);
  return CARM_OK;
}

void carm_mat3_apply(const double m[3][3], const double v[3], double out[3]) {
  double t[3];
  for (int r = 0; r < 3; r++) {
    t[r] = m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2];
  }
  memcpy(out, t, sizeof t);
}

void carm_mat3_rot_x(double angle_rad, double out[3][3]) {
  double c = cos(angle_rad);
  double s = sin(angle_rad);
  double m[3][3] = {{1, 0, 0}, {0, c, -s}, {0, s, c}};
  memcpy(out, m, sizeof m);
}

void carm_mat3_rot_y(double angle_rad, double out[3][3]) {
  double c = cos(angle_rad);
  double s = sin(angle_rad);
  double m[3][3] = {{c, 0, s}, {0, 1, 0}, {-s, 0, c}};
  memcpy(out, m, sizeof m);
}

void carm_mat3_rot_z(double angle_rad, double out[3][3]) {
  double c = cos(angle_rad);
  double s = sin(angle_rad);
  double m[3][3] = {{c, -s, 0}, {s, c, 0}, {0, 0, 1}};
  memcpy(out, m, sizeof m);
}

void carm_mat34_apply(const double p[3][4], const double x[3], double out[3]) {
  for (int r = 0; r < 3; r++) {
    out[r] = p[r][0] * x[0] + p[r][1] * x[1] + p[r][2] * x[2] + p[r][3];
  }
}

double carm_vec3_dot(const double a[3], const double b[3]) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

void carm_vec3_cross(const double a[3], const double b[3], double out[3]) {
  double t[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
  memcpy(out, t, sizeof t);
}

double carm_vec3_norm(const double a[3]) { return sqrt(carm_vec3_dot(a, a)); }

double carm_vec3_normalize(double a[3]) {
  double n = carm_vec3_norm(a);
  if (n > 0.0) {
    a[0] /= n;
    a[1] /= n;
    a[2] /= n;
  }
  return n;
}
