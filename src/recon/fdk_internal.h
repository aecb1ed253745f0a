/* Internals of the FDK plan, shared by fdk.c (plan, filter) and
 * fdk_backproject.c (the hot loop). Not a public header. */
#ifndef CARM_RECON_FDK_INTERNAL_H
#define CARM_RECON_FDK_INTERNAL_H

#include "carm/recon.h"

#include <fftw3.h>

typedef struct carm_fdk_plan fdk_plan_data;

struct carm_fdk_plan {
  carm_fdk_opts opts;
  carm_fdk_info info;
  carm_volume grid;      /* output grid (data NULL) */
  carm_volume proj_grid; /* projection grid (data NULL) */
  int64_t nu, nv, n_views;
  double du, dv, u_origin_mm, v_origin_mm;
  int64_t nu_bp;   /* columns the backprojector samples: nu, or more with Wang
                      weights (the filtered rows continue past the short side) */
  int64_t bp_left; /* of which before the detector's first column */
  int threads;
  int64_t batch;
  double *view_geo; /* per view: SDD, u0, v0 (principal point, mm), unused */
  double *omega;    /* per view: angular interval × 1/2 (full) or 1 (Parker) */
  float *colw;      /* per view, per column: Parker × Wang weights, or NULL */
  double *pm;       /* per view: 3×4 voxel index → (U·w, V·w, w) */
  double *vw;       /* per view: ω · SID · SDD */
  int64_t n_ext;    /* extrapolated pixels on each side */
  float *uu2;       /* per view, per column: (u − u0)² */
  int64_t n_fft;
  int64_t in_stride, out_stride; /* per-thread FFT buffer strides */
  float *kernel;                 /* n_fft/2 + 1 real gains */
  fftwf_plan fwd, inv;
  float *fft_in;          /* threads × n_fft */
  fftwf_complex *fft_out; /* threads × (n_fft/2 + 1) */
  float *bbuf;            /* batch × view_pairs × 2 floats */
  int64_t row_pairs;      /* nu_bp + 2 */
  int64_t view_pairs;     /* (nv + 1) · row_pairs */
  double t_filter, t_bp;
  double c_filter, c_bp; /* process CPU seconds */
};

/* Backproject the filtered views first..first+nb-1 (batch slots 0..nb-1)
 * into vol (accumulating). */
void fdk_backproject_batch(const fdk_plan_data *p, int64_t first, int64_t nb, float *vol);

#endif
