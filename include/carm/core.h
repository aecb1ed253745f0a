/**
 * @file core.h
 * @brief carm core: status codes, error detail, volumes, small linear algebra,
 * progress reporting.
 *
 * Thread safety: every function here is safe to call from several threads on
 * distinct objects; the error detail is thread-local.
 */
#ifndef CARM_CORE_H
#define CARM_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes: 0 is success, errors are negative. Append only: never
 * renumber or remove a code. */
typedef enum carm_status {
  CARM_OK = 0,
  CARM_ERR_NOMEM = -1,       /**< out of memory */
  CARM_ERR_INVALID = -2,     /**< invalid argument */
  CARM_ERR_IO = -3,          /**< file or stream error */
  CARM_ERR_FORMAT = -4,      /**< malformed or corrupt input */
  CARM_ERR_UNSUPPORTED = -5, /**< valid input that carm does not handle */
  CARM_ERR_RANGE = -6,       /**< value or size out of the allowed range */
  CARM_ERR_CANCELLED = -7,   /**< cancelled through a progress callback */
  CARM_ERR_GEOMETRY = -8,    /**< inconsistent or impossible geometry */
  CARM_ERR_NOTFOUND = -9,    /**< a named thing does not exist */
  CARM_ERR_INTERNAL = -10    /**< a bug in carm */
} carm_status;

/** A short, static description of a status code (never NULL). */
const char *carm_strerror(carm_status status);

/** The calling thread's last one-line error detail ("" when none). Valid
 * until the next carm call on this thread. */
const char *carm_last_error(void);

/** Set the calling thread's error detail (printf format) and return
 * `status`, so that a failing function can `return carm_error(...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
carm_status
carm_error(carm_status status, const char *fmt, ...);

/** Clear the calling thread's error detail. */
void carm_error_clear(void);

/** Check, before writing, that `path` may be replaced by an atomic write
 * (a temporary file in the same folder, then rename). Fails with
 * CARM_ERR_IO when `path` names a folder, or an existing file that is not a
 * regular file (a device such as /dev/null, a FIFO, a socket): renaming
 * over it would destroy it. A missing `path` passes. Thread-safe. */
carm_status carm_output_check(const char *path);

/** An output file being written atomically (carm_output_open). */
typedef struct carm_output carm_output;

/** Begin an atomic write of `path`: check it (carm_output_check), then create
 * a new temporary file with a unique name in the same folder
 * (`<path>.tmp-XXXXXX`, mkstemp: never an existing file or link, so no other
 * file is clobbered and concurrent writers do not collide), mode 0644.
 * Write through carm_output_file(), then carm_output_commit() or
 * carm_output_discard(); every path of the caller must reach one of them.
 * On failure *out is NULL and nothing is left on disk. Thread-safe on
 * distinct outputs. */
carm_status carm_output_open(carm_output **out, const char *path);

/** The stream to write to (owned by the output; do not close it). */
FILE *carm_output_file(carm_output *out);

/** The temporary file's name, for libraries that can only write to a named
 * file (they overwrite the empty file created by carm_output_open). */
const char *carm_output_temp_path(const carm_output *out);

/** Finish: flush, fsync and close the stream and rename the temporary file
 * over the final path. On any error (a write error seen by the stream, a full disk at
 * close, a failed rename) the temporary file is removed, the final path is
 * left as it was and CARM_ERR_IO is returned. Always frees `out`. */
carm_status carm_output_commit(carm_output *out);

/** Abandon: close the stream, remove the temporary file, free `out`. The
 * final path is left as it was. NULL-safe. Keeps the thread's error detail. */
void carm_output_discard(carm_output *out);

/** The library's version string, e.g. "0.1.0". */
const char *carm_version(void);

/** Linear attenuation of water (mm⁻¹) used wherever carm converts between
 * attenuation and Hounsfield units: μ = μ_water·(1 + HU/1000). 0.0206 mm⁻¹
 * is water at about 60 keV, the effective energy of a C-arm abdominal
 * protocol; the simulator and the reconstructions share it so HU round-trip. */
#define CARM_MU_WATER_PER_MM 0.0206

/* ---- progress ---------------------------------------------------------- */

/** Progress callback: `fraction` in [0, 1], `stage` a short label. Return
 * non-zero to ask the operation to stop; it then fails with
 * CARM_ERR_CANCELLED. May be called from any thread, never concurrently. */
typedef int (*carm_progress_fn)(void *user, double fraction, const char *stage);

typedef struct carm_progress {
  carm_progress_fn fn; /**< NULL: no reporting */
  void *user;
} carm_progress;

/** Report progress; returns 1 when the callback asked to cancel. NULL-safe. */
int carm_progress_report(const carm_progress *progress, double fraction, const char *stage);

/* ---- volumes ------------------------------------------------------------ */

/** Largest number of bytes one volume may hold (64 GiB): larger requests are
 * refused with CARM_ERR_RANGE before any allocation. */
#define CARM_VOLUME_MAX_BYTES ((int64_t)64 << 30)

/**
 * A 3D image of float32 voxels, x fastest. Also a projection stack: x =
 * detector u, y = detector v, z = view; origin and spacing then map pixel
 * indices to detector millimetres.
 *
 * Physical point of index (i, j, k): origin + direction · (spacing ∘ ijk),
 * in LPS millimetres (ITK convention: origin is the centre of voxel 0).
 */
typedef struct carm_volume {
  int64_t dims[3];        /**< voxels along x, y, z; each >= 1 */
  double spacing[3];      /**< mm, each > 0 */
  double origin[3];       /**< mm, centre of the first voxel */
  double direction[3][3]; /**< columns are the axis directions (unit) */
  float *data;            /**< dims[0]*dims[1]*dims[2] values, owned */
} carm_volume;

/** Allocate a zero-filled volume with spacing 1, origin 0, identity
 * direction. Fails with CARM_ERR_RANGE for dims < 1 or a size over
 * CARM_VOLUME_MAX_BYTES, CARM_ERR_NOMEM when allocation fails. */
carm_status carm_volume_create(carm_volume **out, const int64_t dims[3]);

/** Allocate a zero-filled volume with the grid (dims, spacing, origin,
 * direction) of `like`. */
carm_status carm_volume_create_like(carm_volume **out, const carm_volume *like);

/** Deep copy. */
carm_status carm_volume_clone(carm_volume **out, const carm_volume *src);

/** Free a volume and its data. NULL-safe. */
void carm_volume_destroy(carm_volume *vol);

/** Number of voxels. */
int64_t carm_volume_count(const carm_volume *vol);

/** Check that dims, spacing, origin and direction are valid (dims >= 1,
 * finite positive spacing, finite origin, invertible direction). */
carm_status carm_volume_check_grid(const carm_volume *vol);

/** Copy dims, spacing, origin and direction from `src` to `dst` (no data). */
void carm_volume_copy_grid(carm_volume *dst, const carm_volume *src);

/** Whether two volumes share dims and (to `tol_mm`) spacing, origin and
 * direction. */
int carm_volume_same_grid(const carm_volume *a, const carm_volume *b, double tol_mm);

/** Continuous index → physical point (mm). */
void carm_volume_index_to_point(const carm_volume *vol, const double ijk[3], double xyz[3]);

/** Physical point (mm) → continuous index. */
void carm_volume_point_to_index(const carm_volume *vol, const double xyz[3], double ijk[3]);

/** Smallest and largest finite value; both NaN when there is none. */
void carm_volume_range(const carm_volume *vol, double *min, double *max);

/** Voxel at (i, j, k), no bounds check. */
static inline float carm_volume_at(const carm_volume *v, int64_t i, int64_t j, int64_t k) {
  return v->data[(k * v->dims[1] + j) * v->dims[0] + i];
}

/* ---- random numbers (xoshiro256**, reproducible across platforms) ------ */

typedef struct carm_rng {
  uint64_t s[4];
} carm_rng;

/** Seed a generator (splitmix64 expansion of `seed`). */
void carm_rng_seed(carm_rng *rng, uint64_t seed);
/** Next 64 random bits. */
uint64_t carm_rng_next(carm_rng *rng);
/** Uniform double in [0, 1). */
double carm_rng_uniform(carm_rng *rng);
/** Standard normal deviate (Box–Muller, no cached state). */
double carm_rng_normal(carm_rng *rng);

/* ---- small linear algebra (double, row-major) --------------------------- */

void carm_mat3_identity(double m[3][3]);
void carm_mat3_mul(const double a[3][3], const double b[3][3], double out[3][3]);
void carm_mat3_transpose(const double a[3][3], double out[3][3]);
double carm_mat3_det(const double a[3][3]);
/** Inverse; returns CARM_ERR_RANGE when |det| < 1e-300 (singular). */
carm_status carm_mat3_inverse(const double a[3][3], double out[3][3]);
void carm_mat3_apply(const double m[3][3], const double v[3], double out[3]);
/** Rotation matrices about x, y, z (right-handed, angle in radians). */
void carm_mat3_rot_x(double angle_rad, double out[3][3]);
void carm_mat3_rot_y(double angle_rad, double out[3][3]);
void carm_mat3_rot_z(double angle_rad, double out[3][3]);
/** out = P · (x, y, z, 1); returns the homogeneous (a, b, w). */
void carm_mat34_apply(const double p[3][4], const double x[3], double out[3]);
double carm_vec3_dot(const double a[3], const double b[3]);
void carm_vec3_cross(const double a[3], const double b[3], double out[3]);
double carm_vec3_norm(const double a[3]);
/** Normalise in place; returns the former length. */
double carm_vec3_normalize(double a[3]);

#ifdef __cplusplus
}
#endif
#endif
