/* The FDK backprojector: voxel driven, bilinear, from the 3×4 matrices.
 *
 * Layout: each filtered view sits in the batch buffer with a one-pixel zero
 * border, and row r of the buffer interleaves detector rows r and r+1 as
 * pairs, so the four texels of a bilinear sample are 16 contiguous bytes:
 * (r, c), (r+1, c), (r, c+1), (r+1, c+1). With AVX2 a sample costs two
 * 64-bit gathers per lane instead of four 32-bit ones.
 *
 * Loop order: y slices (the nominal rotation axis: a slice projects onto a
 * band of detector rows that stays in cache) are shared among threads; in
 * each x row, eight voxels at a time accumulate every view of the batch in
 * a register, the homogeneous coordinates advancing incrementally along x.
 * Every voxel sums its views in the same order whatever the thread count, so
 * the result does not depend on it. */
#include "recon/fdk_internal.h"

#include <math.h>
#include <omp.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define FDK_AVX2 1
#endif

enum { SUB = 64 }; /* views per register pass */
#ifndef FDK_TILE_X
#define FDK_TILE_X 64
#endif
#ifndef FDK_TILE_Z
#define FDK_TILE_Z 16
#endif
enum { TILE_X = FDK_TILE_X }; /* voxels along x per tile (a multiple of 16) */
enum { TILE_Z = FDK_TILE_Z }; /* voxels along z per tile */

typedef struct row_params {
  float b0[SUB], b1[SUB], b2[SUB]; /* h at i = 0 */
  float d0[SUB], d1[SUB], d2[SUB]; /* h step along i */
  float c[SUB];                    /* ω·SID·SDD */
  const float *buf[SUB];           /* the view's pairs */
} row_params;

static inline float sample_scalar(const float *buf, int64_t row_pairs, float umax, float vmax,
                                  float h0, float h1, float h2) {
  if (!(h2 < 0.0f)) {
    return 0.0f;
  }
  float r = 1.0f / h2;
  float u = h0 * r;
  float v = h1 * r;
  if (!(u >= 0.0f && u < umax && v >= 0.0f && v < vmax)) {
    return 0.0f;
  }
  float uf = floorf(u);
  float vf = floorf(v);
  float fu = u - uf;
  float fv = v - vf;
  const float *t = buf + 2 * ((int64_t)vf * row_pairs + (int64_t)uf);
  float top = t[0] + fu * (t[2] - t[0]);
  float bot = t[1] + fu * (t[3] - t[1]);
  return (top + fv * (bot - top)) * r * r;
}

static void row_scalar(const row_params *rp, int nviews, int64_t i_begin, int64_t i_end, float *row,
                       int64_t row_pairs, float umax, float vmax) {
  for (int64_t i = i_begin; i < i_end; i++) {
    float acc = row[i];
    float fi = (float)i;
    for (int b = 0; b < nviews; b++) {
      float h0 = rp->b0[b] + fi * rp->d0[b];
      float h1 = rp->b1[b] + fi * rp->d1[b];
      float h2 = rp->b2[b] + fi * rp->d2[b];
      acc += rp->c[b] * sample_scalar(rp->buf[b], row_pairs, umax, vmax, h0, h1, h2);
    }
    row[i] = acc;
  }
}

#ifdef FDK_AVX2
/* Returns the first i not processed. */
static int64_t row_avx2(const row_params *rp, int nviews, int64_t i0, int64_t i1, float *row,
                        int64_t row_pairs, float umax, float vmax) {
  const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 vumax = _mm256_set1_ps(umax);
  const __m256 vvmax = _mm256_set1_ps(vmax);
  const __m256 rp_stride = _mm256_set1_ps((float)row_pairs);
  /* gather order: lanes (0 1 4 5 2 3 6 7), so that the in-lane shuffles
   * below put the results back in natural order */
  const __m256i perm = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    __m256 fi = _mm256_add_ps(_mm256_set1_ps((float)i), lane);
    __m256 acc = _mm256_loadu_ps(row + i);
    for (int b = 0; b < nviews; b++) {
      __m256 h0 = _mm256_fmadd_ps(fi, _mm256_set1_ps(rp->d0[b]), _mm256_set1_ps(rp->b0[b]));
      __m256 h1 = _mm256_fmadd_ps(fi, _mm256_set1_ps(rp->d1[b]), _mm256_set1_ps(rp->b1[b]));
      __m256 h2 = _mm256_fmadd_ps(fi, _mm256_set1_ps(rp->d2[b]), _mm256_set1_ps(rp->b2[b]));
      /* 1/h2: approximate reciprocal and one Newton step (rel. error ~1e-7) */
      __m256 r = _mm256_rcp_ps(h2);
      r = _mm256_mul_ps(r, _mm256_fnmadd_ps(h2, r, _mm256_set1_ps(2.0f)));
      __m256 u = _mm256_mul_ps(h0, r);
      __m256 v = _mm256_mul_ps(h1, r);
      __m256 m =
          _mm256_and_ps(_mm256_cmp_ps(h2, zero, _CMP_LT_OQ), _mm256_cmp_ps(u, zero, _CMP_GE_OQ));
      m = _mm256_and_ps(m, _mm256_cmp_ps(u, vumax, _CMP_LT_OQ));
      m = _mm256_and_ps(m, _mm256_cmp_ps(v, zero, _CMP_GE_OQ));
      m = _mm256_and_ps(m, _mm256_cmp_ps(v, vvmax, _CMP_LT_OQ));
      if (_mm256_testz_ps(m, m)) {
        continue;
      }
      /* outside lanes read texel (0, 0) (of the zero border) and get weight 0 */
      u = _mm256_and_ps(u, m);
      v = _mm256_and_ps(v, m);
      __m256 uf = _mm256_floor_ps(u);
      __m256 vf = _mm256_floor_ps(v);
      __m256 fu = _mm256_sub_ps(u, uf);
      __m256 fv = _mm256_sub_ps(v, vf);
      __m256i idx = _mm256_cvttps_epi32(_mm256_fmadd_ps(vf, rp_stride, uf));
      idx = _mm256_permutevar8x32_epi32(idx, perm);
      __m128i ilo = _mm256_castsi256_si128(idx);
      __m128i ihi = _mm256_extracti128_si256(idx, 1);
      const double *base = (const double *)(const void *)rp->buf[b];
      __m256 ga = _mm256_castpd_ps(_mm256_i32gather_pd(base, ilo, 8));
      __m256 gb = _mm256_castpd_ps(_mm256_i32gather_pd(base + 1, ilo, 8));
      __m256 gc = _mm256_castpd_ps(_mm256_i32gather_pd(base, ihi, 8));
      __m256 gd = _mm256_castpd_ps(_mm256_i32gather_pd(base + 1, ihi, 8));
      __m256 p00 = _mm256_shuffle_ps(ga, gc, 0x88); /* (r, c) */
      __m256 p01 = _mm256_shuffle_ps(ga, gc, 0xDD); /* (r+1, c) */
      __m256 p10 = _mm256_shuffle_ps(gb, gd, 0x88); /* (r, c+1) */
      __m256 p11 = _mm256_shuffle_ps(gb, gd, 0xDD); /* (r+1, c+1) */
      __m256 top = _mm256_fmadd_ps(fu, _mm256_sub_ps(p10, p00), p00);
      __m256 bot = _mm256_fmadd_ps(fu, _mm256_sub_ps(p11, p01), p01);
      __m256 val = _mm256_fmadd_ps(fv, _mm256_sub_ps(bot, top), top);
      __m256 w = _mm256_and_ps(_mm256_mul_ps(_mm256_set1_ps(rp->c[b]), _mm256_mul_ps(r, r)), m);
      acc = _mm256_fmadd_ps(w, val, acc);
    }
    _mm256_storeu_ps(row + i, acc);
  }
  return i;
}
#endif

#if defined(__AVX512F__)
/* Sixteen voxels at a time; same scheme as the AVX2 kernel. */
static int64_t row_avx512(const row_params *rp, int nviews, int64_t i0, int64_t i1, float *row,
                          int64_t row_pairs, float umax, float vmax) {
  const __m512 lane = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 zero = _mm512_setzero_ps();
  const __m512 vumax = _mm512_set1_ps(umax);
  const __m512 vvmax = _mm512_set1_ps(vmax);
  const __m512 two = _mm512_set1_ps(2.0f);
  const __m512 rp_stride = _mm512_set1_ps((float)row_pairs);
  /* gather order so that the in-lane shuffles restore natural order */
  const __m512i perm = _mm512_setr_epi32(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
  int64_t i = i0;
  for (; i + 16 <= i1; i += 16) {
    __m512 fi = _mm512_add_ps(_mm512_set1_ps((float)i), lane);
    __m512 acc = _mm512_loadu_ps(row + i);
    for (int b = 0; b < nviews; b++) {
      __m512 h0 = _mm512_fmadd_ps(fi, _mm512_set1_ps(rp->d0[b]), _mm512_set1_ps(rp->b0[b]));
      __m512 h1 = _mm512_fmadd_ps(fi, _mm512_set1_ps(rp->d1[b]), _mm512_set1_ps(rp->b1[b]));
      __m512 h2 = _mm512_fmadd_ps(fi, _mm512_set1_ps(rp->d2[b]), _mm512_set1_ps(rp->b2[b]));
      __m512 r = _mm512_rcp14_ps(h2);
      r = _mm512_mul_ps(r, _mm512_fnmadd_ps(h2, r, two));
      __m512 u = _mm512_mul_ps(h0, r);
      __m512 v = _mm512_mul_ps(h1, r);
      __mmask16 m = _mm512_cmp_ps_mask(h2, zero, _CMP_LT_OQ);
      m = _mm512_mask_cmp_ps_mask(m, u, zero, _CMP_GE_OQ);
      m = _mm512_mask_cmp_ps_mask(m, u, vumax, _CMP_LT_OQ);
      m = _mm512_mask_cmp_ps_mask(m, v, zero, _CMP_GE_OQ);
      m = _mm512_mask_cmp_ps_mask(m, v, vvmax, _CMP_LT_OQ);
      if (m == 0) {
        continue;
      }
      u = _mm512_maskz_mov_ps(m, u);
      v = _mm512_maskz_mov_ps(m, v);
      __m512 uf = _mm512_roundscale_ps(u, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
      __m512 vf = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
      __m512 fu = _mm512_sub_ps(u, uf);
      __m512 fv = _mm512_sub_ps(v, vf);
      /* exact in float: indices stay below 2^24 (checked at plan time) */
      __m512i idx = _mm512_cvttps_epi32(_mm512_fmadd_ps(vf, rp_stride, uf));
      idx = _mm512_permutexvar_epi32(perm, idx);
      __m256i ilo = _mm512_castsi512_si256(idx);
      __m256i ihi = _mm512_extracti64x4_epi64(idx, 1);
      const double *base = (const double *)(const void *)rp->buf[b];
      __m512 ga = _mm512_castpd_ps(_mm512_i32gather_pd(ilo, base, 8));
      __m512 gb = _mm512_castpd_ps(_mm512_i32gather_pd(ilo, base + 1, 8));
      __m512 gc = _mm512_castpd_ps(_mm512_i32gather_pd(ihi, base, 8));
      __m512 gd = _mm512_castpd_ps(_mm512_i32gather_pd(ihi, base + 1, 8));
      __m512 p00 = _mm512_shuffle_ps(ga, gc, 0x88);
      __m512 p01 = _mm512_shuffle_ps(ga, gc, 0xDD);
      __m512 p10 = _mm512_shuffle_ps(gb, gd, 0x88);
      __m512 p11 = _mm512_shuffle_ps(gb, gd, 0xDD);
      __m512 top = _mm512_fmadd_ps(fu, _mm512_sub_ps(p10, p00), p00);
      __m512 bot = _mm512_fmadd_ps(fu, _mm512_sub_ps(p11, p01), p01);
      __m512 val = _mm512_fmadd_ps(fv, _mm512_sub_ps(bot, top), top);
      __m512 w = _mm512_maskz_mul_ps(m, _mm512_set1_ps(rp->c[b]), _mm512_mul_ps(r, r));
      acc = _mm512_fmadd_ps(w, val, acc);
    }
    _mm512_storeu_ps(row + i, acc);
  }
  return i;
}
#endif

void fdk_backproject_batch(const fdk_plan_data *p, int64_t first, int64_t nb, float *vol) {
  const int64_t nx = p->grid.dims[0];
  const int64_t ny = p->grid.dims[1];
  const int64_t nz = p->grid.dims[2];
  const float umax = (float)(p->nu_bp + 1);
  const float vmax = (float)(p->nv + 1);
  const int64_t row_pairs = p->row_pairs;
  /* work items: (y slice, z tile) pairs, so thin volumes (one slice) also
   * use every thread */
  const int64_t n_kt = (nz + TILE_Z - 1) / TILE_Z;
#pragma omp parallel for num_threads(p->threads) schedule(dynamic, 1)
  for (int64_t item = 0; item < ny * n_kt; item++) {
    const int64_t j = item / n_kt;
    const int64_t kt = (item % n_kt) * TILE_Z;
    const int64_t kend = kt + TILE_Z < nz ? kt + TILE_Z : nz;
    row_params rp;
    for (int64_t s0 = 0; s0 < nb; s0 += SUB) {
      int n = (int)(nb - s0 < SUB ? nb - s0 : SUB);
      for (int b = 0; b < n; b++) {
        int64_t view = first + s0 + b;
        const double *m = p->pm + view * 12;
        rp.d0[b] = (float)m[0];
        rp.d1[b] = (float)m[4];
        rp.d2[b] = (float)m[8];
        rp.c[b] = (float)p->vw[view];
        rp.buf[b] = p->bbuf + 2 * (s0 + b) * p->view_pairs;
      }
      /* (x, z) tiles: a tile projects onto a small detector patch per view,
       * which stays in L1/L2 while all the batch's views visit the tile */
      for (int64_t it = 0; it < nx; it += TILE_X) {
        int64_t iend = it + TILE_X < nx ? it + TILE_X : nx;
        for (int64_t k = kt; k < kend; k++) {
          for (int b = 0; b < n; b++) {
            const double *m = p->pm + (first + s0 + b) * 12;
            double jj = (double)j;
            double kk = (double)k;
            rp.b0[b] = (float)(m[1] * jj + m[2] * kk + m[3]);
            rp.b1[b] = (float)(m[5] * jj + m[6] * kk + m[7]);
            rp.b2[b] = (float)(m[9] * jj + m[10] * kk + m[11]);
          }
          float *row = vol + (k * ny + j) * nx;
          int64_t done = it;
#if defined(__AVX512F__)
          done = row_avx512(&rp, n, done, iend, row, row_pairs, umax, vmax);
#endif
#ifdef FDK_AVX2
          done = row_avx2(&rp, n, done, iend, row, row_pairs, umax, vmax);
#endif
          row_scalar(&rp, n, done, iend, row, row_pairs, umax, vmax);
        }
      }
    }
  }
}
