/* Iterative methods for `carm recon` and `carm dsa` (src/cli/recon_iter.c):
 * option parsing, a default grid, and one call that reconstructs. */
#ifndef CARM_CLI_RECON_ITER_H
#define CARM_CLI_RECON_ITER_H

#include "carm/carm.h"

/** Help text for the iterative options (for the commands' usage). */
#define RECON_ITER_HELP                                                                            \
  "  --method M             fdk (default), sart (OS-SART), cgls or tv (ASD-POCS)\n"                \
  "  --iterations N         iterative methods: maximum iterations (default 10)\n"                  \
  "  --subsets M            sart/tv: ordered subsets of views (default 8)\n"                       \
  "  --lambda L             sart: relaxation in (0, 2) (default 1); tv: TV step\n"                 \
  "                         relative to the data step (default 0.03)\n"                            \
  "  --tol T                iterative methods: stop when the relative update\n"                    \
  "                         falls below T (default 0: run all iterations)\n"

typedef struct recon_iter_args {
  int iterative; /* an iterative method was chosen */
  carm_iter_opts opts;
  int have_lambda;
  double lambda;
  int have_iter_opts; /* --iterations/--subsets/--lambda/--tol given */
  /* dual phase: the second sweep of the injection */
  const char *phase2;
  const char *geometry2;
  const char *output2;
  /* from carm recon's FDK options, honoured by the iterative methods too */
  double i0;              /* > 0: raw intensities, log(i0 / I) */
  int hu;                 /* output Hounsfield units */
  double water_mu_per_mm; /* water for --hu */
} recon_iter_args;

void recon_iter_init(recon_iter_args *a);

/* Select a method by name: 1 iterative, 0 "fdk", -1 unknown (prints). */
int recon_iter_method(recon_iter_args *a, const char *cmd, const char *name);

/** Help text for the dual-phase options. */
#define RECON_PHASE2_HELP                                                                          \
  "dual phase (one injection, two sweeps, one grid):\n"                                            \
  "  --phase2 DELAYED.mha   the second (delayed) sweep, reconstructed with the same\n"             \
  "                         method on the same grid as the first\n"                                \
  "  --geometry2 G2.xml     its geometry (default: the first sweep's)\n"                           \
  "  --output2 OUT2.mha     where to write it (required with --phase2)\n"

/* Parse one option with its value: 1 consumed, 0 not an iterative option,
 * -1 bad value (printed). */
int recon_iter_option(recon_iter_args *a, const char *cmd, const char *opt, const char *val);

/* Check the combination after parsing (e.g. --lambda with cgls, iterative
 * options with fdk); returns CLI_OK or CLI_USAGE (printed). */
int recon_iter_check(const recon_iter_args *a, const char *cmd);

/* Reconstruct `proj` into `vol` (grid set) with the chosen iterative
 * method; progress on stderr unless quiet; returns CLI_OK or CLI_FAIL
 * (printed). */
int recon_iter_run(const char *cmd, const recon_iter_args *a, const carm_geometry *geo,
                   const carm_volume *proj, carm_volume *vol, int threads, int quiet);

struct carm_fdk_opts;

/* Dual phase: when --phase2 was given, reconstruct that sweep (geometry2,
 * or `geo`) on the grid of `vol` with the same method (FDK with `fdk`, or
 * the iterative one) and write output2. Returns CLI_OK (also when there is
 * no second phase) or a CLI code (printed). */
int recon_phase2(const char *cmd, const recon_iter_args *a, const carm_geometry *geo,
                 const carm_volume *vol, const struct carm_fdk_opts *fdk, int threads, int quiet);

/* The iterative path of carm recon: reconstruct, the second phase if any,
 * then write `output` (nothing is written when any step fails). */
int recon_iter_write(const char *cmd, const recon_iter_args *a, const carm_geometry *geo,
                     const carm_volume *proj, carm_volume *vol, const struct carm_fdk_opts *fdk,
                     const char *output, int quiet);

/* Grid options shared by carm dsa (the same as carm recon's). */
typedef struct recon_grid_args {
  int64_t size[3];
  double spacing[3];
  double origin[3];
  int have_size, have_spacing, have_origin;
  const char *like;
} recon_grid_args;

#define RECON_GRID_HELP                                                                            \
  "  --size NX,NY,NZ        voxels (default 256 per axis over the field of view)\n"                \
  "  --spacing SX,SY,SZ     mm\n"                                                                  \
  "  --origin X,Y,Z         mm, centre of the first voxel (default: centred)\n"                    \
  "  --like REF             take the grid from an image\n"

/* Parse one grid option: 1 consumed, 0 not ours, -1 bad value (printed). */
int recon_grid_option(recon_grid_args *g, const char *cmd, const char *opt, const char *val);

/* Make the output volume: from --like, or the options, defaults filling
 * the field of view of `geo` over the detector of `proj` (as carm recon).
 * Returns CLI_OK or a CLI code (printed). */
int recon_grid_volume(carm_volume **out, const recon_grid_args *g, const char *cmd,
                      const carm_geometry *geo, const carm_volume *proj);

#endif
