/* Helpers for the io tests: a scratch folder, small files, test volumes. */
#ifndef CARM_IO_TEST_UTIL_H
#define CARM_IO_TEST_UTIL_H

#include "carm/carm.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tu_dir[256];

static int tu_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

/* Make a scratch folder (in /dev/shm when there is one: the tests rewrite
 * small files thousands of times, which a disk with discard makes slow);
 * removed by tu_cleanup. */
static inline const char *tu_mkdir(void) {
  snprintf(tu_dir, sizeof tu_dir, "/dev/shm/carm-io-test-XXXXXX");
  if (mkdtemp(tu_dir) == NULL) {
    snprintf(tu_dir, sizeof tu_dir, "/tmp/carm-io-test-XXXXXX");
    if (mkdtemp(tu_dir) == NULL) {
      perror("mkdtemp");
      exit(1);
    }
  }
  return tu_dir;
}

static inline void tu_cleanup(void) {
  if (tu_dir[0] != '\0') {
    nftw(tu_dir, tu_rm, 16, FTW_DEPTH | FTW_PHYS);
  }
}

/* Path of `name` inside the scratch folder (static buffer rotation). */
static inline const char *tu_path(const char *name) {
  static char bufs[8][512];
  static int k;
  char *b = bufs[k++ % 8];
  snprintf(b, 512, "%s/%s", tu_dir, name);
  return b;
}

static inline void tu_write(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(data, 1, n, f) != n) {
    perror(path);
    exit(1);
  }
  fclose(f);
}

/* Whole file into a malloc'd buffer; *n its size. */
static inline unsigned char *tu_read(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)sz + 1);
  *n = fread(b, 1, (size_t)sz, f);
  fclose(f);
  return b;
}

static inline int tu_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* Number of entries in the scratch folder (to spot leftover temp files). */
static inline int tu_count_files(void) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", tu_dir);
  FILE *p = popen(cmd, "r");
  int n = -1;
  if (p != NULL) {
    if (fscanf(p, "%d", &n) != 1) {
      n = -1;
    }
    pclose(p);
  }
  return n;
}

/* A volume with an oblique direction, odd origin and spacing, and values
 * drawn uniformly from [lo, hi] (integers when `integral`). */
static inline carm_volume *tu_volume(int64_t nx, int64_t ny, int64_t nz, double lo, double hi,
                                     int integral, uint64_t seed) {
  carm_volume *v = NULL;
  int64_t dims[3] = {nx, ny, nz};
  if (carm_volume_create(&v, dims) != CARM_OK) {
    exit(1);
  }
  carm_rng rng;
  carm_rng_seed(&rng, seed);
  for (int64_t i = 0; i < carm_volume_count(v); i++) {
    double x = lo + (hi - lo) * carm_rng_uniform(&rng);
    v->data[i] = (float)(integral ? floor(x + 0.5) : x);
  }
  double rx[3][3], rz[3][3];
  carm_mat3_rot_x(0.3, rx);
  carm_mat3_rot_z(-0.7, rz);
  carm_mat3_mul(rz, rx, v->direction);
  v->spacing[0] = 0.7;
  v->spacing[1] = 1.3;
  v->spacing[2] = 2.5;
  v->origin[0] = -123.25;
  v->origin[1] = 45.5;
  v->origin[2] = 7.125;
  return v;
}

#endif
