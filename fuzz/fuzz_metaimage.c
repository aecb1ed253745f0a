/* Fuzz harness: the input bytes as a .mha file for carm_image_read
 * (fuzz_image_file.h). */
#include "fuzz_image_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_image_file(data, size, ".mha");
}
