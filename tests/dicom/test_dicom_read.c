/* Reading real DICOM files from ../shared/data/dicom: every file reads, the
 * JPEG 2000 and uncompressed copies of the 20-slice CT series give the same
 * voxels, slice spacing comes from positions, Enhanced CT has both frames,
 * the XA cine has 96 frames and its angles, mixed series are refused. */
#include "carm/dicom.h"
#include "check.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char data_dir[4096];

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void path_of(char *out, size_t cap, const char *rel) {
  snprintf(out, cap, "%s/dicom/%s", data_dir, rel);
}

/* Every file below data/dicom reads (series folders as series). */
static void test_every_file(void) {
  static const char *const folders[] = {"ct", "enhanced", "rf", "sc", "seg", "xa"};
  int n_read = 0;
  for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) {
    char dir[4200];
    path_of(dir, sizeof dir, folders[i]);
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "%s", dir);
    if (d == NULL) {
      continue;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      size_t len = strlen(e->d_name);
      if (e->d_name[0] == '.' || (len > 3 && strcmp(e->d_name + len - 3, ".gz") == 0)) {
        continue;
      }
      char p[8400];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      carm_volume *v = NULL;
      carm_dicom_meta m;
      carm_status st = carm_dicom_read_image(&v, &m, p);
      CHECK_MSG(st == CARM_OK, "%s: %s", p, carm_last_error());
      if (st == CARM_OK) {
        CHECK(v->dims[0] == m.columns && v->dims[1] == m.rows);
        double lo, hi;
        carm_volume_range(v, &lo, &hi);
        CHECK_MSG(hi > lo, "%s: constant image", p);
        n_read++;
      }
      carm_volume_destroy(v);
    }
    closedir(d);
  }
  CHECK_MSG(n_read >= 13, "only %d files read", n_read);
  printf("read %d single DICOM files\n", n_read);
}

static void test_ct_series(void) {
  char j2k[4200];
  char unc[4200];
  path_of(j2k, sizeof j2k, "ct-series-totalseg/original_j2k");
  path_of(unc, sizeof unc, "ct-series-totalseg/uncompressed_derived");
  carm_volume *a = NULL;
  carm_volume *b = NULL;
  carm_dicom_meta ma;
  carm_dicom_meta mb;
  const char *pa[1] = {j2k};
  const char *pb[1] = {unc};
  CHECK(carm_dicom_read_volume(&a, &ma, pa, 1) == CARM_OK);
  CHECK(carm_dicom_read_volume(&b, &mb, pb, 1) == CARM_OK);
  if (a == NULL || b == NULL) {
    carm_volume_destroy(a);
    carm_volume_destroy(b);
    return;
  }
  CHECK(strcmp(ma.transfer_syntax_uid, "1.2.840.10008.1.2.4.90") == 0); /* JPEG 2000 lossless */
  CHECK(strcmp(mb.transfer_syntax_uid, "1.2.840.10008.1.2.1") == 0);
  CHECK(a->dims[0] == 512 && a->dims[1] == 512 && a->dims[2] == 20);
  CHECK(ma.n_objects == 20);
  CHECK(carm_volume_same_grid(a, b, 1e-9));
  int64_t diff = 0;
  for (int64_t i = 0; i < carm_volume_count(a); i++) {
    diff += a->data[i] != b->data[i];
  }
  CHECK_MSG(diff == 0, "%lld voxels differ between JPEG 2000 and uncompressed", (long long)diff);
  /* Slice Thickness says 3 mm; the positions are 2 mm apart */
  CHECK_NEAR(a->spacing[2], 2.0, 1e-6);
  CHECK_NEAR(a->spacing[0], 0.9765625, 1e-6);
  /* HU: air near -1024 after Rescale Intercept -1024 */
  double lo, hi;
  carm_volume_range(a, &lo, &hi);
  CHECK_NEAR(lo, -1024.0, 0.5);
  CHECK(hi > 1000.0);

  /* a list of files in shuffled order gives the same volume */
  DIR *d = opendir(unc);
  char *files[32];
  int n = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL && n < 32) {
    if (e->d_name[0] != '.') {
      size_t len = strlen(unc) + strlen(e->d_name) + 2;
      files[n] = malloc(len);
      snprintf(files[n], len, "%s/%s", unc, e->d_name);
      n++;
    }
  }
  if (d != NULL) {
    closedir(d);
  }
  CHECK(n == 20);
  qsort(files, (size_t)n, sizeof files[0], cmp_str);
  /* slices 1, 2 and 5 of the series: a gap, refused (non-uniform spacing) */
  carm_volume *c = NULL;
  const char *gap[3] = {files[0], files[1], files[4]};
  carm_status st = carm_dicom_read_volume(&c, NULL, gap, 3);
  CHECK_MSG(st == CARM_ERR_UNSUPPORTED && strstr(carm_last_error(), "spacing") != NULL, "%s",
            carm_last_error());
  CHECK(c == NULL);
  for (int i = 0; i < n / 2; i++) { /* reverse, then swap pairs */
    char *t = files[i];
    files[i] = files[n - 1 - i];
    files[n - 1 - i] = t;
  }
  for (int i = 0; i + 1 < n; i += 2) {
    char *t = files[i];
    files[i] = files[i + 1];
    files[i + 1] = t;
  }
  CHECK(carm_dicom_read_volume(&c, NULL, (const char *const *)files, (size_t)n) == CARM_OK);
  if (c != NULL) {
    CHECK(carm_volume_same_grid(b, c, 1e-9));
    CHECK(memcmp(b->data, c->data, (size_t)carm_volume_count(b) * sizeof(float)) == 0);
  }
  carm_volume_destroy(c);
  c = NULL;

  /* the same slice twice is refused */
  const char *dup[2] = {files[0], files[0]};
  c = NULL;
  CHECK(carm_dicom_read_volume(&c, NULL, dup, 2) == CARM_ERR_FORMAT);
  CHECK(strstr(carm_last_error(), "same position") != NULL);
  CHECK(c == NULL);

  /* mixed series: another CT (other size, other series UID) is refused */
  char other[4200];
  path_of(other, sizeof other, "ct/pydicom_CT_small.dcm");
  const char *mixed[2] = {unc, other};
  CHECK(carm_dicom_read_volume(&c, NULL, mixed, 2) == CARM_ERR_FORMAT);
  CHECK_MSG(strstr(carm_last_error(), "mixed series") != NULL, "%s", carm_last_error());
  CHECK(c == NULL);
  /* the JPEG 2000 and uncompressed copies together: same positions */
  const char *both[2] = {j2k, unc};
  CHECK(carm_dicom_read_volume(&c, NULL, both, 2) == CARM_ERR_FORMAT);
  CHECK(c == NULL);

  for (int i = 0; i < n; i++) {
    free(files[i]);
  }
  carm_volume_destroy(a);
  carm_volume_destroy(b);
}

static void test_single_ct_codecs(void) {
  /* NEMA CT1 uncompressed and RLE (fragmented): identical voxels */
  char p1[4200];
  char p2[4200];
  path_of(p1, sizeof p1, "ct/nema_CT1_UNC.explicit_little_endian.dcm");
  path_of(p2, sizeof p2, "ct/fo-dicom_D_CLUNIE_CT1_RLE_FRAGS.dcm");
  carm_volume *a = NULL;
  carm_volume *b = NULL;
  CHECK(carm_dicom_read_image(&a, NULL, p1) == CARM_OK);
  CHECK(carm_dicom_read_image(&b, NULL, p2) == CARM_OK);
  if (a != NULL && b != NULL) {
    CHECK(carm_volume_same_grid(a, b, 1e-9));
    CHECK(memcmp(a->data, b->data, (size_t)carm_volume_count(a) * sizeof(float)) == 0);
  }
  carm_volume_destroy(a);
  carm_volume_destroy(b);
}

static void test_enhanced(void) {
  char p[4200];
  path_of(p, sizeof p, "enhanced/eCT_Supplemental.dcm");
  carm_volume *v = NULL;
  carm_dicom_meta m;
  const char *one[1] = {p};
  CHECK(carm_dicom_read_volume(&v, &m, one, 1) == CARM_OK);
  if (v == NULL) {
    return;
  }
  CHECK(v->dims[0] == 512 && v->dims[1] == 512 && v->dims[2] == 2);
  CHECK(strcmp(m.sop_class_uid, "1.2.840.10008.5.1.4.1.1.2.1") == 0);
  /* both frames hold different data */
  int64_t npix = v->dims[0] * v->dims[1];
  int64_t diff = 0;
  double s0 = 0;
  double s1 = 0;
  for (int64_t i = 0; i < npix; i++) {
    diff += v->data[i] != v->data[npix + i];
    s0 += v->data[i];
    s1 += v->data[npix + i];
  }
  CHECK(diff > npix / 10);
  CHECK(s0 != 0.0 && s1 != 0.0);
  /* slice normal and position difference agree (frames sorted along it) */
  CHECK_NEAR(v->spacing[2], 10.0, 1e-6);
  CHECK_NEAR(carm_mat3_det(v->direction), 1.0, 1e-9);
  carm_volume_destroy(v);
}

static void test_xa(void) {
  char p[4200];
  path_of(p, sizeof p, "xa/fo-dicom_XA_HasFragmentSequence_jpeg.dcm");
  carm_volume *proj = NULL;
  carm_geometry *geo = NULL;
  carm_dicom_meta m;
  CHECK(carm_dicom_read_xa(&proj, &geo, &m, p, NULL) == CARM_OK);
  if (proj == NULL) {
    return;
  }
  CHECK(proj->dims[0] == 512 && proj->dims[1] == 512 && proj->dims[2] == 96);
  CHECK(geo->n_views == 96);
  CHECK(geo->patient == CARM_PATIENT_HFS);
  CHECK(strcmp(m.modality, "XA") == 0);
  /* PositionerPrimaryAngle -32 (RAO 32), Secondary 2 (CRA 2), no increments */
  for (int64_t k = 0; k < geo->n_views; k++) {
    CHECK_NEAR(geo->views[k].gantry_angle_rad, 32.0 * M_PI / 180.0, 1e-12);
    CHECK_NEAR(geo->views[k].out_of_plane_rad, 2 * M_PI - 2.0 * M_PI / 180.0, 1e-12);
    CHECK_NEAR(geo->views[k].time_s, 0.033 * (double)k, 1e-12);
  }
  /* no SID/SDD/spacing in this file: the defaults, and a refusal on demand */
  CHECK_NEAR(geo->views[0].sid_mm, 785.0, 0);
  CHECK_NEAR(geo->views[0].sdd_mm, 1200.0, 0);
  carm_volume_destroy(proj);
  carm_geometry_destroy(geo);
  proj = NULL;
  geo = NULL;
  carm_dicom_xa_opts o = CARM_DICOM_XA_INIT;
  o.require_geometry = 1;
  CHECK(carm_dicom_read_xa(&proj, &geo, NULL, p, &o) == CARM_ERR_GEOMETRY);
  CHECK(strstr(carm_last_error(), "0018,1110") != NULL);
  CHECK(proj == NULL && geo == NULL);
}

static void test_seg(void) {
  char p[4200];
  path_of(p, sizeof p, "seg/pydicom-data_liver_SEG.dcm");
  carm_volume *v = NULL;
  CHECK(carm_dicom_read_image(&v, NULL, p) == CARM_OK);
  if (v != NULL) {
    CHECK(v->dims[2] == 3);
    double lo, hi;
    carm_volume_range(v, &lo, &hi);
    CHECK(lo == 0.0 && hi == 1.0);
    CHECK_NEAR(v->spacing[2], 1.0, 1e-6);
  }
  carm_volume_destroy(v);
}

int main(void) {
  const char *env = getenv("CARM_DATA");
  snprintf(data_dir, sizeof data_dir, "%s", env ? env : "../shared/data");
  char probe[4200];
  path_of(probe, sizeof probe, "ct-series-totalseg/original_j2k");
  struct stat sb;
  if (stat(probe, &sb) != 0) {
    printf("skip: %s not found (set CARM_DATA)\n", probe);
    return 77;
  }
  test_every_file();
  test_ct_series();
  test_single_ct_codecs();
  test_enhanced();
  test_xa();
  test_seg();
  return check_done();
}
