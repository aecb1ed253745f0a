/* Writers on synthetic volumes, read back through carm: an oblique
 * right-handed grid and a left-handed one keep every voxel at its place;
 * attenuation values (mm^-1, not HU) survive the int16 encoding to within
 * half a step; a label map survives SEG; bad input is refused with nothing
 * left behind. (pydicom and dciodvfy checks: test_dicom_export.py.) */
#include "carm/dicom.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static carm_volume *make_volume(int left_handed) {
  int64_t dims[3] = {7, 5, 4};
  carm_volume *v = NULL;
  CHECK(carm_volume_create(&v, dims) == CARM_OK);
  double r[3][3];
  double rx[3][3];
  double rz[3][3];
  carm_mat3_rot_x(0.3, rx);
  carm_mat3_rot_z(-0.2, rz);
  carm_mat3_mul(rz, rx, r);
  memcpy(v->direction, r, sizeof r);
  if (left_handed) {
    for (int a = 0; a < 3; a++) {
      v->direction[a][2] = -v->direction[a][2];
    }
  }
  v->spacing[0] = 0.7;
  v->spacing[1] = 0.9;
  v->spacing[2] = 1.6;
  v->origin[0] = -12.5;
  v->origin[1] = 30.25;
  v->origin[2] = -101.0;
  for (int64_t i = 0; i < carm_volume_count(v); i++) {
    v->data[i] = (float)(0.019 + 0.0001 * (double)((i * 31) % 97)); /* mm^-1 */
  }
  return v;
}

/* Every voxel of `a` has a voxel of `b` at the same point with the same
 * value (to tol). */
static void check_same_voxels(const carm_volume *a, const carm_volume *b, double tol) {
  CHECK(carm_volume_count(a) == carm_volume_count(b));
  double worst_pos = 0;
  double worst_val = 0;
  for (int64_t k = 0; k < a->dims[2]; k++) {
    for (int64_t j = 0; j < a->dims[1]; j++) {
      for (int64_t i = 0; i < a->dims[0]; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k};
        double p[3];
        double q[3];
        carm_volume_index_to_point(a, ijk, p);
        carm_volume_point_to_index(b, p, q);
        int64_t bi = (int64_t)llround(q[0]);
        int64_t bj = (int64_t)llround(q[1]);
        int64_t bk = (int64_t)llround(q[2]);
        worst_pos = fmax(worst_pos, fabs(q[0] - (double)bi) + fabs(q[1] - (double)bj) +
                                        fabs(q[2] - (double)bk));
        if (bi < 0 || bj < 0 || bk < 0 || bi >= b->dims[0] || bj >= b->dims[1] ||
            bk >= b->dims[2]) {
          worst_val = INFINITY;
          continue;
        }
        worst_val = fmax(worst_val, fabs((double)carm_volume_at(a, i, j, k) -
                                         (double)carm_volume_at(b, bi, bj, bk)));
      }
    }
  }
  CHECK_MSG(worst_pos < 1e-4, "voxel positions differ by %g index", worst_pos);
  CHECK_MSG(worst_val <= tol, "values differ by %g (tolerance %g)", worst_val, tol);
}

static void round_trip(int left_handed) {
  carm_volume *v = make_volume(left_handed);
  char series[128];
  char enh[128];
  snprintf(series, sizeof series, "%s/series%d", dir, left_handed);
  snprintf(enh, sizeof enh, "%s/enh%d.dcm", dir, left_handed);
  CHECK(carm_dicom_write_ct_series(v, series, NULL) == CARM_OK);
  CHECK(carm_dicom_write_enhanced_ct(v, enh, NULL) == CARM_OK);
  double step = 0.0289 / 32000.0; /* max |value| / 32000 */
  const char *paths[2] = {series, enh};
  for (int t = 0; t < 2; t++) {
    carm_volume *b = NULL;
    carm_dicom_meta m;
    CHECK(carm_dicom_read_volume(&b, &m, &paths[t], 1) == CARM_OK);
    if (b != NULL) {
      check_same_voxels(v, b, 0.5 * step + 1e-9);
      CHECK(m.rescale_slope > 0 && m.rescale_slope < 1e-5); /* not HU: scaled */
      CHECK_NEAR(carm_mat3_det(b->direction), 1.0, 1e-6);   /* readers give right-handed */
    }
    carm_volume_destroy(b);
  }
  carm_volume_destroy(v);
}

static void seg_round_trip(void) {
  carm_volume *v = make_volume(0);
  for (int64_t i = 0; i < carm_volume_count(v); i++) {
    v->data[i] = (float)((i % 11 == 0) ? 4 : (i % 7 == 0) ? 9 : 0);
  }
  /* an empty middle slice: the SEG skips it, the reader fills it in */
  memset(v->data + 2 * 7 * 5, 0, 7 * 5 * sizeof(float));
  char p[128];
  snprintf(p, sizeof p, "%s/seg.dcm", dir);
  CHECK(carm_dicom_write_seg(v, p, NULL) == CARM_OK);
  carm_volume *b = NULL;
  CHECK_MSG(carm_dicom_read_image(&b, NULL, p) == CARM_OK, "%s", carm_last_error());
  if (b != NULL) {
    /* segment numbers 1 (label 4) and 2 (label 9) */
    carm_volume *ranks = NULL;
    CHECK(carm_volume_clone(&ranks, v) == CARM_OK);
    for (int64_t i = 0; ranks != NULL && i < carm_volume_count(ranks); i++) {
      ranks->data[i] = ranks->data[i] == 4.0f ? 1.0f : ranks->data[i] == 9.0f ? 2.0f : 0.0f;
    }
    if (ranks != NULL) {
      check_same_voxels(ranks, b, 0);
    }
    carm_volume_destroy(ranks);
  }
  carm_volume_destroy(b);
  carm_volume_destroy(v);
}

static void refusals(void) {
  carm_volume *v = make_volume(0);
  char p[128];
  snprintf(p, sizeof p, "%s/refused", dir);
  CHECK(carm_dicom_write_ct_series(NULL, p, NULL) == CARM_ERR_INVALID);
  v->spacing[2] = 0;
  CHECK(carm_dicom_write_ct_series(v, p, NULL) < 0);
  CHECK(carm_dicom_write_enhanced_ct(v, p, NULL) < 0);
  v->spacing[2] = 1;
  carm_dicom_write_opts o = CARM_DICOM_WRITE_INIT;
  o.like = "/nonexistent/source";
  CHECK(carm_dicom_write_ct_series(v, p, &o) == CARM_ERR_IO);
  for (int64_t i = 0; i < carm_volume_count(v); i++) {
    v->data[i] = -3.0f; /* negative labels */
  }
  CHECK(carm_dicom_write_seg(v, p, NULL) == CARM_ERR_RANGE);
  memset(v->data, 0, (size_t)carm_volume_count(v) * sizeof(float));
  CHECK(carm_dicom_write_seg(v, p, NULL) == CARM_ERR_INVALID); /* no label at all */
  struct stat sb;
  CHECK(stat(p, &sb) != 0);
  /* NaN voxels do not stop a CT export (stored as 0) */
  v->data[3] = NAN;
  CHECK(carm_dicom_write_ct_series(v, p, NULL) == CARM_OK);
  carm_volume_destroy(v);
  char uid[65];
  char uid2[65];
  CHECK(carm_dicom_new_uid(uid) == CARM_OK && carm_dicom_new_uid(uid2) == CARM_OK);
  CHECK(strncmp(uid, "2.25.", 5) == 0 && strlen(uid) <= 64 && strcmp(uid, uid2) != 0);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/carm_dicom_write_XXXXXX");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  round_trip(0);
  round_trip(1);
  seg_round_trip();
  refusals();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
  return check_done();
}
