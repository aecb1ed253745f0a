/* Ablation device charts (data/ablation_devices.json; docs/planning.md). */
#include "carm/guide.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int num(json_t *o, const char *key, double *v) {
  json_t *x = json_object_get(o, key);
  if (!json_is_number(x) || !isfinite(json_number_value(x))) {
    return -1;
  }
  *v = json_number_value(x);
  return 0;
}

carm_status carm_ablation_device_read(carm_ablation_device *dev, const char *path,
                                      const char *name) {
  if (dev == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "device chart: NULL argument");
  }
  json_error_t e;
  json_t *root = json_load_file(path, 0, &e);
  if (root == NULL) {
    return carm_error(CARM_ERR_IO, "%s: cannot read JSON: %s (line %d)", path, e.text, e.line);
  }
  json_t *devs = json_object_get(root, "devices");
  carm_status st = CARM_OK;
  json_t *d = NULL;
  if (!json_is_array(devs) || json_array_size(devs) == 0) {
    st = carm_error(CARM_ERR_FORMAT, "%s: no \"devices\" array", path);
  } else {
    for (size_t i = 0; i < json_array_size(devs); i++) {
      json_t *x = json_array_get(devs, i);
      const char *n = json_string_value(json_object_get(x, "name"));
      if (name == NULL || (n != NULL && strcmp(n, name) == 0)) {
        d = x;
        break;
      }
    }
    if (d == NULL) {
      st = carm_error(CARM_ERR_NOTFOUND, "%s: no device named '%s'", path, name);
    }
  }
  carm_ablation_device out;
  memset(&out, 0, sizeof out);
  if (st == CARM_OK) {
    const char *n = json_string_value(json_object_get(d, "name"));
    const char *m = json_string_value(json_object_get(d, "modality"));
    const char *s = json_string_value(json_object_get(d, "source"));
    json_t *chart = json_object_get(d, "chart");
    if (n == NULL || s == NULL || s[0] == '\0' || !json_is_array(chart) ||
        json_array_size(chart) == 0 || json_array_size(chart) > 32) {
      st = carm_error(CARM_ERR_FORMAT,
                      "%s: a device needs \"name\", a non-empty \"source\" and a \"chart\" of "
                      "1..32 rows",
                      path);
    } else {
      snprintf(out.name, sizeof out.name, "%s", n);
      snprintf(out.modality, sizeof out.modality, "%s", m != NULL ? m : "");
      snprintf(out.source, sizeof out.source, "%s", s);
      out.placeholder = json_is_true(json_object_get(d, "placeholder"));
      double off = 0.0;
      if (json_object_get(d, "tip_offset_mm") != NULL && num(d, "tip_offset_mm", &off) != 0) {
        st = carm_error(CARM_ERR_FORMAT, "%s: tip_offset_mm must be a number", path);
      }
      out.tip_offset_mm = off;
      for (size_t i = 0; st == CARM_OK && i < json_array_size(chart); i++) {
        json_t *r = json_array_get(chart, i);
        carm_ablation_chart_row *row = &out.rows[i];
        if (num(r, "power_w", &row->power_w) || num(r, "time_min", &row->time_min) ||
            num(r, "long_mm", &row->long_mm) || num(r, "short_mm", &row->short_mm) ||
            !(row->power_w > 0.0) || !(row->time_min > 0.0) || !(row->long_mm > 0.0) ||
            !(row->short_mm > 0.0)) {
          st = carm_error(CARM_ERR_FORMAT,
                          "%s: device %s: chart row %zu needs power_w, time_min, long_mm, "
                          "short_mm > 0",
                          path, n, i);
        }
        out.n_rows++;
      }
    }
  }
  json_decref(root);
  if (st == CARM_OK) {
    *dev = out;
  }
  return st;
}

carm_status carm_ablation_device_zone(const carm_ablation_device *dev, double power_w,
                                      double time_min, double *long_mm, double *short_mm) {
  if (dev == NULL || long_mm == NULL || short_mm == NULL || dev->n_rows < 1 || !isfinite(power_w) ||
      !isfinite(time_min)) {
    return carm_error(CARM_ERR_INVALID, "device zone: bad arguments");
  }
  /* the nearest power in the chart */
  double pw = dev->rows[0].power_w;
  for (int i = 1; i < dev->n_rows; i++) {
    if (fabs(dev->rows[i].power_w - power_w) < fabs(pw - power_w)) {
      pw = dev->rows[i].power_w;
    }
  }
  /* rows of that power bracketing the time */
  const carm_ablation_chart_row *lo = NULL, *hi = NULL;
  for (int i = 0; i < dev->n_rows; i++) {
    const carm_ablation_chart_row *r = &dev->rows[i];
    if (r->power_w != pw) {
      continue;
    }
    if (r->time_min <= time_min && (lo == NULL || r->time_min > lo->time_min)) {
      lo = r;
    }
    if (r->time_min >= time_min && (hi == NULL || r->time_min < hi->time_min)) {
      hi = r;
    }
  }
  if (lo == NULL) {
    lo = hi;
  }
  if (hi == NULL) {
    hi = lo;
  }
  double u =
      hi->time_min > lo->time_min ? (time_min - lo->time_min) / (hi->time_min - lo->time_min) : 0.0;
  *long_mm = lo->long_mm + u * (hi->long_mm - lo->long_mm);
  *short_mm = lo->short_mm + u * (hi->short_mm - lo->short_mm);
  return CARM_OK;
}
