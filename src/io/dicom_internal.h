/* Internal helpers shared by src/io/dicom_*.c (not public API). */
#ifndef CARM_IO_DICOM_INTERNAL_H
#define CARM_IO_DICOM_INTERNAL_H

#include "carm/core.h"

/** Walk the element structure of the file at `path` (lengths, sequences,
 * items, nesting) without interpreting values; CARM_ERR_FORMAT with the
 * reason when it is not sound. Every file goes through this before GDCM,
 * whose Debian build asserts (aborts) on some malformed input. */
carm_status carm__dicom_precheck(const char *path);

#endif
