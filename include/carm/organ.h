/**
 * @file organ.h
 * @brief Organ and lesion segmentation built on the filters of seg.h: the
 * liver (delayed / portal phase), hyper-enhancing tumours (arterial phase),
 * and their measurements (volume, centroid, RECIST and mRECIST diameters).
 * Methods and their limits: docs/segmentation.md.
 *
 * Intensities: CT volumes in Hounsfield units and reconstructions in linear
 * attenuation (mm^-1) are both accepted; attenuation is converted with
 * HU = 1000 (mu / mu_water - 1) (CARM_MU_WATER_PER_MM unless the options say
 * otherwise), so every threshold below is in HU, relative to water.
 *
 * Frames: a volume's physical space is LPS (as every volume carm reads or
 * the twin paints) unless the options give `lps_from_physical` (a rotation
 * from the volume's physical frame to LPS, for volumes kept in another
 * frame). "Axial" means perpendicular to the patient's superior-inferior
 * axis, "right" the patient's right.
 *
 * Thread safety: calls on distinct output volumes may run concurrently.
 */
#ifndef CARM_ORGAN_H
#define CARM_ORGAN_H

#include "carm/core.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How to read the input's values. */
typedef enum carm_organ_units {
  CARM_ORGAN_UNITS_AUTO = 0, /**< attenuation when the largest finite value is < 1, else HU */
  CARM_ORGAN_UNITS_HU = 1,
  CARM_ORGAN_UNITS_MU = 2 /**< linear attenuation, mm^-1 */
} carm_organ_units;

/** Most seeds one call accepts. */
#define CARM_ORGAN_MAX_SEEDS 16

/** Options of carm_organ_liver (start from CARM_ORGAN_LIVER_OPTS_INIT). */
typedef struct carm_organ_liver_opts {
  int version;                              /**< 1 */
  carm_organ_units units;                   /**< default AUTO */
  double mu_water_per_mm;                   /**< <= 0: CARM_MU_WATER_PER_MM */
  double lps_from_physical[3][3];           /**< rotation, default identity */
  int n_seeds;                              /**< 0: find the liver automatically */
  double seeds_mm[CARM_ORGAN_MAX_SEEDS][3]; /**< points in the liver (physical mm) */
  double smooth_sigma_mm;                   /**< Gaussian before growing (default 2) */
  double window_sd;                         /**< half window in robust SDs (default 3.5) */
  double min_window_hu;                     /**< smallest half window (default 12 HU) */
  double max_window_hu;                     /**< largest half window (default 25 HU): a seed
                                                 near vessels must not open the window */
  double open_radius_mm;                    /**< cuts leaks into neighbours (default 9) */
  double close_radius_mm;                   /**< closes vessel notches (default 6) */
  carm_progress progress;                   /**< optional */
} carm_organ_liver_opts;

#define CARM_ORGAN_LIVER_OPTS_INIT                                                                 \
  {                                                                                                \
    1, CARM_ORGAN_UNITS_AUTO, 0.0, {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, 0, {{0}}, 2.0, 3.5, 12.0,    \
        25.0, 9.0, 6.0, {                                                                          \
      NULL, NULL                                                                                   \
    }                                                                                              \
  }

/** What carm_organ_liver found (may be NULL). */
typedef struct carm_organ_liver_info {
  double seed_mm[3];   /**< the seed used (given, or found) */
  double median_hu;    /**< parenchyma median (smoothed) */
  double sd_hu;        /**< robust SD (1.4826 MAD) of the parenchyma */
  double lo_hu, hi_hu; /**< growing window */
  double volume_ml;    /**< of the final mask */
} carm_organ_liver_info;

/**
 * Liver mask (0/1 in `mask`, caller-allocated on the grid of `vol`) from a
 * delayed/portal-phase volume, where the liver is a large homogeneous organ:
 * 1. Gaussian smoothing (smooth_sigma_mm);
 * 2. the seed: given, or found as the deepest point of the largest soft
 *    tissue component (20..250 HU after an opening of 8 mm) lying on the
 *    patient's right;
 * 3. the parenchyma's median and robust SD in the 10 mm ball around the
 *    seeds, refined on the core of a first growth (or, automatic, in the
 *    core of the chosen region); window median +- window_sd x SD, clamped
 *    to [min_window_hu, max_window_hu];
 * 4. region growing (6-connected) from the seeds inside the window;
 * 5. opening (open_radius_mm), keeping the component that holds the seed;
 * 6. closing (close_radius_mm), hole filling in 3D and on every axial slice
 *    (vessels and hypodense lesions are liver);
 * 7. one boundary layer of voxels above median - 2 x half window (the
 *    partial-volume edge).
 * Fails with CARM_ERR_NOTFOUND when no liver candidate or no growth is found.
 */
carm_status carm_organ_liver(carm_volume *mask, carm_organ_liver_info *info, const carm_volume *vol,
                             const carm_organ_liver_opts *opts);

/** Options of carm_organ_tumours (start from CARM_ORGAN_TUMOUR_OPTS_INIT). */
typedef struct carm_organ_tumour_opts {
  int version;                              /**< 1 */
  carm_organ_units units;                   /**< default AUTO */
  double mu_water_per_mm;                   /**< <= 0: CARM_MU_WATER_PER_MM */
  double lps_from_physical[3][3];           /**< rotation, default identity */
  int n_seeds;                              /**< 0: every hyper-enhancing lesion */
  double seeds_mm[CARM_ORGAN_MAX_SEEDS][3]; /**< points in tumours (physical mm) */
  double smooth_sigma_mm;                   /**< Gaussian (default 1) */
  double min_enhancement_hu;                /**< detection threshold above the parenchyma
                                                 median: max(this, 4 SD) (default 30) */
  double min_diameter_mm;                   /**< smaller lesions are dropped; also the
                                                 opening that removes vessels (default 8) */
  double max_elongation;                    /**< longest / shortest principal axis; longer
                                                 shapes are vessels (default 3) */
  carm_progress progress;                   /**< optional */
} carm_organ_tumour_opts;

#define CARM_ORGAN_TUMOUR_OPTS_INIT                                                                \
  {                                                                                                \
    1, CARM_ORGAN_UNITS_AUTO, 0.0, {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, 0, {{0}}, 1.0, 30.0, 8.0,    \
        3.0, {                                                                                     \
      NULL, NULL                                                                                   \
    }                                                                                              \
  }

/** What carm_organ_tumours measured (may be NULL). */
typedef struct carm_organ_tumour_info {
  double median_hu;    /**< parenchyma median (smoothed) */
  double sd_hu;        /**< parenchyma robust SD */
  double threshold_hu; /**< detection threshold; also the "enhancing" level for mRECIST */
} carm_organ_tumour_info;

/**
 * Hyper-enhancing tumours in an arterial-phase volume. `labels` (caller-
 * allocated on the grid of `arterial`) receives 1..n, largest first.
 * `liver` (0/1 on the same grid, may be NULL) restricts the search; without
 * it the parenchyma statistics come from a 20 mm ball around each seed (so
 * seeds are then required). Steps: smoothing; parenchyma median and robust
 * SD; detection at median + max(min_enhancement_hu, 4 SD); opening with a
 * ball of min_diameter_mm / 2 (removes vessels thinner than that); per
 * candidate, the lesion level (90th percentile of its voxels) and a final
 * region growing at the half-way level between parenchyma and lesion (the
 * half-maximum edge, unbiased under blur) within 3 mm of the candidate;
 * hole filling (necrotic cores belong to the lesion); components more
 * elongated than max_elongation are dropped. With seeds, only lesions that
 * contain a seed (or lie within 5 mm of one) are kept. `n_found` (may be
 * NULL) receives n (0 is not an error); `info` (may be NULL) the levels.
 */
carm_status carm_organ_tumours(carm_volume *labels, int64_t *n_found, carm_organ_tumour_info *info,
                               const carm_volume *arterial, const carm_volume *liver,
                               const carm_organ_tumour_opts *opts);

/** Measurements of one label (carm_organ_measure). */
typedef struct carm_organ_lesion {
  int64_t label;
  int64_t n_voxels;
  double volume_ml;
  double centroid_mm[3];     /**< physical frame of the volume */
  double centroid_lps_mm[3]; /**< patient LPS */
  double recist_mm;          /**< longest diameter on an axial slice (RECIST 1.1) */
  double recist_slice_mm;    /**< superior coordinate (LPS z) of that slice */
  double mrecist_mm;         /**< longest axial diameter of the enhancing part (mRECIST);
                                  NaN when no intensity volume was given */
  double enhancing_fraction; /**< enhancing voxels / all voxels (NaN without intensities) */
  double mean_hu;            /**< mean intensity in HU (NaN without intensities) */
} carm_organ_lesion;

/**
 * Measure labels 1..n_labels of `labels`: volume (voxel count x voxel
 * volume), centroid, the longest axial diameter (RECIST 1.1, Eisenhauer et
 * al., Eur J Cancer 2009: the longest in-plane diameter over the axial
 * slices) and, when `arterial` is given (HU or attenuation as in `opts`),
 * the longest axial diameter of the enhancing voxels (mRECIST, Lencioni and
 * Llovet, Semin Liver Dis 2010), a voxel enhancing when its value exceeds
 * `enhancing_threshold_hu`. Diameters are the largest distance between
 * midpoints of the lesion's boundary pixel edges in a slice (exact for
 * axis-aligned extents), slices being those of the index axis closest to the
 * superior axis. `out` receives n_labels entries (caller-allocated).
 * `units`, `mu_water_per_mm` and `lps_from_physical` are read from `opts`
 * (may be NULL: LPS, AUTO).
 */
carm_status carm_organ_measure(carm_organ_lesion *out, int64_t n_labels, const carm_volume *labels,
                               const carm_volume *arterial, double enhancing_threshold_hu,
                               const carm_organ_tumour_opts *opts);

/** Dice coefficient 2|A and B| / (|A| + |B|) of two masks (value > 0.5) on
 * the same dims; 1 when both are empty. */
carm_status carm_organ_dice(double *dice, const carm_volume *a, const carm_volume *b);

/** Fill the holes of a mask (background components not touching the volume
 * border, 6-connected) in 3D and then on every slice across `axis` (0..2;
 * -1: 3D only). `out` may equal `mask`. */
carm_status carm_organ_fill_holes(carm_volume *out, const carm_volume *mask, int axis);

#ifdef __cplusplus
}
#endif
#endif
