/* Internal helpers shared by the image readers and writers in src/io/:
 * element types, decoding to float32, encoding with rounding and clamping,
 * atomic temporary files. Not a public API. */
#ifndef CARM_IO_INTERNAL_H
#define CARM_IO_INTERNAL_H

#include "carm/io.h"

#include <stdint.h>
#include <stdio.h>

/** Bytes per element of `dtype` (0 for CARM_DTYPE_UNKNOWN). */
size_t io_dtype_size(carm_dtype dtype);

/** Whether this machine stores integers most significant byte first. */
int io_host_is_msb(void);

/** Decode `n` elements of `dtype` at `src` (byte-swapped when `swap`) into
 * float32, then apply `value * slope + inter` when `scale` is non-zero. */
void io_decode(float *dst, const unsigned char *src, size_t n, carm_dtype dtype, int swap,
               int scale, double slope, double inter);

/** Encode `n` float32 values to `dtype` in host byte order. Integer types
 * round to nearest (halves away from zero) and clamp to the type's range;
 * NaN becomes 0. */
void io_encode(unsigned char *dst, const float *src, size_t n, carm_dtype dtype);

/** Pull up to `cap` bytes into `buf`; returns the count (0 at the end) or a
 * negative carm_status with the error detail set. */
typedef int64_t (*io_read_fn)(void *ctx, unsigned char *buf, size_t cap);

/** Fill `vol->data` from a byte stream of `dtype` elements. Fails with a
 * message naming `what` when the stream ends before every voxel was read. */
carm_status io_read_voxels(carm_volume *vol, io_read_fn read, void *ctx, carm_dtype dtype, int swap,
                           int scale, double slope, double inter, const char *what);

/** Whether `path` ends with `suffix`, ignoring case. */
int io_has_suffix(const char *path, const char *suffix);

/** Re-raise the current error detail as "path: detail" (once). */
carm_status io_error_prefix(carm_status st, const char *path);

/** Check a volume before writing (grid valid, data present). */
carm_status io_check_writable(const carm_volume *vol);

/* Format back ends. */
carm_status io_metaimage_read(carm_volume **out, carm_image_info *info, const char *path);
carm_status io_metaimage_write(const carm_volume *vol, const char *path,
                               const carm_write_opts *opts);
carm_status io_nifti_read(carm_volume **out, carm_image_info *info, const char *path);
/** Write NIfTI; `version` 1 or 2, or 0 to choose NIfTI-1 unless a dimension
 * exceeds its 16-bit range. Compressed when `path` ends with ".gz". */
carm_status io_nifti_write(const carm_volume *vol, const char *path, const carm_write_opts *opts,
                           int version);

#endif
