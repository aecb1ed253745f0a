/* Internal helpers of src/mesh: the marching cubes case table, growable
 * arrays and atomic file output. Not a public API. */
#ifndef CARM_MESH_INTERNAL_H
#define CARM_MESH_INTERNAL_H

#include "carm/mesh.h"

#include <stdint.h>
#include <stdio.h>

/* ---- marching cubes case table (mc_table.c) ------------------------------
 * Cube corner c sits at offset (c & 1, (c >> 1) & 1, (c >> 2) & 1). Edge e
 * runs along axis e / 4; mesh_mc_edge_corners gives its two corners, lower
 * first. A case (8 bits, bit c set when corner c is inside) holds up to four
 * closed polygons of crossed edges, listed in the order that gives outward
 * normals by the right-hand rule. */
typedef struct mesh_mc_case {
  uint8_t n_loops;
  uint8_t loop_len[4];
  uint8_t edges[12]; /* the loops one after the other */
} mesh_mc_case;

/* The table (256 cases), built once; NULL when building failed (a bug). */
const mesh_mc_case *mesh_mc_table(void);

/* The two corners of edge e (0..11), lower corner first. */
void mesh_mc_edge_corners(int e, int *c0, int *c1);

/* ---- growable arrays ----------------------------------------------------- */
typedef struct mesh_buf {
  float *v; /* 3 per vertex */
  int64_t nv, cap_v;
  uint32_t *t; /* 3 per triangle */
  int64_t nt, cap_t;
} mesh_buf;

/* Append a vertex; returns its index or -1 (out of memory / too many). */
int64_t mesh_buf_vertex(mesh_buf *b, double x, double y, double z);
/* Append a triangle; CARM_OK or an error. */
carm_status mesh_buf_triangle(mesh_buf *b, uint32_t a, uint32_t c, uint32_t d);
/* Move the arrays into a new mesh (the buffer is emptied). */
carm_status mesh_buf_finish(mesh_buf *b, carm_mesh **out);
void mesh_buf_free(mesh_buf *b);

#endif
