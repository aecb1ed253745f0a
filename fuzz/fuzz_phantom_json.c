/* Fuzz harness: analytic phantom scenes in JSON (carm_phantom_read_json_memory).
 * Any input must be read or refused cleanly, never crash or leak; a scene
 * that is read is then used as callers would: values, line integrals and a
 * tiny voxelisation. */
#include "carm/phantom.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  carm_phantom *ph = NULL;
  if (carm_phantom_read_json_memory(&ph, data, size) != CARM_OK) {
    return 0;
  }
  const double p[3] = {1.0, -2.0, 3.0};
  const double d[3] = {0.3, 1.0, -0.2};
  (void)carm_phantom_value(ph, p);
  (void)carm_phantom_line_integral(ph, p, d, -HUGE_VAL, HUGE_VAL);
  (void)carm_phantom_line_integral(ph, p, d, 0.0, 1.0);
  const int64_t dims[3] = {4, 3, 2};
  carm_volume *vol = NULL;
  if (ph->n_shapes <= 1000 && carm_volume_create(&vol, dims) == CARM_OK) {
    (void)carm_phantom_voxelize(ph, vol, 2);
    carm_volume_destroy(vol);
  }
  carm_phantom_destroy(ph);
  return 0;
}
