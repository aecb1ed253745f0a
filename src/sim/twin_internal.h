/* Private parts of the digital twin shared by src/sim/twin*.c, contrast.c
 * and acquire.c. */
#ifndef CARM_SIM_TWIN_INTERNAL_H
#define CARM_SIM_TWIN_INTERNAL_H

#include "carm/twin.h"

#include <jansson.h>

/* Primitive shapes the voxeliser paints (all in world mm). */
typedef enum twin_prim_type {
  TWIN_PRIM_CAPSULES = 0, /* chain of tapered tubes between points */
  TWIN_PRIM_ELLIPSOID,    /* local = r·(p − c); Σ (local_i / a_i)² <= 1 */
  TWIN_PRIM_ECYL,         /* elliptic cylinder along local z, |local_z| <= a[2] */
  TWIN_PRIM_LIVER         /* the liver's implicit surface (twin_liver_g) */
} twin_prim_type;

typedef struct twin_prim {
  twin_prim_type type;
  int layer;           /* index into the private layer table */
  double lo[3], hi[3]; /* world bounding box */
  double c[3];
  double r[3][3];
  double a[3];
  int n;                  /* capsules: number of points */
  const double (*pts)[3]; /* capsules: borrowed from a segment or owned */
  const double *rad;
} twin_prim;

#define TWIN_MAX_LAYERS 32
#define TWIN_LIVER_MODES 6

struct carm_twin_private {
  int n_prims;
  int cap_prims;
  twin_prim *prims;
  int n_layers;
  int layer_compartment[TWIN_MAX_LAYERS]; /* priority order, highest first */
  int layer_label[TWIN_MAX_LAYERS];
  /* owned point storage of non-segment capsule chains (ribs, processes) */
  int n_owned;
  int cap_owned;
  double **owned;
  int *owned_n;
  double world_from_lps[3][3]; /* identity: the twin's frame is LPS */
  double lps_from_world[3][3];
  /* liver, in LPS */
  double liver_c[3];
  double liver_a[3];
  double liver_taper;
  double mode_w[TWIN_LIVER_MODES][3];
  double mode_phase[TWIN_LIVER_MODES];
  double mode_amp[TWIN_LIVER_MODES];
  double cage_c[2]; /* inner rib-cage ellipse (x, y in LPS): the liver stays inside */
  double cage_a[2];
  /* Couinaud landmarks, LPS */
  double ivc_lps[3];
  double bif_lps[3];
  double hv_angle_deg[3]; /* right, middle, left plane azimuths */
};

/* Normalised liver radius at an LPS point: < 1 inside the smooth blob. */
double twin_liver_g(const carm_twin_private *pv, const double lps[3]);
/* Bounds lo <= g <= hi without the modulation's sines (cheap). */
double twin_liver_g_bounds(const carm_twin_private *pv, const double lps[3], double *lo,
                           double *hi);
/* Inside the liver (blob and rib cage), LPS point. */
int twin_liver_inside_lps(const carm_twin_private *pv, const double lps[3]);
/* LPS → world and world → LPS. */
void twin_to_world(const carm_twin *twin, const double lps[3], double world[3]);
void twin_to_lps(const carm_twin *twin, const double world[3], double lps[3]);
/* Couinaud rule on an LPS point. */
void twin_couinaud_lps(const carm_twin_private *pv, const double lps[3], char out[4]);

/* Paint n_out value sets at once into vols[0..n_out) (one grid; vols may be
 * NULL when labels is given). */
carm_status twin_paint_multi(const carm_twin *twin, int n_out,
                             const double (*values)[CARM_TWIN_C_COUNT], int supersample,
                             carm_volume *const *vols, carm_volume *labels);

/* JSON helpers (twin_json.c). Write `root` to `path` atomically. */
carm_status carm_twin_json_write(json_t *root, const char *path);
json_t *carm_contrast_to_json(const carm_contrast_protocol *p);
json_t *carm_twin_truth_json(const carm_twin *twin);

#endif
