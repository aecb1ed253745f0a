/**
 * @file render.h
 * @brief Pictures of volumes: multiplanar reformats (MPR), maximum intensity
 * projections (MIP, thin-slab MIP), volume rendering, with label overlays,
 * orientation letters, a scale bar and the window values, written as PNG.
 *
 * Display conventions (radiological): axial seen from the feet (patient's
 * right on the picture's left, anterior at the top); coronal seen from the
 * front (right on the left, superior at the top); sagittal seen from the
 * patient's left (anterior on the left, superior at the top). Sampling is
 * done in patient space (LPS mm), so any direction matrix renders upright.
 *
 * Thread safety: rendering distinct pictures is thread-safe.
 */
#ifndef CARM_RENDER_H
#define CARM_RENDER_H

#include "carm/core.h"
#include "carm/geometry.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An 8-bit RGB picture, rows top to bottom. */
typedef struct carm_picture {
  int width;
  int height;
  double pixel_mm; /**< size of one pixel in patient mm */
  uint8_t *rgb;    /**< width*height*3 bytes, owned */
} carm_picture;

carm_status carm_picture_create(carm_picture **out, int width, int height);
void carm_picture_destroy(carm_picture *pic);

typedef enum carm_plane {
  CARM_PLANE_AXIAL = 0,
  CARM_PLANE_CORONAL = 1,
  CARM_PLANE_SAGITTAL = 2
} carm_plane;

typedef enum carm_render_mode {
  CARM_RENDER_MPR = 0, /**< one slice */
  CARM_RENDER_MIP = 1, /**< maximum along the viewing axis (slab_mm <= 0: all) */
  CARM_RENDER_VR = 2   /**< volume rendering, front-to-back compositing */
} carm_render_mode;

typedef enum carm_tf_preset {
  CARM_TF_VESSELS = 0,
  CARM_TF_BONE = 1,
  CARM_TF_SOFT = 2
} carm_tf_preset;

/** Options; start with CARM_RENDER_INIT. */
typedef struct carm_render_opts {
  int version; /**< must be 1 */
  carm_render_mode mode;
  carm_plane plane;          /**< viewing plane (MPR, MIP) or direction (VR) */
  double position_mm;        /**< slice/slab centre along the plane normal
                                  (patient coordinate); NaN = volume centre */
  double slab_mm;            /**< MIP slab thickness; <= 0 = whole volume */
  double window;             /**< grey window width (volume units) */
  double level;              /**< grey window centre */
  double pixel_mm;           /**< output pixel size; <= 0 = finest spacing */
  carm_tf_preset preset;     /**< VR transfer function */
  double tf_low;             /**< VR: value where opacity starts */
  double tf_high;            /**< VR: value where opacity is full */
  const carm_volume *labels; /**< optional label volume (any grid), drawn
                                  as coloured translucent overlay */
  double label_opacity;      /**< 0..1 */
  int annotate;              /**< draw letters, scale bar, window values */
} carm_render_opts;

#define CARM_RENDER_INIT                                                                           \
  {                                                                                                \
    1, CARM_RENDER_MPR, CARM_PLANE_AXIAL, NAN, 0.0, 400.0, 40.0, 0.0, CARM_TF_VESSELS, NAN, NAN,   \
        NULL, 0.4, 1                                                                               \
  }

/** Render `vol` into a new picture. */
carm_status carm_render(carm_picture **out, const carm_volume *vol, const carm_render_opts *opts);

/** A point list drawn over a picture made with the same volume and
 * options: polylines in patient mm (n points each), projected onto the
 * picture plane. `rgb` is the colour. */
carm_status carm_picture_draw_polyline(carm_picture *pic, const carm_volume *vol,
                                       const carm_render_opts *opts, const double (*points)[3],
                                       int64_t n, const uint8_t rgb[3], double width_px);

/** Draw a polyline given in picture pixel coordinates (column, row; pixel
 * centres at integers). Points with NaN break the line. */
carm_status carm_picture_draw_polyline_px(carm_picture *pic, const double (*px)[2], int64_t n,
                                          const uint8_t rgb[3], double width_px);

/** Map a patient point to picture pixel coordinates (column, row) for a
 * picture made from `vol` with `opts` (depth along the view is dropped). */
void carm_render_point_to_pixel(const carm_volume *vol, const carm_render_opts *opts,
                                const double xyz[3], double *col, double *row);

/** 3D roadmap: project patient points (LPS mm) through a view of a
 * geometry (its patient position honoured) onto a projection stack's
 * detector grid (`grid`: origin/spacing of x = u, y = v). `uv_px` receives
 * continuous pixel indices (column, row); a point behind the source gets
 * NaN. Returns the number of points that landed in front of the source. */
int64_t carm_roadmap_project(const carm_geometry *geo, int64_t view, const carm_volume *grid,
                             const double (*points)[3], int64_t n, double (*uv_px)[2]);

/** Write a picture as PNG, atomically. */
carm_status carm_picture_write_png(const carm_picture *pic, const char *path);

/** Read a PNG (tests, roadmap overlays). */
carm_status carm_picture_read_png(carm_picture **out, const char *path);

#ifdef __cplusplus
}
#endif
#endif
