/* 3D-DSA: geometry matching, line-integral and volume subtraction; dual
 * phase: arterial enhancement and colour fusion pictures. */
#include "carm/dsa.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

carm_status carm_geometry_match(const carm_geometry *a, const carm_geometry *b, double tol_mm,
                                double tol_deg) {
  if (a == NULL || b == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_geometry_match: NULL geometry");
  }
  if (!(tol_mm >= 0.0) || !(tol_deg >= 0.0)) {
    return carm_error(CARM_ERR_INVALID, "geometry match: tolerances must be >= 0");
  }
  if (a->n_views != b->n_views) {
    return carm_error(CARM_ERR_GEOMETRY, "the sweeps have %lld and %lld views",
                      (long long)a->n_views, (long long)b->n_views);
  }
  if (a->patient != b->patient) {
    return carm_error(CARM_ERR_GEOMETRY, "the sweeps have different patient positions");
  }
  for (int64_t k = 0; k < a->n_views; k++) {
    const carm_view *u = &a->views[k];
    const carm_view *v = &b->views[k];
    const double mm[6][2] = {{u->sid_mm, v->sid_mm},
                             {u->sdd_mm, v->sdd_mm},
                             {u->source_offset_x_mm, v->source_offset_x_mm},
                             {u->source_offset_y_mm, v->source_offset_y_mm},
                             {u->proj_offset_x_mm, v->proj_offset_x_mm},
                             {u->proj_offset_y_mm, v->proj_offset_y_mm}};
    static const char *const mm_names[6] = {"SID",
                                            "SDD",
                                            "source offset x",
                                            "source offset y",
                                            "detector offset x",
                                            "detector offset y"};
    for (int p = 0; p < 6; p++) {
      double d = fabs(mm[p][0] - mm[p][1]);
      if (!(d <= tol_mm)) {
        return carm_error(CARM_ERR_GEOMETRY,
                          "view %lld: %s differs by %.3g mm (%g vs %g; tolerance %g mm)",
                          (long long)k, mm_names[p], d, mm[p][0], mm[p][1], tol_mm);
      }
    }
    const double ang[3][2] = {{u->gantry_angle_rad, v->gantry_angle_rad},
                              {u->out_of_plane_rad, v->out_of_plane_rad},
                              {u->in_plane_rad, v->in_plane_rad}};
    static const char *const ang_names[3] = {"gantry angle", "out-of-plane angle",
                                             "in-plane angle"};
    for (int p = 0; p < 3; p++) {
      double d = fabs(remainder(ang[p][0] - ang[p][1], 2.0 * M_PI)) * 180.0 / M_PI;
      if (!(d <= tol_deg)) {
        return carm_error(CARM_ERR_GEOMETRY,
                          "view %lld: %s differs by %.3g deg (%.4g vs %.4g; tolerance %g deg)",
                          (long long)k, ang_names[p], d, ang[p][0] * 180.0 / M_PI,
                          ang[p][1] * 180.0 / M_PI, tol_deg);
      }
    }
  }
  return CARM_OK;
}

carm_status carm_dsa_subtract_projections(carm_volume **out, const carm_volume *contrast,
                                          const carm_geometry *geo_contrast,
                                          const carm_volume *mask, const carm_geometry *geo_mask,
                                          const carm_dsa_opts *opts) {
  if (out == NULL || contrast == NULL || geo_contrast == NULL || mask == NULL ||
      contrast->data == NULL || mask->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_dsa_subtract_projections: NULL argument");
  }
  carm_dsa_opts o = CARM_DSA_INIT;
  if (opts != NULL) {
    o = *opts;
  }
  if (o.version != 1) {
    return carm_error(CARM_ERR_INVALID, "dsa: options version %d (expected 1)", o.version);
  }
  if (!(o.i0 >= 0.0) || !isfinite(o.i0)) {
    return carm_error(CARM_ERR_INVALID, "dsa: i0 must be finite and >= 0 (got %g)", o.i0);
  }
  if (contrast->dims[2] != geo_contrast->n_views) {
    return carm_error(CARM_ERR_INVALID, "dsa: the contrast stack has %lld views, its geometry %lld",
                      (long long)contrast->dims[2], (long long)geo_contrast->n_views);
  }
  if (contrast->dims[0] != mask->dims[0] || contrast->dims[1] != mask->dims[1] ||
      contrast->dims[2] != mask->dims[2]) {
    return carm_error(
        CARM_ERR_GEOMETRY, "dsa: mask stack is %lldx%lldx%lld, contrast stack %lldx%lldx%lld",
        (long long)mask->dims[0], (long long)mask->dims[1], (long long)mask->dims[2],
        (long long)contrast->dims[0], (long long)contrast->dims[1], (long long)contrast->dims[2]);
  }
  for (int a = 0; a < 2; a++) {
    if (fabs(contrast->spacing[a] - mask->spacing[a]) > 1e-6 ||
        fabs(contrast->origin[a] - mask->origin[a]) > 1e-3) {
      return carm_error(CARM_ERR_GEOMETRY,
                        "dsa: the mask and contrast detectors differ (pixel pitch %g/%g mm, "
                        "origin %g/%g mm along %c)",
                        mask->spacing[a], contrast->spacing[a], mask->origin[a],
                        contrast->origin[a], a == 0 ? 'u' : 'v');
    }
  }
  if (geo_mask != NULL) {
    carm_status st = carm_geometry_match(geo_contrast, geo_mask, o.tol_mm, o.tol_deg);
    if (st != CARM_OK) {
      char detail[512];
      snprintf(detail, sizeof detail, "%s", carm_last_error());
      return carm_error(st, "dsa: mask and contrast sweeps do not match: %s", detail);
    }
  }
  const int64_t n = carm_volume_count(contrast);
  if (o.i0 > 0.0) {
    for (int64_t i = 0; i < n; i++) {
      if (!(contrast->data[i] > 0.0f) || !(mask->data[i] > 0.0f)) {
        return carm_error(CARM_ERR_RANGE,
                          "dsa: intensity %g at element %lld is not positive (raw intensities "
                          "need I > 0)",
                          (double)(contrast->data[i] > 0.0f ? mask->data[i] : contrast->data[i]),
                          (long long)i);
      }
    }
  }
  carm_volume *d = NULL;
  carm_status st = carm_volume_create_like(&d, contrast);
  if (st != CARM_OK) {
    return st;
  }
  for (int64_t i = 0; i < n; i++) {
    double v = 0.0;
    if (o.i0 > 0.0) {
      v = log((double)mask->data[i] / (double)contrast->data[i]);
    } else {
      v = (double)contrast->data[i] - (double)mask->data[i];
    }
    if (o.clamp_negative && v < 0.0) {
      v = 0.0;
    }
    d->data[i] = (float)v;
  }
  *out = d;
  return CARM_OK;
}

carm_status carm_dsa_subtract_volumes(carm_volume **out, const carm_volume *contrast,
                                      const carm_volume *mask) {
  if (out == NULL || contrast == NULL || mask == NULL || contrast->data == NULL ||
      mask->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_dsa_subtract_volumes: NULL argument");
  }
  if (!carm_volume_same_grid(contrast, mask, 1e-3)) {
    return carm_error(CARM_ERR_GEOMETRY,
                      "dsa: the mask and contrast volumes are on different grids (reconstruct "
                      "both with the same grid options)");
  }
  carm_volume *d = NULL;
  carm_status st = carm_volume_create_like(&d, contrast);
  if (st != CARM_OK) {
    return st;
  }
  for (int64_t i = 0; i < carm_volume_count(d); i++) {
    d->data[i] = contrast->data[i] - mask->data[i];
  }
  *out = d;
  return CARM_OK;
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a;
  float y = *(const float *)b;
  return (x > y) - (x < y);
}

/* 99.9th percentile of the positive values of a − b (0 when none). */
static double enhancement_p999(const carm_volume *a, const carm_volume *b) {
  int64_t n = carm_volume_count(a);
  int64_t stride = n > 2000000 ? n / 2000000 : 1;
  int64_t cap = n / stride + 1;
  float *v = malloc((size_t)cap * sizeof(float));
  if (v == NULL) {
    return NAN;
  }
  int64_t m = 0;
  for (int64_t i = 0; i < n && m < cap; i += stride) {
    float d = a->data[i] - b->data[i];
    if (d > 0.0f) {
      v[m++] = d;
    }
  }
  double p = 0.0;
  if (m > 0) {
    qsort(v, (size_t)m, sizeof(float), cmp_float);
    p = v[(int64_t)(0.999 * (double)(m - 1))];
  }
  free(v);
  return p;
}

static carm_status fusion_check(const carm_volume *arterial, const carm_volume *delayed,
                                const carm_fusion_opts *o) {
  if (arterial == NULL || delayed == NULL || arterial->data == NULL || delayed->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "fusion: NULL volume");
  }
  if (o->version != 1) {
    return carm_error(CARM_ERR_INVALID, "fusion: options version %d (expected 1)", o->version);
  }
  if (!carm_volume_same_grid(arterial, delayed, 1e-3)) {
    return carm_error(CARM_ERR_GEOMETRY,
                      "fusion: the arterial and delayed volumes are on different grids "
                      "(reconstruct both phases together: carm recon --phase2)");
  }
  if (!(o->threshold >= 0.0) || !(o->vessel_window >= 0.0)) {
    return carm_error(CARM_ERR_INVALID, "fusion: threshold and vessel window must be >= 0");
  }
  return CARM_OK;
}

carm_status carm_fusion_enhancement(carm_volume **out, const carm_volume *arterial,
                                    const carm_volume *delayed, const carm_fusion_opts *opts,
                                    double *threshold_used) {
  carm_fusion_opts o = CARM_FUSION_INIT;
  if (opts != NULL) {
    o = *opts;
  }
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "fusion: NULL output");
  }
  carm_status st = fusion_check(arterial, delayed, &o);
  if (st != CARM_OK) {
    return st;
  }
  double thr = o.threshold;
  if (thr <= 0.0) {
    double p = enhancement_p999(arterial, delayed);
    if (!isfinite(p)) {
      return carm_error(CARM_ERR_NOMEM, "fusion: cannot allocate the percentile buffer");
    }
    thr = 0.2 * p;
  }
  carm_volume *e = NULL;
  st = carm_volume_create_like(&e, arterial);
  if (st != CARM_OK) {
    return st;
  }
  for (int64_t i = 0; i < carm_volume_count(e); i++) {
    float d = arterial->data[i] - delayed->data[i];
    e->data[i] = d > (float)thr ? d : 0.0f;
  }
  if (threshold_used != NULL) {
    *threshold_used = thr;
  }
  *out = e;
  return CARM_OK;
}

carm_status carm_fusion_render(carm_picture **out, const carm_volume *arterial,
                               const carm_volume *delayed, const carm_fusion_opts *opts) {
  carm_fusion_opts o = CARM_FUSION_INIT;
  if (opts != NULL) {
    o = *opts;
  }
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "fusion: NULL output");
  }
  carm_status st = fusion_check(arterial, delayed, &o);
  if (st != CARM_OK) {
    return st;
  }
  if (o.render.mode == CARM_RENDER_VR) {
    return carm_error(CARM_ERR_UNSUPPORTED, "fusion: MPR or MIP pictures only");
  }
  carm_volume *enh = NULL;
  carm_picture *grey = NULL;
  carm_picture *red = NULL;
  st = carm_fusion_enhancement(&enh, arterial, delayed, &o, NULL);
  if (st != CARM_OK) {
    return st;
  }
  double win = o.vessel_window;
  if (win <= 0.0) {
    float mx = 0.0f;
    for (int64_t i = 0; i < carm_volume_count(enh); i++) {
      mx = enh->data[i] > mx ? enh->data[i] : mx;
    }
    win = mx > 0.0f ? 0.8 * (double)mx : 1.0;
  }
  st = carm_render(&grey, delayed, &o.render);
  if (st != CARM_OK) {
    goto cleanup;
  }
  carm_render_opts ro = o.render;
  ro.mode = CARM_RENDER_MIP; /* vessels through the slab (or whole volume) */
  ro.window = win;
  ro.level = 0.5 * win;
  ro.labels = NULL;
  ro.annotate = 0;
  st = carm_render(&red, enh, &ro);
  if (st != CARM_OK) {
    goto cleanup;
  }
  if (red->width != grey->width || red->height != grey->height) {
    st = carm_error(CARM_ERR_INTERNAL, "fusion: pictures of different sizes");
    goto cleanup;
  }
  for (int64_t p = 0; p < (int64_t)grey->width * grey->height; p++) {
    double a = red->rgb[3 * p] / 255.0;
    const double col[3] = {230.0, 30.0, 30.0};
    for (int c = 0; c < 3; c++) {
      double g = grey->rgb[3 * p + c];
      grey->rgb[3 * p + c] = (uint8_t)lround((1.0 - a) * g + a * col[c]);
    }
  }
  *out = grey;
  grey = NULL;
cleanup:
  carm_picture_destroy(grey);
  carm_picture_destroy(red);
  carm_volume_destroy(enh);
  return st;
}
