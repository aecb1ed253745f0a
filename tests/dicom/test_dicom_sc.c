/* Secondary Capture: an RGB picture written by carm passes dciodvfy, reads
 * back through pydicom (when Debian's python3-pydicom is there) with the
 * same pixels, and through carm as luminance; bad arguments are refused. */
#include "carm/dicom.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  char dir[] = "/tmp/carm_dicom_sc_XXXXXX";
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  const int64_t w = 37;
  const int64_t h = 23;
  uint8_t *rgb = malloc((size_t)(w * h * 3));
  if (rgb == NULL) {
    return 1;
  }
  uint64_t sum = 0;
  for (int64_t i = 0; i < w * h * 3; i++) {
    rgb[i] = (uint8_t)((i * 7 + i / 3) & 0xff);
    sum += rgb[i];
  }
  char path[256];
  snprintf(path, sizeof path, "%s/pic.dcm", dir);
  carm_dicom_write_opts o = CARM_DICOM_WRITE_INIT;
  o.deidentify = 1;
  CHECK(carm_dicom_write_sc(rgb, w, h, path, &o) == CARM_OK);

  if (system("command -v dciodvfy >/dev/null 2>&1") == 0) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "dciodvfy '%s' 2>&1 | grep -c '^Error'", path);
    FILE *p = popen(cmd, "r");
    int errors = -1;
    if (p != NULL) {
      CHECK(fscanf(p, "%d", &errors) == 1);
      pclose(p);
    }
    CHECK_MSG(errors == 0, "dciodvfy reports %d errors", errors);
  }
  if (access("/usr/bin/python3", X_OK) == 0 &&
      system("/usr/bin/python3 -c 'import pydicom' 2>/dev/null") == 0) {
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import pydicom,sys; d=pydicom.dcmread(sys.argv[1]); "
             "a=d.pixel_array; print(a.shape[0], a.shape[1], a.shape[2], int(a.astype('int64')"
             ".sum()), d.PhotometricInterpretation, d.PatientIdentityRemoved)\" '%s'",
             path);
    FILE *p = popen(cmd, "r");
    long long r = 0, c = 0, s = 0, sum_py = -1;
    char pi[32] = "";
    char removed[8] = "";
    if (p != NULL) {
      CHECK(fscanf(p, "%lld %lld %lld %lld %31s %7s", &r, &c, &s, &sum_py, pi, removed) == 6);
      pclose(p);
    }
    CHECK(r == h && c == w && s == 3);
    CHECK(sum_py == (long long)sum);
    CHECK(strcmp(pi, "RGB") == 0 && strcmp(removed, "YES") == 0);
  } else {
    printf("note: pydicom not available, independent read-back skipped\n");
  }
  carm_volume *v = NULL;
  CHECK(carm_dicom_read_image(&v, NULL, path) == CARM_OK);
  if (v != NULL) {
    CHECK(v->dims[0] == w && v->dims[1] == h && v->dims[2] == 1);
    const uint8_t *px = rgb + 3 * (5 * w + 7);
    CHECK_NEAR(carm_volume_at(v, 7, 5, 0), 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2], 1e-3);
  }
  carm_volume_destroy(v);
  /* refusals leave nothing behind */
  char bad[256];
  snprintf(bad, sizeof bad, "%s/bad.dcm", dir);
  CHECK(carm_dicom_write_sc(rgb, 0, h, bad, NULL) == CARM_ERR_RANGE);
  CHECK(carm_dicom_write_sc(NULL, w, h, bad, NULL) == CARM_ERR_INVALID);
  o.version = 2;
  CHECK(carm_dicom_write_sc(rgb, w, h, bad, &o) == CARM_ERR_INVALID);
  struct stat sb;
  CHECK(stat(bad, &sb) != 0);
  remove(path);
  rmdir(dir);
  free(rgb);
  return check_done();
}
