/* NIfTI-1 and -2: round trips for every element type (.nii and .nii.gz),
 * oblique geometry, sform/qform/pixdim-only choice, scl_slope/scl_inter,
 * big-endian files, and the RAS <-> LPS convention on a hand-made header. */
#include "carm/carm.h"
#include "check.h"
#include "io/io_internal.h"
#include "io_test_util.h"

#include <nifti/nifti1.h>
#include <nifti/nifti2.h>

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct type_case {
  carm_dtype dtype;
  double lo, hi;
  int integral;
} type_case;

static const type_case types[] = {
    {CARM_DTYPE_U8, 0, 255, 1},       {CARM_DTYPE_I8, -128, 127, 1},
    {CARM_DTYPE_U16, 0, 65535, 1},    {CARM_DTYPE_I16, -32768, 32767, 1},
    {CARM_DTYPE_U32, 0, 16777216, 1}, {CARM_DTYPE_I32, -16777216, 16777216, 1},
    {CARM_DTYPE_F32, -1e6, 1e6, 0},   {CARM_DTYPE_F64, -1e-3, 1e-3, 0}};

/* NIfTI-1 stores the affine in float32: geometry survives to ~1e-5 mm. */
static void check_grid(const carm_volume *a, const carm_volume *b, double tol) {
  for (int i = 0; i < 3; i++) {
    CHECK(a->dims[i] == b->dims[i]);
    CHECK_NEAR(a->spacing[i], b->spacing[i], tol);
    CHECK_NEAR(a->origin[i], b->origin[i], tol * 100);
    for (int j = 0; j < 3; j++) {
      CHECK_NEAR(a->direction[i][j], b->direction[i][j], tol);
    }
  }
}

static void test_round_trips(void) {
  const char *suffixes[] = {".nii", ".nii.gz"};
  for (int version = 1; version <= 2; version++) {
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
      for (int s = 0; s < 2; s++) {
        carm_volume *v = tu_volume(6, 5, 4, types[t].lo, types[t].hi, types[t].integral, t + 7);
        v->data[0] = (float)types[t].lo;
        v->data[1] = (float)types[t].hi;
        char name[64];
        snprintf(name, sizeof name, "rt%d_%s%s", version, carm_dtype_name(types[t].dtype),
                 suffixes[s]);
        const char *p = tu_path(name);
        carm_write_opts o = CARM_WRITE_INIT;
        o.dtype = types[t].dtype;
        CHECK_MSG(io_nifti_write(v, p, &o, version) == CARM_OK, "%s: %s", name, carm_last_error());
        carm_volume *r = NULL;
        carm_image_info info;
        CHECK_MSG(carm_image_read(&r, &info, p) == CARM_OK, "%s: %s", name, carm_last_error());
        if (r == NULL) {
          carm_volume_destroy(v);
          continue;
        }
        check_grid(v, r, version == 1 ? 2e-6 : 1e-12);
        CHECK(info.dtype == types[t].dtype);
        CHECK(info.compressed == s);
        char fmt[16];
        snprintf(fmt, sizeof fmt, "NIfTI-%d", version);
        CHECK(strcmp(info.format, fmt) == 0);
        int64_t bad = 0;
        for (int64_t i = 0; i < carm_volume_count(v); i++) {
          if (r->data[i] != v->data[i]) {
            bad++;
          }
        }
        CHECK_MSG(bad == 0, "%s: %lld values differ", name, (long long)bad);
        carm_volume_destroy(r);
        carm_volume_destroy(v);
      }
    }
  }
  /* The public writer picks NIfTI-1 for ordinary sizes. */
  carm_volume *v = tu_volume(3, 3, 3, 0, 1, 0, 1);
  carm_image_info info;
  carm_volume *r = NULL;
  CHECK(carm_image_write(v, tu_path("pub.nii.gz"), NULL) == CARM_OK);
  CHECK(carm_image_read(&r, &info, tu_path("pub.nii.gz")) == CARM_OK);
  CHECK(strcmp(info.format, "NIfTI-1") == 0 && info.dtype == CARM_DTYPE_F32);
  carm_volume_destroy(r);
  carm_volume_destroy(v);
}

static void put_bytes(unsigned char *b, size_t off, const void *p, size_t n) {
  memcpy(b + off, p, n);
}

/* Patch a written NIfTI-1 .nii file in place. */
static void patch(const char *path, size_t off, const void *p, size_t n) {
  size_t len = 0;
  unsigned char *b = tu_read(path, &len);
  put_bytes(b, off, p, n);
  tu_write(path, b, len);
  free(b);
}

static void test_form_choice(void) {
  carm_volume *v = tu_volume(4, 3, 2, 0, 100, 1, 3);
  const char *p = tu_path("forms.nii");
  CHECK(carm_image_write(v, p, NULL) == CARM_OK);
  /* sform_code 0: the qform gives the same (orthonormal) geometry. */
  short zero = 0;
  patch(p, offsetof(nifti_1_header, sform_code), &zero, 2);
  carm_volume *r = NULL;
  CHECK_MSG(carm_image_read(&r, NULL, p) == CARM_OK, "%s", carm_last_error());
  if (r != NULL) {
    check_grid(v, r, 2e-6);
  }
  carm_volume_destroy(r);
  /* Neither form: pixdim only, RAS axes, so LPS direction diag(-1, -1, 1). */
  patch(p, offsetof(nifti_1_header, qform_code), &zero, 2);
  r = NULL;
  CHECK(carm_image_read(&r, NULL, p) == CARM_OK);
  if (r != NULL) {
    CHECK_NEAR(r->spacing[0], 0.7, 1e-6);
    CHECK(r->direction[0][0] == -1 && r->direction[1][1] == -1 && r->direction[2][2] == 1);
    CHECK(r->origin[0] == 0 && r->origin[1] == 0 && r->origin[2] == 0);
    CHECK(r->data[5] == v->data[5]);
  }
  carm_volume_destroy(r);
  /* sform wins over a contradicting qform. */
  CHECK(carm_image_write(v, p, NULL) == CARM_OK);
  float srow_x[4] = {-2, 0, 0, 11}, srow_y[4] = {0, -3, 0, 22}, srow_z[4] = {0, 0, 4, 33};
  patch(p, offsetof(nifti_1_header, srow_x), srow_x, 16);
  patch(p, offsetof(nifti_1_header, srow_y), srow_y, 16);
  patch(p, offsetof(nifti_1_header, srow_z), srow_z, 16);
  r = NULL;
  CHECK(carm_image_read(&r, NULL, p) == CARM_OK);
  if (r != NULL) {
    /* RAS (-2, 0, 0) per i = LPS (+2, 0, 0): identity direction. */
    CHECK(r->spacing[0] == 2 && r->spacing[1] == 3 && r->spacing[2] == 4);
    CHECK(r->direction[0][0] == 1 && r->direction[1][1] == 1 && r->direction[2][2] == 1);
    CHECK(r->origin[0] == -11 && r->origin[1] == -22 && r->origin[2] == 33);
  }
  carm_volume_destroy(r);
  carm_volume_destroy(v);
}

/* A left-handed grid (qfac = -1) survives the qform alone. */
static void test_qform_left_handed(void) {
  carm_volume *v = tu_volume(3, 4, 5, 0, 10, 1, 5);
  for (int r = 0; r < 3; r++) {
    v->direction[r][2] = -v->direction[r][2];
  }
  const char *p = tu_path("left.nii");
  CHECK(carm_image_write(v, p, NULL) == CARM_OK);
  short zero = 0;
  patch(p, offsetof(nifti_1_header, sform_code), &zero, 2);
  float qfac = 0;
  size_t n = 0;
  unsigned char *b = tu_read(p, &n);
  memcpy(&qfac, b + offsetof(nifti_1_header, pixdim), 4);
  free(b);
  CHECK(qfac == -1.0f);
  carm_volume *r = NULL;
  CHECK(carm_image_read(&r, NULL, p) == CARM_OK);
  if (r != NULL) {
    check_grid(v, r, 2e-6);
  }
  carm_volume_destroy(r);
  carm_volume_destroy(v);
}

static void test_scaling(void) {
  carm_volume *v = tu_volume(5, 2, 2, -100, 100, 1, 4);
  const char *p = tu_path("scaled.nii");
  carm_write_opts o = CARM_WRITE_INIT;
  o.dtype = CARM_DTYPE_I16;
  CHECK(carm_image_write(v, p, &o) == CARM_OK);
  float slope = 0.5f, inter = -1024.0f;
  patch(p, offsetof(nifti_1_header, scl_slope), &slope, 4);
  patch(p, offsetof(nifti_1_header, scl_inter), &inter, 4);
  carm_volume *r = NULL;
  carm_image_info info;
  CHECK(carm_image_read(&r, &info, p) == CARM_OK);
  CHECK(info.scl_slope == 0.5 && info.scl_inter == -1024.0);
  for (int64_t i = 0; r != NULL && i < carm_volume_count(v); i++) {
    CHECK(r->data[i] == v->data[i] * 0.5f - 1024.0f);
  }
  carm_volume_destroy(r);
  /* scl_slope 0 means "no scaling". */
  slope = 0.0f;
  patch(p, offsetof(nifti_1_header, scl_slope), &slope, 4);
  r = NULL;
  CHECK(carm_image_read(&r, &info, p) == CARM_OK);
  CHECK(info.scl_slope == 1.0 && info.scl_inter == 0.0);
  CHECK(r != NULL && r->data[3] == v->data[3]);
  carm_volume_destroy(r);
  carm_volume_destroy(v);
}

static void be16(unsigned char *b, size_t off, int v) {
  b[off] = (unsigned char)((v >> 8) & 0xff);
  b[off + 1] = (unsigned char)(v & 0xff);
}
static void be32(unsigned char *b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; i++) {
    b[off + (size_t)i] = (unsigned char)(v >> (24 - 8 * i));
  }
}
static void bef(unsigned char *b, size_t off, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  be32(b, off, u);
}

/* A big-endian NIfTI-1 built byte by byte, with a known sform. */
static void test_big_endian(void) {
  unsigned char b[352 + 6];
  memset(b, 0, sizeof b);
  be32(b, 0, 348);
  be16(b, offsetof(nifti_1_header, dim) + 0, 3);
  be16(b, offsetof(nifti_1_header, dim) + 2, 3);
  be16(b, offsetof(nifti_1_header, dim) + 4, 1);
  be16(b, offsetof(nifti_1_header, dim) + 6, 1);
  be16(b, offsetof(nifti_1_header, datatype), NIFTI_TYPE_INT16);
  be16(b, offsetof(nifti_1_header, bitpix), 16);
  for (int i = 0; i < 4; i++) {
    bef(b, offsetof(nifti_1_header, pixdim) + 4 * (size_t)i, 1.0f);
  }
  bef(b, offsetof(nifti_1_header, vox_offset), 352.0f);
  be16(b, offsetof(nifti_1_header, sform_code), 1);
  const float sx[4] = {0, 0, 2, -5}, sy[4] = {1.5f, 0, 0, 6}, sz[4] = {0, 3, 0, 7};
  for (int j = 0; j < 4; j++) {
    bef(b, offsetof(nifti_1_header, srow_x) + 4 * (size_t)j, sx[j]);
    bef(b, offsetof(nifti_1_header, srow_y) + 4 * (size_t)j, sy[j]);
    bef(b, offsetof(nifti_1_header, srow_z) + 4 * (size_t)j, sz[j]);
  }
  memcpy(b + offsetof(nifti_1_header, magic), "n+1", 4);
  be16(b, 352, 1000);
  be16(b, 354, -2 & 0xffff);
  be16(b, 356, 7);
  tu_write(tu_path("be.nii"), b, sizeof b);
  carm_volume *v = NULL;
  CHECK_MSG(carm_image_read(&v, NULL, tu_path("be.nii")) == CARM_OK, "%s", carm_last_error());
  if (v == NULL) {
    return;
  }
  CHECK(v->data[0] == 1000 && v->data[1] == -2 && v->data[2] == 7);
  /* Axis i: RAS (0, 1.5, 0) -> LPS (0, -1, 0) * 1.5. */
  CHECK(v->spacing[0] == 1.5 && v->spacing[1] == 3 && v->spacing[2] == 2);
  CHECK(v->direction[1][0] == -1 && v->direction[2][1] == 1 && v->direction[0][2] == -1);
  CHECK(v->origin[0] == 5 && v->origin[1] == -6 && v->origin[2] == 7);
  double pt[3];
  carm_volume_index_to_point(v, (const double[3]){1, 1, 1}, pt);
  /* RAS point = srow · (1,1,1,1) = (-3, 7.5, 10) -> LPS (3, -7.5, 10). */
  CHECK_NEAR(pt[0], 3, 1e-12);
  CHECK_NEAR(pt[1], -7.5, 1e-12);
  CHECK_NEAR(pt[2], 10, 1e-12);
  carm_volume_destroy(v);
}

int main(void) {
  tu_mkdir();
  test_round_trips();
  test_form_choice();
  test_qform_left_handed();
  test_scaling();
  test_big_endian();
  tu_cleanup();
  return check_done();
}
