/* The picture frame shared by the renderers: picture axes in patient space
 * and the mapping from picture pixels to volume indices. Internal. */
#ifndef CARM_RENDER_FRAME_H
#define CARM_RENDER_FRAME_H

#include "carm/render.h"

typedef struct render_frame {
  double col_axis[3]; /* unit patient direction of increasing column */
  double row_axis[3]; /* unit patient direction of increasing row */
  double normal[3];   /* viewing direction (front to back) */
  double base[3];     /* patient point of pixel (0, 0) at depth 0 */
  double pixel_mm;
  int width;
  int height;
  double depth_min; /* extent of the volume along normal (mm from base) */
  double depth_max;
  double step_mm;        /* sampling step along the normal */
  double to_index[3][3]; /* index = to_index · (P − origin) */
} render_frame;

carm_status render_frame_make(render_frame *f, const carm_volume *vol,
                              const carm_render_opts *opts);

/* Continuous index of the patient point. */
void render_frame_index(const render_frame *f, const carm_volume *vol, const double p[3],
                        double ijk[3]);

/* Trilinear sample at a continuous index; 0 outside (and *inside = 0). */
float render_sample(const carm_volume *vol, const double ijk[3], int *inside);

/* Nearest-neighbour sample at a patient point (labels); 0 outside. */
float render_sample_nearest(const carm_volume *vol, const double p[3]);

#endif
