/* Contrast dynamics of the digital twin: gamma-variate bolus curves and a
 * per-compartment linear mix of them (docs/twin.md), JSON protocol files. */
#include "carm/twin.h"
#include "sim/twin_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const compartment_names[CARM_TWIN_C_COUNT] = {
    "body",        "fat",          "lung", "bone",  "liver",    "kidney", "artery",
    "portal_vein", "hepatic_vein", "ivc",  "aorta", "catheter", "tumour", "hypovascular_lesion"};

const char *carm_twin_compartment_name(int compartment) {
  if (compartment < 0 || compartment >= CARM_TWIN_C_COUNT) {
    return NULL;
  }
  return compartment_names[compartment];
}

static void set_curve(carm_contrast_curve *c, const char *name, double arrival, double ttp,
                      double alpha, double peak) {
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", name);
  c->arrival_s = arrival;
  c->time_to_peak_s = ttp;
  c->alpha = alpha;
  c->peak_hu = peak;
}

void carm_contrast_default(carm_contrast_protocol *p) {
  memset(p, 0, sizeof *p);
  p->version = 1;
  p->mu_water_per_mm = 0.0206;
  snprintf(p->injection_site, sizeof p->injection_site, "%s", "common hepatic artery");
  p->injection_rate_ml_s = 2.0;
  p->injection_duration_s = 8.0;
  /* Curves: arterial inflow at the catheter, splenic/mesenteric return to
   * the portal vein (later, wider), HCC blush (arterial timing, fast
   * wash-out), hepatic venous drainage (latest). */
  p->n_curves = 4;
  set_curve(&p->curves[0], "artery", 1.0, 4.0, 2.0, 1200.0);
  set_curve(&p->curves[1], "portal", 8.0, 10.0, 2.5, 250.0);
  set_curve(&p->curves[2], "tumour", 2.0, 5.0, 3.0, 300.0);
  set_curve(&p->curves[3], "hepatic_vein", 14.0, 10.0, 2.0, 150.0);
  const double base[CARM_TWIN_C_COUNT] = {
      [CARM_TWIN_C_BODY] = 40.0,   [CARM_TWIN_C_FAT] = -100.0,  [CARM_TWIN_C_LUNG] = -750.0,
      [CARM_TWIN_C_BONE] = 700.0,  [CARM_TWIN_C_LIVER] = 60.0,  [CARM_TWIN_C_KIDNEY] = 30.0,
      [CARM_TWIN_C_ARTERY] = 40.0, [CARM_TWIN_C_PORTAL] = 40.0, [CARM_TWIN_C_HEPATIC_VEIN] = 40.0,
      [CARM_TWIN_C_IVC] = 40.0,    [CARM_TWIN_C_AORTA] = 40.0,  [CARM_TWIN_C_CATHETER] = 1500.0,
      [CARM_TWIN_C_TUMOUR] = 45.0, [CARM_TWIN_C_HYPO] = 25.0};
  memcpy(p->base_hu, base, sizeof base);
  p->weight[CARM_TWIN_C_ARTERY][0] = 1.0;
  p->weight[CARM_TWIN_C_PORTAL][1] = 1.0;
  p->weight[CARM_TWIN_C_TUMOUR][2] = 1.0;
  p->weight[CARM_TWIN_C_HEPATIC_VEIN][3] = 1.0;
  p->weight[CARM_TWIN_C_IVC][3] = 0.6;
  /* Parenchyma: dual blood supply, mostly portal. */
  p->weight[CARM_TWIN_C_LIVER][0] = 0.06;
  p->weight[CARM_TWIN_C_LIVER][1] = 0.45;
  /* Hypovascular lesion: a tenth of the parenchyma's enhancement. */
  p->weight[CARM_TWIN_C_HYPO][0] = 0.006;
  p->weight[CARM_TWIN_C_HYPO][1] = 0.045;
}

carm_status carm_contrast_check(const carm_contrast_protocol *p) {
  if (p == NULL || p->version != 1) {
    return carm_error(CARM_ERR_INVALID, "contrast protocol: NULL or version != 1");
  }
  if (!isfinite(p->mu_water_per_mm) || p->mu_water_per_mm <= 0.0 || p->mu_water_per_mm > 1.0) {
    return carm_error(CARM_ERR_INVALID, "contrast protocol: mu_water_per_mm %g not in (0, 1]",
                      p->mu_water_per_mm);
  }
  if (p->n_curves < 1 || p->n_curves > CARM_CONTRAST_MAX_CURVES) {
    return carm_error(CARM_ERR_INVALID, "contrast protocol: %d curves (1..%d)", p->n_curves,
                      CARM_CONTRAST_MAX_CURVES);
  }
  for (int k = 0; k < p->n_curves; k++) {
    const carm_contrast_curve *c = &p->curves[k];
    if (c->name[0] == '\0') {
      return carm_error(CARM_ERR_INVALID, "contrast protocol: curve %d has no name", k);
    }
    for (int j = 0; j < k; j++) {
      if (strcmp(p->curves[j].name, c->name) == 0) {
        return carm_error(CARM_ERR_INVALID, "contrast protocol: curve '%s' given twice", c->name);
      }
    }
    if (!isfinite(c->arrival_s) || !isfinite(c->peak_hu) || fabs(c->peak_hu) > 1e5) {
      return carm_error(CARM_ERR_INVALID, "contrast protocol: curve '%s': bad arrival or peak",
                        c->name);
    }
    if (!isfinite(c->time_to_peak_s) || c->time_to_peak_s < 0.01 || c->time_to_peak_s > 1e4) {
      return carm_error(CARM_ERR_INVALID,
                        "contrast protocol: curve '%s': time_to_peak_s %g not in [0.01, 1e4]",
                        c->name, c->time_to_peak_s);
    }
    if (!isfinite(c->alpha) || c->alpha < 0.1 || c->alpha > 100.0) {
      return carm_error(CARM_ERR_INVALID,
                        "contrast protocol: curve '%s': alpha %g not in [0.1, 100]", c->name,
                        c->alpha);
    }
    if (fabs(c->arrival_s) > 1e5) {
      return carm_error(CARM_ERR_INVALID, "contrast protocol: curve '%s': |arrival_s| > 1e5",
                        c->name);
    }
  }
  for (int c = 0; c < CARM_TWIN_C_COUNT; c++) {
    if (!isfinite(p->base_hu[c]) || p->base_hu[c] < -1000.0 || p->base_hu[c] > 1e5) {
      return carm_error(CARM_ERR_INVALID, "contrast protocol: %s base_hu %g not in [-1000, 1e5]",
                        compartment_names[c], p->base_hu[c]);
    }
    for (int k = 0; k < CARM_CONTRAST_MAX_CURVES; k++) {
      if (!isfinite(p->weight[c][k]) || fabs(p->weight[c][k]) > 100.0) {
        return carm_error(CARM_ERR_INVALID, "contrast protocol: %s weight %d not finite",
                          compartment_names[c], k);
      }
    }
  }
  return CARM_OK;
}

double carm_contrast_curve_hu(const carm_contrast_curve *curve, double t_s) {
  double tau = t_s - curve->arrival_s;
  if (!(tau > 0.0)) {
    return 0.0;
  }
  double x = tau / curve->time_to_peak_s;
  if (!(x < 1e7)) {
    return 0.0; /* far in the tail (alpha >= 0.1): below 1e-300 of the peak */
  }
  return curve->peak_hu * exp(curve->alpha * (log(x) + 1.0 - x));
}

double carm_contrast_hu(const carm_contrast_protocol *p, int compartment, double t_s) {
  if (compartment < 0 || compartment >= CARM_TWIN_C_COUNT) {
    return NAN;
  }
  double hu = p->base_hu[compartment];
  for (int k = 0; k < p->n_curves; k++) {
    double w = p->weight[compartment][k];
    if (w != 0.0) {
      hu += w * carm_contrast_curve_hu(&p->curves[k], t_s);
    }
  }
  return hu;
}

int carm_contrast_find_curve(const carm_contrast_protocol *p, const char *name) {
  for (int k = 0; k < p->n_curves; k++) {
    if (strcmp(p->curves[k].name, name) == 0) {
      return k;
    }
  }
  return -1;
}

/* ---- JSON --------------------------------------------------------------- */

static carm_status get_number(json_t *obj, const char *key, double *out, const char *where) {
  json_t *v = json_object_get(obj, key);
  if (v == NULL) {
    return CARM_OK;
  }
  if (!json_is_number(v)) {
    return carm_error(CARM_ERR_FORMAT, "contrast protocol: %s.%s must be a number", where, key);
  }
  *out = json_number_value(v);
  return CARM_OK;
}

static carm_status check_keys(json_t *obj, const char *const *allowed, const char *where) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    (void)v;
    int ok = 0;
    for (int i = 0; allowed[i] != NULL; i++) {
      if (strcmp(key, allowed[i]) == 0) {
        ok = 1;
      }
    }
    if (!ok) {
      return carm_error(CARM_ERR_FORMAT, "contrast protocol: unknown key '%s' in %s", key, where);
    }
  }
  return CARM_OK;
}

static carm_status read_curves(carm_contrast_protocol *p, json_t *arr) {
  static const char *const keys[] = {"name",  "arrival_s", "time_to_peak_s",
                                     "alpha", "peak_hu",   NULL};
  if (!json_is_array(arr)) {
    return carm_error(CARM_ERR_FORMAT, "contrast protocol: curves must be an array");
  }
  size_t n = json_array_size(arr);
  if (n < 1 || n > CARM_CONTRAST_MAX_CURVES) {
    return carm_error(CARM_ERR_FORMAT, "contrast protocol: %zu curves (1..%d)", n,
                      CARM_CONTRAST_MAX_CURVES);
  }
  carm_contrast_protocol q = *p;
  memset(q.curves, 0, sizeof q.curves);
  memset(q.weight, 0, sizeof q.weight);
  q.n_curves = (int)n;
  for (size_t i = 0; i < n; i++) {
    json_t *c = json_array_get(arr, i);
    if (!json_is_object(c)) {
      return carm_error(CARM_ERR_FORMAT, "contrast protocol: curves[%zu] must be an object", i);
    }
    carm_status st = check_keys(c, keys, "a curve");
    if (st != CARM_OK) {
      return st;
    }
    json_t *name = json_object_get(c, "name");
    if (!json_is_string(name) || json_string_length(name) == 0 ||
        json_string_length(name) >= sizeof q.curves[i].name) {
      return carm_error(CARM_ERR_FORMAT,
                        "contrast protocol: curves[%zu].name must be a string "
                        "of 1..31 characters",
                        i);
    }
    carm_contrast_curve *cv = &q.curves[i];
    snprintf(cv->name, sizeof cv->name, "%s", json_string_value(name));
    int old = carm_contrast_find_curve(p, cv->name);
    if (old >= 0) {
      *cv = p->curves[old];
      for (int comp = 0; comp < CARM_TWIN_C_COUNT; comp++) {
        q.weight[comp][i] = p->weight[comp][old];
      }
    } else {
      cv->time_to_peak_s = NAN; /* must be given */
      cv->alpha = NAN;
    }
    const char *keys_n[] = {"arrival_s", "time_to_peak_s", "alpha", "peak_hu"};
    double *dst[] = {&cv->arrival_s, &cv->time_to_peak_s, &cv->alpha, &cv->peak_hu};
    for (int k = 0; k < 4; k++) {
      st = get_number(c, keys_n[k], dst[k], cv->name);
      if (st != CARM_OK) {
        return st;
      }
    }
  }
  *p = q;
  return CARM_OK;
}

static carm_status read_compartments(carm_contrast_protocol *p, json_t *obj) {
  static const char *const keys[] = {"base_hu", "enhancement", NULL};
  if (!json_is_object(obj)) {
    return carm_error(CARM_ERR_FORMAT, "contrast protocol: compartments must be an object");
  }
  const char *name;
  json_t *c;
  json_object_foreach(obj, name, c) {
    int comp = -1;
    for (int i = 0; i < CARM_TWIN_C_COUNT; i++) {
      if (strcmp(name, compartment_names[i]) == 0) {
        comp = i;
      }
    }
    if (comp < 0) {
      return carm_error(CARM_ERR_FORMAT, "contrast protocol: unknown compartment '%s'", name);
    }
    if (!json_is_object(c)) {
      return carm_error(CARM_ERR_FORMAT, "contrast protocol: compartment '%s' must be an object",
                        name);
    }
    carm_status st = check_keys(c, keys, name);
    if (st == CARM_OK) {
      st = get_number(c, "base_hu", &p->base_hu[comp], name);
    }
    if (st != CARM_OK) {
      return st;
    }
    json_t *enh = json_object_get(c, "enhancement");
    if (enh == NULL) {
      continue;
    }
    if (!json_is_object(enh)) {
      return carm_error(CARM_ERR_FORMAT, "contrast protocol: %s.enhancement must be an object",
                        name);
    }
    for (int k = 0; k < CARM_CONTRAST_MAX_CURVES; k++) {
      p->weight[comp][k] = 0.0;
    }
    const char *cname;
    json_t *w;
    json_object_foreach(enh, cname, w) {
      int k = carm_contrast_find_curve(p, cname);
      if (k < 0) {
        return carm_error(CARM_ERR_FORMAT,
                          "contrast protocol: %s.enhancement names unknown "
                          "curve '%s'",
                          name, cname);
      }
      if (!json_is_number(w)) {
        return carm_error(CARM_ERR_FORMAT,
                          "contrast protocol: %s.enhancement.%s must be a "
                          "number",
                          name, cname);
      }
      p->weight[comp][k] = json_number_value(w);
    }
  }
  return CARM_OK;
}

static carm_status contrast_from_json(carm_contrast_protocol *p, json_t *root, const char *path) {
  static const char *const top_keys[] = {"version",      "mu_water_per_mm", "injection", "curves",
                                         "compartments", "formula",         NULL};
  static const char *const inj_keys[] = {"site", "rate_ml_s", "duration_s", NULL};
  carm_contrast_protocol q;
  carm_contrast_default(&q);
  carm_status st = CARM_OK;
  if (!json_is_object(root)) {
    st = carm_error(CARM_ERR_FORMAT, "%s: not a JSON object", path);
    goto cleanup;
  }
  st = check_keys(root, top_keys, "the protocol");
  if (st != CARM_OK) {
    goto cleanup;
  }
  json_t *ver = json_object_get(root, "version");
  if (ver != NULL && (!json_is_integer(ver) || json_integer_value(ver) != 1)) {
    st = carm_error(CARM_ERR_UNSUPPORTED, "%s: protocol version must be 1", path);
    goto cleanup;
  }
  st = get_number(root, "mu_water_per_mm", &q.mu_water_per_mm, "protocol");
  if (st != CARM_OK) {
    goto cleanup;
  }
  json_t *inj = json_object_get(root, "injection");
  if (inj != NULL) {
    if (!json_is_object(inj)) {
      st = carm_error(CARM_ERR_FORMAT, "contrast protocol: injection must be an object");
      goto cleanup;
    }
    st = check_keys(inj, inj_keys, "injection");
    if (st == CARM_OK) {
      st = get_number(inj, "rate_ml_s", &q.injection_rate_ml_s, "injection");
    }
    if (st == CARM_OK) {
      st = get_number(inj, "duration_s", &q.injection_duration_s, "injection");
    }
    if (st != CARM_OK) {
      goto cleanup;
    }
    json_t *site = json_object_get(inj, "site");
    if (site != NULL) {
      if (!json_is_string(site)) {
        st = carm_error(CARM_ERR_FORMAT, "contrast protocol: injection.site must be a string");
        goto cleanup;
      }
      snprintf(q.injection_site, sizeof q.injection_site, "%s", json_string_value(site));
    }
  }
  json_t *curves = json_object_get(root, "curves");
  if (curves != NULL) {
    st = read_curves(&q, curves);
    if (st != CARM_OK) {
      goto cleanup;
    }
  }
  json_t *comps = json_object_get(root, "compartments");
  if (comps != NULL) {
    st = read_compartments(&q, comps);
    if (st != CARM_OK) {
      goto cleanup;
    }
  }
  st = carm_contrast_check(&q);
  if (st == CARM_OK) {
    *p = q;
  }
cleanup:
  return st;
}

carm_status carm_contrast_read(carm_contrast_protocol *p, const char *path) {
  if (p == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "contrast protocol: NULL argument");
  }
  json_error_t jerr;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL && jerr.line < 0) {
    return carm_error(CARM_ERR_IO, "%s", jerr.text);
  }
  if (root == NULL) {
    return carm_error(CARM_ERR_FORMAT, "line %d: %s", jerr.line, jerr.text);
  }
  carm_status st = contrast_from_json(p, root, path);
  json_decref(root);
  return st;
}

carm_status carm_contrast_read_memory(carm_contrast_protocol *p, const void *data, size_t size) {
  if (p == NULL || (data == NULL && size > 0)) {
    return carm_error(CARM_ERR_INVALID, "contrast protocol: NULL argument");
  }
  json_error_t jerr;
  json_t *root = json_loadb(data != NULL ? data : "", size, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL) {
    return carm_error(CARM_ERR_FORMAT, "protocol: line %d: %s", jerr.line, jerr.text);
  }
  carm_status st = contrast_from_json(p, root, "protocol");
  json_decref(root);
  return st;
}

json_t *carm_contrast_to_json(const carm_contrast_protocol *p) {
  json_t *root = json_object();
  json_object_set_new(root, "version", json_integer(1));
  json_object_set_new(root, "formula",
                      json_string("E(t) = peak_hu*(tau/tp)^alpha*exp(alpha*(1-tau/tp)), "
                                  "tau = t - arrival_s > 0, tp = time_to_peak_s; "
                                  "HU_c(t) = base_hu + sum_k enhancement[k]*E_k(t); "
                                  "mu = mu_water_per_mm*(1 + HU/1000)"));
  json_object_set_new(root, "mu_water_per_mm", json_real(p->mu_water_per_mm));
  json_t *inj = json_object();
  json_object_set_new(inj, "site", json_string(p->injection_site));
  json_object_set_new(inj, "rate_ml_s", json_real(p->injection_rate_ml_s));
  json_object_set_new(inj, "duration_s", json_real(p->injection_duration_s));
  json_object_set_new(root, "injection", inj);
  json_t *curves = json_array();
  for (int k = 0; k < p->n_curves; k++) {
    const carm_contrast_curve *c = &p->curves[k];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(c->name));
    json_object_set_new(o, "arrival_s", json_real(c->arrival_s));
    json_object_set_new(o, "time_to_peak_s", json_real(c->time_to_peak_s));
    json_object_set_new(o, "alpha", json_real(c->alpha));
    json_object_set_new(o, "peak_hu", json_real(c->peak_hu));
    json_array_append_new(curves, o);
  }
  json_object_set_new(root, "curves", curves);
  json_t *comps = json_object();
  for (int c = 0; c < CARM_TWIN_C_COUNT; c++) {
    json_t *o = json_object();
    json_object_set_new(o, "base_hu", json_real(p->base_hu[c]));
    json_t *enh = json_object();
    for (int k = 0; k < p->n_curves; k++) {
      if (p->weight[c][k] != 0.0) {
        json_object_set_new(enh, p->curves[k].name, json_real(p->weight[c][k]));
      }
    }
    json_object_set_new(o, "enhancement", enh);
    json_object_set_new(comps, compartment_names[c], o);
  }
  json_object_set_new(root, "compartments", comps);
  return root;
}

char *carm_contrast_to_string(const carm_contrast_protocol *p) {
  if (p == NULL) {
    return NULL;
  }
  json_t *root = carm_contrast_to_json(p);
  char *s = root != NULL ? json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) : NULL;
  json_decref(root);
  return s;
}

carm_status carm_contrast_write(const carm_contrast_protocol *p, const char *path) {
  carm_status st = carm_contrast_check(p);
  if (st != CARM_OK) {
    return st;
  }
  json_t *root = carm_contrast_to_json(p);
  if (root == NULL) {
    return carm_error(CARM_ERR_NOMEM, "contrast protocol: out of memory");
  }
  st = carm_twin_json_write(root, path);
  json_decref(root);
  return st;
}
