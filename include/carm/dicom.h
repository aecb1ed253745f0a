/**
 * @file dicom.h
 * @brief DICOM in and out: CT/MR series and Enhanced multi-frame objects into
 * volumes, X-ray angiography runs into projection stacks with their nominal
 * geometry, and volumes, label maps, pictures and XA runs back out as DICOM.
 * Decoding is done by GDCM (every transfer syntax it knows, JPEG 2000
 * included) behind a small internal adapter; see docs/dicom.md.
 *
 * Volumes are float32 in LPS millimetres (core.h). Stored pixel values are
 * turned into real-world values with Rescale Slope/Intercept (HU for CT).
 *
 * Thread safety: reading and writing distinct files from distinct threads is
 * safe.
 */
#ifndef CARM_DICOM_H
#define CARM_DICOM_H

#include "carm/core.h"
#include "carm/geometry.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What carm reads about a DICOM object besides its pixels (strings are
 * NUL-terminated, "" when absent; numbers 0 or NaN when absent). */
typedef struct carm_dicom_meta {
  char sop_class_uid[65];
  char sop_instance_uid[65];
  char transfer_syntax_uid[65];
  char modality[17];
  char study_instance_uid[65];
  char series_instance_uid[65];
  char frame_of_reference_uid[65];
  char patient_name[65];
  char patient_id[65];
  char patient_birth_date[9];
  char patient_sex[17];
  char patient_position[17]; /**< e.g. "HFS" */
  char study_date[9];
  char study_time[17];
  char study_id[17];
  char accession_number[17];
  char referring_physician[65];
  char study_description[65];
  char series_description[65];
  char manufacturer[65];
  char photometric[17];
  int64_t series_number;
  int64_t rows, columns, frames; /**< of one object */
  int64_t n_objects;             /**< files that made the volume (reads) */
  double rescale_slope;          /**< of the first frame (1 when absent) */
  double rescale_intercept;      /**< of the first frame (0 when absent) */
} carm_dicom_meta;

/** Read the header of one DICOM file (no pixel decoding). Fails with
 * CARM_ERR_FORMAT on a file that is not DICOM or is corrupt. */
carm_status carm_dicom_read_meta(carm_dicom_meta *meta, const char *path);

/**
 * Read a CT/MR image series into a volume (HU for CT).
 *
 * `paths` names `n_paths` files or folders (a folder contributes its regular
 * files, non-recursively; files in a folder that are not DICOM, DICOMDIR
 * and DICOM objects without pixel data are skipped, but a broken DICOM file
 * fails the read; a named file must be a DICOM image).
 * - One object with several frames (Enhanced CT/MR with per-frame functional
 *   groups, or any multi-frame image): its frames become the slices.
 * - Several single-frame objects: they must share Series Instance UID,
 *   orientation, rows, columns and pixel spacing (otherwise CARM_ERR_FORMAT
 *   naming the file and the difference); slices are sorted by their position
 *   along the slice normal (cross product of the Image Orientation rows),
 *   the slice spacing comes from the positions (not Slice Thickness) and must
 *   be uniform within 1 % (two slices at one position are refused).
 * The direction matrix comes from Image Orientation (Patient); column 3 is
 * the slice normal. `meta` (may be NULL) receives the first object's header,
 * with n_objects set.
 */
carm_status carm_dicom_read_volume(carm_volume **out, carm_dicom_meta *meta,
                                   const char *const *paths, size_t n_paths);

/** Read any single DICOM image object (any modality, single or multi-frame)
 * into a volume whose slices are its frames: RGB is turned into luminance
 * (0.299 R + 0.587 G + 0.114 B), stored values are rescaled, and the grid
 * comes from whatever the object states (per-frame functional groups, Image
 * Position/Orientation, Pixel Spacing, Imager Pixel Spacing; spacing 1 and
 * identity otherwise). `meta` may be NULL. */
carm_status carm_dicom_read_image(carm_volume **out, carm_dicom_meta *meta, const char *path);

/* ---- X-ray angiography runs ----------------------------------------------- */

/** Options for carm_dicom_read_xa; start with CARM_DICOM_XA_INIT. */
typedef struct carm_dicom_xa_opts {
  int version;                  /**< must be 1 */
  double default_sid_mm;        /**< used when (0018,9402) and (0018,1111) are absent */
  double default_sdd_mm;        /**< used when (0018,1110) is absent */
  double default_pixel_mm;      /**< used when (0018,1164) is absent */
  int require_geometry;         /**< non-zero: refuse a run without SID, SDD and spacing */
  const char *calibration_path; /**< per-frame 3x4 matrices overriding the nominal
                                     geometry (carm_dicom_read_calibration), or NULL */
} carm_dicom_xa_opts;

#define CARM_DICOM_XA_INIT                                                                         \
  { 1, 785.0, 1200.0, 0.3, 0, NULL }

/**
 * Read an X-ray angiography (or fluoroscopy) multi-frame run as a projection
 * stack and its nominal geometry.
 *
 * The stack is x = detector column, y = detector row, z = frame, spacing from
 * Imager Pixel Spacing (0018,1164), identity direction and the origin such
 * that detector coordinates (u, v) are 0 at the image centre: u grows with
 * the column (towards the patient's left in an AP view), v with the row
 * (towards the feet). The geometry has patient position CARM_PATIENT_HFS.
 * Frame k has primary angle A + ΣΔA and secondary angle B + ΣΔB, the sums
 * over the increments (0018,1520)/(0018,1521) of frames 0..k (the first
 * increment is normally 0); a single-valued increment applies to every frame.
 * Each view is carm_dicom_positioner_to_view(). Time stamps come from Frame
 * Time Vector (0018,1065) or Frame Time (0018,1063).
 * A calibration file in `opts` replaces the nominal views (its view count
 * must equal the number of frames).
 */
carm_status carm_dicom_read_xa(carm_volume **projections, carm_geometry **geometry,
                               carm_dicom_meta *meta, const char *path,
                               const carm_dicom_xa_opts *opts);

/**
 * The nominal view of a C-arm at DICOM positioner angles, for a geometry
 * with patient position CARM_PATIENT_HFS (geometry.h): primary angle
 * positive = LAO (negative = RAO), secondary positive = CRA (negative =
 * CAU). Sets gantry angle = −primary, out-of-plane angle = −secondary,
 * in-plane 0, no offsets (docs/dicom.md derives the signs). Keeps
 * view->time_s. Refuses |secondary| > 90° and SDD <= SID.
 */
carm_status carm_dicom_positioner_to_view(carm_view *view, double primary_deg, double secondary_deg,
                                          double sid_mm, double sdd_mm);

/** Read a calibration file: per view, 12 numbers (a 3x4 matrix, row-major)
 * separated by white space or commas; '#' starts a comment. Each matrix is
 * decomposed into the nine parameters (carm_view_from_matrix) and kept as
 * given. */
carm_status carm_dicom_read_calibration(carm_geometry **out, const char *path);

/* ---- writing --------------------------------------------------------------- */

/** Options for the writers; start with CARM_DICOM_WRITE_INIT. */
typedef struct carm_dicom_write_opts {
  int version;                    /**< must be 1 */
  const char *like;               /**< DICOM file or folder whose patient and study
                                       are carried over (NULL: a new study) */
  int deidentify;                 /**< basic profile, see docs/dicom.md */
  int new_frame_of_reference;     /**< non-zero: never reuse `like`'s frame of reference */
  const char *series_description; /**< NULL: a default per writer */
  const char *derivation;         /**< Derivation Description; NULL: a default */
  int64_t series_number;          /**< 0: 900 */
} carm_dicom_write_opts;

#define CARM_DICOM_WRITE_INIT                                                                      \
  { 1, NULL, 0, 0, NULL, NULL, 0 }

/** Write a volume as a classic CT Image Storage series, one file per slice
 * (IM00001.dcm, ...), into the folder `dir`, which must not exist or be
 * empty; the series is written into a temporary sibling folder and renamed,
 * so `dir` never holds a partial series. Values are stored as int16 with
 * Rescale Slope 1 when they fit (HU), otherwise with a slope that keeps
 * them. The frame of reference is `like`'s when it has one (the volume is
 * assumed to lie in the source's patient frame) unless
 * opts->new_frame_of_reference. `opts` may be NULL. */
carm_status carm_dicom_write_ct_series(const carm_volume *vol, const char *dir,
                                       const carm_dicom_write_opts *opts);

/** Write a volume as one Enhanced CT Image Storage object (one frame per
 * slice, per-frame Plane Position, shared Plane Orientation, Pixel Measures
 * and Pixel Value Transformation), atomically. */
carm_status carm_dicom_write_enhanced_ct(const carm_volume *vol, const char *path,
                                         const carm_dicom_write_opts *opts);

/** Write a label volume as a binary DICOM Segmentation: each distinct
 * positive integer label L (voxels rounded to the nearest integer) becomes
 * a segment, numbered 1..N in increasing L and labelled "Label L", with one
 * frame per segment and slice that holds it. Atomic. Reading a SEG back
 * (carm_dicom_read_image) gives segment numbers as voxel values. */
carm_status carm_dicom_write_seg(const carm_volume *labels, const char *path,
                                 const carm_dicom_write_opts *opts);

/** Write an RGB picture (width × height × 3 bytes, row-major, R first) as a
 * Secondary Capture image, atomically. */
carm_status carm_dicom_write_sc(const uint8_t *rgb, int64_t width, int64_t height, const char *path,
                                const carm_dicom_write_opts *opts);

/** Write a projection stack and its geometry as an X-ray angiography
 * multi-frame object (Positioner Primary/Secondary Angle of the first view
 * and per-frame increments, SID, SDD, Imager Pixel Spacing, Frame Time),
 * atomically. Values are clamped to [0, 65535] and stored as uint16. The
 * geometry must have patient position CARM_PATIENT_HFS (the angles are
 * patient-relative) and every view must be nominal (offsets and in-plane
 * angle 0, common SID/SDD); otherwise CARM_ERR_UNSUPPORTED. */
carm_status carm_dicom_write_xa(const carm_volume *projections, const carm_geometry *geometry,
                                const char *path, const carm_dicom_write_opts *opts);

/** A new UID of the form 2.25.<128-bit random number in decimal>. `buf`
 * must hold 65 bytes. */
carm_status carm_dicom_new_uid(char buf[65]);

#ifdef __cplusplus
}
#endif
#endif
