/* Topology-preserving 3D thinning to a curve skeleton: Lee, Kashyap and
 * Chu, "Building skeleton models via 3-D medial surface/axis thinning
 * algorithms", CVGIP: Graphical Models and Image Processing 56(6), 1994.
 *
 * For each of the six border directions, candidates are the foreground
 * voxels whose neighbour in that direction is background, that are not end
 * points (exactly one 26-neighbour), whose deletion keeps the Euler
 * characteristic (the sum over the eight 2x2x2 octants of the local change
 * is 0) and that are simple (the foreground 26-neighbours form one
 * 26-connected component). Candidates are then re-checked and deleted one
 * by one (sequential re-checking keeps the topology), until six directions
 * in a row delete nothing. The Euler table is derived here from the closed
 * cube complex rather than copied (Lee et al. table 2, column delta G26,
 * holds the same values). */
#include "seg/seg_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct thin_tables {
  int euler8[256];   /* 8 x local Euler characteristic at a lattice vertex */
  int oct_t[8][8];   /* neighbourhood index (0..26) of each octant voxel */
  int oct_bit[8][8]; /* bit of that voxel in the octant configuration */
  int centre_bit[8]; /* bit of the centre voxel in each octant */
  uint32_t adj[27];  /* 26-adjacent positions (bit masks), centre excluded */
} thin_tables;

static int t_of(int dx, int dy, int dz) { return (dz + 1) * 9 + (dy + 1) * 3 + (dx + 1); }

static void thin_tables_init(thin_tables *tb) {
  for (int cfg = 0; cfg < 256; cfg++) {
    int e = 0, f = 0, v = 0;
    for (int b = 0; b < 8; b++) {
      v += (cfg >> b) & 1;
    }
    for (int axis = 0; axis < 3; axis++) {
      for (int s = 0; s < 2; s++) {
        int covered = 0;
        for (int b = 0; b < 8; b++) {
          if (((cfg >> b) & 1) && ((b >> axis) & 1) == s) {
            covered = 1;
          }
        }
        e += covered;
      }
    }
    for (int a1 = 0; a1 < 3; a1++) {
      for (int a2 = a1 + 1; a2 < 3; a2++) {
        for (int s1 = 0; s1 < 2; s1++) {
          for (int s2 = 0; s2 < 2; s2++) {
            int covered = 0;
            for (int b = 0; b < 8; b++) {
              if (((cfg >> b) & 1) && ((b >> a1) & 1) == s1 && ((b >> a2) & 1) == s2) {
                covered = 1;
              }
            }
            f += covered;
          }
        }
      }
    }
    tb->euler8[cfg] = 8 * (cfg != 0) - 4 * e + 2 * f - v;
  }
  for (int o = 0; o < 8; o++) {
    int sx = (o & 1) ? 1 : -1, sy = (o & 2) ? 1 : -1, sz = (o & 4) ? 1 : -1;
    int m = 0;
    for (int c = 0; c < 2; c++) {
      for (int b = 0; b < 2; b++) {
        for (int a = 0; a < 2; a++) {
          int dx = a * sx, dy = b * sy, dz = c * sz;
          int x = dx + (sx < 0), y = dy + (sy < 0), z = dz + (sz < 0);
          tb->oct_t[o][m] = t_of(dx, dy, dz);
          tb->oct_bit[o][m] = x + 2 * y + 4 * z;
          if (dx == 0 && dy == 0 && dz == 0) {
            tb->centre_bit[o] = x + 2 * y + 4 * z;
          }
          m++;
        }
      }
    }
  }
  for (int t = 0; t < 27; t++) {
    tb->adj[t] = 0;
    int x = t % 3, y = (t / 3) % 3, z = t / 9;
    for (int u = 0; u < 27; u++) {
      int ux = u % 3, uy = (u / 3) % 3, uz = u / 9;
      if (u != t && u != 13 && abs(ux - x) <= 1 && abs(uy - y) <= 1 && abs(uz - z) <= 1) {
        tb->adj[t] |= (uint32_t)1 << u;
      }
    }
  }
}

/* Bit mask of the foreground voxels of the 3x3x3 neighbourhood. */
static inline uint32_t neighbourhood(const uint8_t *img, int64_t p, const int64_t nb[27]) {
  uint32_t m = 0;
  for (int t = 0; t < 27; t++) {
    m |= (uint32_t)img[p + nb[t]] << t;
  }
  return m;
}

static inline int popcount32(uint32_t x) { return __builtin_popcount(x); }

static int is_endpoint(uint32_t m) { return popcount32(m & ~((uint32_t)1 << 13)) == 1; }

static int euler_invariant(const thin_tables *tb, uint32_t m) {
  int sum = 0;
  for (int o = 0; o < 8; o++) {
    int cfg = 0;
    for (int q = 0; q < 8; q++) {
      if ((m >> tb->oct_t[o][q]) & 1) {
        cfg |= 1 << tb->oct_bit[o][q];
      }
    }
    sum += tb->euler8[cfg] - tb->euler8[cfg & ~(1 << tb->centre_bit[o])];
  }
  return sum == 0;
}

static int is_simple(const thin_tables *tb, uint32_t m) {
  uint32_t fg = m & ~((uint32_t)1 << 13);
  if (fg == 0) {
    return 0;
  }
  uint32_t comp = fg & (~fg + 1); /* lowest set bit */
  for (;;) {
    uint32_t grow = comp;
    uint32_t rest = comp;
    while (rest) {
      int t = __builtin_ctz(rest);
      rest &= rest - 1;
      grow |= tb->adj[t] & fg;
    }
    if (grow == comp) {
      break;
    }
    comp = grow;
  }
  return comp == fg;
}

static int deletable(const thin_tables *tb, uint32_t m) {
  return !is_endpoint(m) && euler_invariant(tb, m) && is_simple(tb, m);
}

carm_status carm_seg_thin(carm_volume *out, const carm_volume *mask,
                          const carm_progress *progress) {
  carm_status st = seg_check_pair(out, mask, "thinning");
  if (st != CARM_OK) {
    return st;
  }
  thin_tables tb;
  thin_tables_init(&tb);
  const int64_t nx = mask->dims[0], ny = mask->dims[1], nz = mask->dims[2];
  const int64_t px = nx + 2, py = ny + 2, pz = nz + 2;
  uint8_t *img = calloc((size_t)(px * py * pz), 1);
  int64_t *list = NULL;
  uint8_t *cand = NULL;
  if (img == NULL) {
    return carm_error(CARM_ERR_NOMEM, "thinning: cannot allocate the work image");
  }
  int64_t nlist = 0;
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        if (seg_fg(mask->data[(k * ny + j) * nx + i])) {
          img[((k + 1) * py + j + 1) * px + i + 1] = 1;
          nlist++;
        }
      }
    }
  }
  list = malloc((size_t)(nlist > 0 ? nlist : 1) * sizeof *list);
  cand = malloc((size_t)(nlist > 0 ? nlist : 1));
  if (list == NULL || cand == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "thinning: cannot allocate the voxel list");
    goto cleanup;
  }
  nlist = 0;
  for (int64_t p = 0; p < px * py * pz; p++) {
    if (img[p]) {
      list[nlist++] = p;
    }
  }
  const int64_t initial = nlist;
  int64_t nb[27];
  for (int t = 0; t < 27; t++) {
    nb[t] = ((int64_t)(t / 9 - 1) * py + (t / 3) % 3 - 1) * px + (t % 3 - 1);
  }
  /* border directions in the order of Lee et al. / ImageJ: -y, +x, +z, +y, -x, -z */
  const int64_t border[6] = {-px, 1, px * py, px, -1, -px * py};
  int unchanged = 0;
  while (unchanged < 6) {
    unchanged = 0;
    for (int b = 0; b < 6; b++) {
      const int64_t dir = border[b];
#pragma omp parallel for schedule(static)
      for (int64_t e = 0; e < nlist; e++) {
        int64_t p = list[e];
        cand[e] = 0;
        if (img[p] && img[p + dir] == 0) {
          cand[e] = (uint8_t)deletable(&tb, neighbourhood(img, p, nb));
        }
      }
      int changed = 0;
      for (int64_t e = 0; e < nlist; e++) {
        if (cand[e]) {
          int64_t p = list[e];
          if (deletable(&tb, neighbourhood(img, p, nb))) {
            img[p] = 0;
            changed = 1;
          }
        }
      }
      if (!changed) {
        unchanged++;
      }
    }
    int64_t kept = 0;
    for (int64_t e = 0; e < nlist; e++) {
      if (img[list[e]]) {
        list[kept++] = list[e];
      }
    }
    nlist = kept;
    if (progress != NULL && initial > 0 &&
        carm_progress_report(progress, 1.0 - (double)nlist / (double)initial, "thinning")) {
      st = carm_error(CARM_ERR_CANCELLED, "thinning cancelled");
      goto cleanup;
    }
  }
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        out->data[(k * ny + j) * nx + i] = img[((k + 1) * py + j + 1) * px + i + 1] ? 1.0f : 0.0f;
      }
    }
  }
  carm_volume_copy_grid(out, mask);
  st = CARM_OK;
cleanup:
  free(img);
  free(list);
  free(cand);
  return st;
}
