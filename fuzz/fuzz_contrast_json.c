/* Fuzz harness: contrast protocols in JSON (carm_contrast_read_memory). Any
 * input must be read or refused cleanly, never crash or leak; a protocol
 * that is read is used as callers would: curves and compartments evaluated,
 * written back to text and read again. */
#include "carm/twin.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  carm_contrast_protocol p;
  carm_contrast_default(&p);
  if (carm_contrast_read_memory(&p, data, size) != CARM_OK) {
    return 0;
  }
  const double times[] = {-1.0, 0.0, 3.5, 20.0, 1e6};
  for (int c = 0; c < CARM_TWIN_C_COUNT; c++) {
    for (size_t t = 0; t < sizeof times / sizeof times[0]; t++) {
      (void)carm_contrast_hu(&p, c, times[t]);
    }
  }
  char *text = carm_contrast_to_string(&p);
  if (text != NULL) {
    carm_contrast_protocol q;
    carm_contrast_default(&q);
    if (carm_contrast_read_memory(&q, text, strlen(text)) != CARM_OK) {
      abort(); /* what we write must read back */
    }
    free(text);
  }
  return 0;
}
