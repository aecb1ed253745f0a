/**
 * @file io.h
 * @brief Image file formats: MetaImage (.mha/.mhd) and NIfTI-1/2
 * (.nii/.nii.gz). Volumes are always float32 in memory, LPS millimetres.
 *
 * Thread safety: reading and writing distinct files is thread-safe.
 */
#ifndef CARM_IO_H
#define CARM_IO_H

#include "carm/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Element type of a file on disk. */
typedef enum carm_dtype {
  CARM_DTYPE_UNKNOWN = 0,
  CARM_DTYPE_U8,
  CARM_DTYPE_I8,
  CARM_DTYPE_U16,
  CARM_DTYPE_I16,
  CARM_DTYPE_U32,
  CARM_DTYPE_I32,
  CARM_DTYPE_F32,
  CARM_DTYPE_F64
} carm_dtype;

/** Name of a dtype ("uint8", "float32", ...). */
const char *carm_dtype_name(carm_dtype dtype);

/** What a reader learnt about the file besides the voxels. */
typedef struct carm_image_info {
  carm_dtype dtype; /**< element type on disk */
  int compressed;   /**< zlib/gzip-compressed data */
  char format[16];  /**< "MetaImage", "NIfTI-1", "NIfTI-2" */
  double scl_slope; /**< NIfTI scaling applied (1 when none) */
  double scl_inter; /**< NIfTI scaling applied (0 when none) */
} carm_image_info;

/** Options for writing; start with CARM_WRITE_INIT. */
typedef struct carm_write_opts {
  int version;      /**< must be 1 */
  carm_dtype dtype; /**< element type on disk; values are rounded and
                         clamped to its range (default float32) */
  int compress;     /**< MetaImage: zlib ElementDataFile; .nii.gz is always
                         compressed and .nii never */
} carm_write_opts;

#define CARM_WRITE_INIT                                                                            \
  { 1, CARM_DTYPE_F32, 0 }

/** Read any supported image (chosen by content and suffix). `info` may be
 * NULL. Fails with a message naming the problem on corrupt, truncated or
 * absurd files; never returns a partial volume. */
carm_status carm_image_read(carm_volume **out, carm_image_info *info, const char *path);

/** Write an image; the format follows the suffix (.mha, .mhd, .nii,
 * .nii.gz). Written atomically: a temporary file in the same folder, then
 * rename, so no partial file is ever left at `path`. `opts` may be NULL.
 * Integer dtypes round half away from zero, clamp, and store NaN as 0.
 * NIfTI: version 1 unless a dimension exceeds 32767 (then 2), RAS sform and
 * qform with code 1 (scanner). .mhd writes its data to <name>.raw (.zraw
 * when compressed) beside it. Conventions: docs/formats.md. */
carm_status carm_image_write(const carm_volume *vol, const char *path, const carm_write_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
