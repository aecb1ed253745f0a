/* Fuzz harness for the DICOM readers: the input is written to a temporary
 * file (GDCM reads files) and given to every reader; any result is fine
 * except a crash, a leak or a partial output. */
#include "carm/dicom.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[] = "/tmp/carm_fuzz_dicom_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    return 0;
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) {
      break;
    }
    done += (size_t)n;
  }
  close(fd);
  carm_dicom_meta meta;
  carm_volume *vol = NULL;
  carm_geometry *geo = NULL;
  if (carm_dicom_read_meta(&meta, path) == CARM_OK) {
    if (carm_dicom_read_image(&vol, &meta, path) == CARM_OK) {
      carm_volume_destroy(vol);
      vol = NULL;
    }
    if (carm_dicom_read_xa(&vol, &geo, NULL, path, NULL) == CARM_OK) {
      carm_volume_destroy(vol);
      carm_geometry_destroy(geo);
      vol = NULL;
      geo = NULL;
    }
    const char *one[1] = {path};
    if (carm_dicom_read_volume(&vol, NULL, one, 1) == CARM_OK) {
      carm_volume_destroy(vol);
    }
  }
  unlink(path);
  return 0;
}
