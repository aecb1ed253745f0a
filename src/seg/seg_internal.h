/* Helpers shared by the src/seg/ files (not public). */
#ifndef CARM_SEG_INTERNAL_H
#define CARM_SEG_INTERNAL_H

#include "carm/seg.h"

#include <stdint.h>

/* Fail with CARM_ERR_INVALID unless `v` is a non-NULL volume with data. */
carm_status seg_check_volume(const carm_volume *v, const char *what);

/* Fail unless `out` is valid and has the same dims as `in`. */
carm_status seg_check_pair(const carm_volume *out, const carm_volume *in, const char *what);

/* Fail unless connectivity is 6 or 26. */
carm_status seg_check_connectivity(int connectivity);

/* Fill `off` with the (di, dj, dk) offsets of the `connectivity` neighbours
 * (6 or 26) and return their number. */
int seg_neighbour_offsets(int connectivity, int off[26][3]);

/* 1 when a voxel value counts as foreground. */
static inline int seg_fg(float v) { return v > 0.5f; }

/* Grow-only stack of int64 voxel indices. */
typedef struct seg_stack {
  int64_t *items;
  int64_t n;
  int64_t cap;
} seg_stack;

carm_status seg_stack_push(seg_stack *s, int64_t v);
void seg_stack_free(seg_stack *s);

/* Write a distance map for `mask` (values > 0.5 are the "sites" when
 * `sites_are_fg`, else values <= 0.5) as squared millimetres into `out`
 * (float, same dims). Non-site-free volumes give +INFINITY. */
carm_status seg_edt_squared(carm_volume *out, const carm_volume *mask, int sites_are_fg);

#endif

/* Hessian (xx, yy, zz, xy, xz, yz) of `v` at voxel (i, j, k) by central
 * differences in mm^-2. inv2[a] = 1 / spacing[a]^2, invx[0..2] =
 * 1 / (4 sx sy), 1 / (4 sx sz), 1 / (4 sy sz). On the border the stencil
 * moves inwards (the Hessian of the nearest interior voxel): a clamped
 * stencil would turn any gradient into a spurious second derivative of
 * gradient / spacing. Axes with fewer than 3 voxels have no derivative. */
static inline void seg_hessian_at(const carm_volume *v, int64_t i, int64_t j, int64_t k,
                                  const double inv2[3], const double invx[3], double h[6]) {
  const int64_t nx = v->dims[0], ny = v->dims[1], nz = v->dims[2];
  const int okx = nx >= 3, oky = ny >= 3, okz = nz >= 3;
  const int64_t ic = okx ? (i < 1 ? 1 : (i > nx - 2 ? nx - 2 : i)) : i;
  const int64_t jc = oky ? (j < 1 ? 1 : (j > ny - 2 ? ny - 2 : j)) : j;
  const int64_t kc = okz ? (k < 1 ? 1 : (k > nz - 2 ? nz - 2 : k)) : k;
  const int64_t im = okx ? ic - 1 : ic, ip = okx ? ic + 1 : ic;
  const int64_t jm = oky ? jc - 1 : jc, jp = oky ? jc + 1 : jc;
  const int64_t km = okz ? kc - 1 : kc, kp = okz ? kc + 1 : kc;
  const float *d = v->data;
#define SEG_AT(a, b, c) ((double)d[((c)*ny + (b)) * nx + (a)])
  double c0 = SEG_AT(ic, jc, kc);
  h[0] = (SEG_AT(ip, jc, kc) - 2.0 * c0 + SEG_AT(im, jc, kc)) * inv2[0];
  h[1] = (SEG_AT(ic, jp, kc) - 2.0 * c0 + SEG_AT(ic, jm, kc)) * inv2[1];
  h[2] = (SEG_AT(ic, jc, kp) - 2.0 * c0 + SEG_AT(ic, jc, km)) * inv2[2];
  h[3] =
      (SEG_AT(ip, jp, kc) - SEG_AT(ip, jm, kc) - SEG_AT(im, jp, kc) + SEG_AT(im, jm, kc)) * invx[0];
  h[4] =
      (SEG_AT(ip, jc, kp) - SEG_AT(ip, jc, km) - SEG_AT(im, jc, kp) + SEG_AT(im, jc, km)) * invx[1];
  h[5] =
      (SEG_AT(ic, jp, kp) - SEG_AT(ic, jp, km) - SEG_AT(ic, jm, kp) + SEG_AT(ic, jm, km)) * invx[2];
#undef SEG_AT
}

/* The constants of seg_hessian_at for a grid. */
static inline void seg_hessian_constants(const carm_volume *v, double inv2[3], double invx[3]) {
  for (int a = 0; a < 3; a++) {
    inv2[a] = 1.0 / (v->spacing[a] * v->spacing[a]);
  }
  invx[0] = 1.0 / (4.0 * v->spacing[0] * v->spacing[1]);
  invx[1] = 1.0 / (4.0 * v->spacing[0] * v->spacing[2]);
  invx[2] = 1.0 / (4.0 * v->spacing[1] * v->spacing[2]);
}

/* Flood fill: out = 1 at voxels with lo <= in <= hi connected to a voxel of
 * `seeds` (linear indices; seeds outside the interval are skipped). `out`
 * must be zero on entry. Consumes (and frees) the stack. */
carm_status seg_flood(carm_volume *out, const carm_volume *in, double lo, double hi,
                      int connectivity, seg_stack *seeds);

/* Relative slack on |d|^2 <= r^2 ball tests so that offsets exactly on the
 * sphere are inside whether computed in float or double. */
#define SEG_BALL_SLACK 1e-5
