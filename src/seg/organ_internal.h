/* Helpers shared by src/seg/organ_*.c (not public). */
#ifndef CARM_ORGAN_INTERNAL_H
#define CARM_ORGAN_INTERNAL_H

#include "carm/organ.h"
#include "carm/seg.h"

#include <stdint.h>

/* A new volume holding `in` in HU (converted from attenuation when `units`
 * says so or AUTO finds values < 1). */
carm_status organ_to_hu(carm_volume **out, const carm_volume *in, carm_organ_units units,
                        double mu_water_per_mm);

/* Median and robust SD (1.4826 x median absolute deviation) of n values
 * (the array is reordered). n >= 1. */
void organ_median_sd(float *values, int64_t n, double *median, double *sd);

/* q-quantile (0..1) of n values (reordered). n >= 1. */
double organ_quantile(float *values, int64_t n, double q);

/* Index axis (0..2) whose physical direction is closest to the patient's
 * superior axis. */
int organ_axial_axis(const carm_volume *v, const double lps_from_physical[3][3]);

/* LPS point of a physical point. */
void organ_to_lps(const double lps_from_physical[3][3], const double p[3], double out[3]);

/* Validate a 3x3 rotation (orthonormal within 1e-6). */
carm_status organ_check_rotation(const double m[3][3]);

/* Nearest voxel of a physical point; CARM_ERR_INVALID outside the volume. */
carm_status organ_point_voxel(const carm_volume *v, const double p_mm[3], int64_t ijk[3]);

/* Allocate a zero volume on the grid of `like` (CARM_ERR_NOMEM detail set). */
carm_status organ_like(carm_volume **out, const carm_volume *like);

#endif
