/* The marching cubes case table, derived once from the cube's faces.
 *
 * For each of the 256 inside/outside patterns of a cube's corners, every
 * face contributes cut segments: walking the face's corners counter-clockwise
 * seen from outside the cube, each run of inside corners is closed by a
 * segment from the edge where the run is left to the edge where it was
 * entered. On the ambiguous face (corners alternate) each inside corner is
 * its own run: the two inside corners stay apart. This depends on the face
 * alone, so the two cubes sharing a face cut it identically and the surface
 * is closed. The segments chain into closed loops (each crossed edge starts
 * one segment and ends another); a loop circles the inside corners
 * counter-clockwise seen from outside the cube, so its right-hand normal
 * points to the inside: the loops are stored reversed, which gives outward
 * normals. The result is a case table equivalent to the classic one of
 * Lorensen and Cline (SIGGRAPH 1987) with the ambiguous faces resolved the
 * same way in every cube (the "separate inside corners" rule), which is what
 * makes it watertight; generating it rather than typing 256 rows in keeps it
 * free of transcription errors. */
#include "mesh/mesh_internal.h"

#include <pthread.h>
#include <string.h>

static mesh_mc_case g_table[256];
static int g_table_ok;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

void mesh_mc_edge_corners(int e, int *c0, int *c1) {
  int a = e / 4;
  int m = e % 4;
  int b1 = a == 0 ? 1 : 0;
  int b2 = a == 2 ? 1 : 2;
  int lo = ((m & 1) << b1) | (((m >> 1) & 1) << b2);
  *c0 = lo;
  *c1 = lo | (1 << a);
}

static int edge_of(int ca, int cb) {
  for (int e = 0; e < 12; e++) {
    int c0;
    int c1;
    mesh_mc_edge_corners(e, &c0, &c1);
    if ((c0 == ca && c1 == cb) || (c0 == cb && c1 == ca)) {
      return e;
    }
  }
  return -1;
}

static void corner_pos(int c, int p[3]) {
  p[0] = c & 1;
  p[1] = (c >> 1) & 1;
  p[2] = (c >> 2) & 1;
}

/* The face (axis a, side s) corners, counter-clockwise seen from outside. */
static void face_corners(int a, int s, int out[4]) {
  int b1 = a == 0 ? 1 : 0;
  int b2 = a == 2 ? 1 : 2;
  static const int uv[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  for (int i = 0; i < 4; i++) {
    out[i] = (s << a) | (uv[i][0] << b1) | (uv[i][1] << b2);
  }
  int p0[3];
  int p1[3];
  int p2[3];
  corner_pos(out[0], p0);
  corner_pos(out[1], p1);
  corner_pos(out[2], p2);
  int u[3] = {p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]};
  int v[3] = {p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2]};
  int n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
  int outward = s ? n[a] : -n[a];
  if (outward < 0) {
    int t = out[1];
    out[1] = out[3];
    out[3] = t;
  }
}

static int build_case(int cfg, mesh_mc_case *c) {
  int next[12];
  int has_in[12];
  for (int e = 0; e < 12; e++) {
    next[e] = -1;
    has_in[e] = 0;
  }
  for (int a = 0; a < 3; a++) {
    for (int s = 0; s < 2; s++) {
      int fc[4];
      face_corners(a, s, fc);
      for (int i = 0; i < 4; i++) {
        int cur = (cfg >> fc[i]) & 1;
        int prev = (cfg >> fc[(i + 3) % 4]) & 1;
        if (!cur || prev) {
          continue; /* not the start of an inside run */
        }
        /* run of inside corners starting at i */
        int enter = edge_of(fc[(i + 3) % 4], fc[i]);
        int j = i;
        while (((cfg >> fc[(j + 1) % 4]) & 1) != 0) {
          j = (j + 1) % 4;
        }
        int leave = edge_of(fc[j], fc[(j + 1) % 4]);
        if (enter < 0 || leave < 0 || next[leave] >= 0 || has_in[enter]) {
          return 0;
        }
        next[leave] = enter;
        has_in[enter] = 1;
      }
    }
  }
  memset(c, 0, sizeof *c);
  int used[12] = {0};
  int n = 0;
  for (int e0 = 0; e0 < 12; e0++) {
    if (next[e0] < 0 || used[e0]) {
      continue;
    }
    if (!has_in[e0] || c->n_loops >= 4) {
      return 0;
    }
    int loop[12];
    int len = 0;
    int e = e0;
    while (!used[e]) {
      if (next[e] < 0 || len >= 12) {
        return 0;
      }
      used[e] = 1;
      loop[len++] = e;
      e = next[e];
    }
    if (e != e0 || len < 3) {
      return 0;
    }
    c->loop_len[c->n_loops++] = (uint8_t)len;
    for (int i = 0; i < len; i++) {
      c->edges[n++] = (uint8_t)loop[len - 1 - i]; /* reversed: outward normals */
    }
  }
  return 1;
}

static void build_table(void) {
  for (int cfg = 0; cfg < 256; cfg++) {
    if (!build_case(cfg, &g_table[cfg])) {
      return;
    }
  }
  g_table_ok = 1;
}

const mesh_mc_case *mesh_mc_table(void) {
  pthread_once(&g_once, build_table);
  return g_table_ok ? g_table : NULL;
}
