/* Contrast dynamics: gamma-variate shape (zero before arrival, peak value
 * and time), the default protocol's physiology (arterial peak before portal
 * before hepatic veins; tumour brighter than liver in the arterial phase
 * and darker after wash-out), JSON round trip, partial files, errors. */
#include "carm/twin.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double peak_time(const carm_contrast_protocol *p, int comp) {
  double best = -INFINITY, tb = NAN;
  for (double t = 0.0; t <= 60.0; t += 0.01) {
    double h = carm_contrast_hu(p, comp, t);
    if (h > best) {
      best = h;
      tb = t;
    }
  }
  return tb;
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f != NULL) {
    fputs(text, f);
    fclose(f);
  }
}

int main(void) {
  carm_contrast_protocol p;
  carm_contrast_default(&p);
  CHECK(carm_contrast_check(&p) == CARM_OK);

  /* gamma variate: 0 up to arrival, peak_hu at arrival + ttp, positive
   * after, decays */
  const carm_contrast_curve *c = &p.curves[0];
  CHECK(carm_contrast_curve_hu(c, c->arrival_s) == 0.0);
  CHECK(carm_contrast_curve_hu(c, c->arrival_s - 5.0) == 0.0);
  CHECK_NEAR(carm_contrast_curve_hu(c, c->arrival_s + c->time_to_peak_s), c->peak_hu, 1e-9);
  CHECK(carm_contrast_curve_hu(c, c->arrival_s + 0.5 * c->time_to_peak_s) < c->peak_hu);
  CHECK(carm_contrast_curve_hu(c, c->arrival_s + 1.5 * c->time_to_peak_s) < c->peak_hu);
  CHECK(carm_contrast_curve_hu(c, c->arrival_s + 0.1) > 0.0);
  CHECK(carm_contrast_curve_hu(c, 200.0) < 1e-6 * c->peak_hu);
  for (int k = 0; k < p.n_curves; k++) {
    const carm_contrast_curve *ck = &p.curves[k];
    double tp = ck->arrival_s + ck->time_to_peak_s;
    CHECK_NEAR(carm_contrast_curve_hu(ck, tp), ck->peak_hu, 1e-9 * ck->peak_hu);
    CHECK(carm_contrast_curve_hu(ck, tp - 0.05) < ck->peak_hu);
    CHECK(carm_contrast_curve_hu(ck, tp + 0.05) < ck->peak_hu);
  }

  /* physiology of the default protocol */
  double t_art = peak_time(&p, CARM_TWIN_C_ARTERY);
  double t_por = peak_time(&p, CARM_TWIN_C_PORTAL);
  double t_liv = peak_time(&p, CARM_TWIN_C_LIVER);
  double t_hv = peak_time(&p, CARM_TWIN_C_HEPATIC_VEIN);
  double t_tum = peak_time(&p, CARM_TWIN_C_TUMOUR);
  CHECK_MSG(t_art < t_por && t_por < t_hv, "peaks: artery %g, portal %g, hv %g", t_art, t_por,
            t_hv);
  CHECK_MSG(t_tum < t_liv, "tumour peak %g after liver %g", t_tum, t_liv);
  CHECK(fabs(t_liv - t_por) < 2.0); /* parenchyma mostly portal */
  /* arterial phase (mid arterial sweep, 6.5 s): tumour >> liver;
   * delayed (mid delayed sweep, 22.5 s): tumour < liver (wash-out) */
  double tum_a = carm_contrast_hu(&p, CARM_TWIN_C_TUMOUR, 6.5);
  double liv_a = carm_contrast_hu(&p, CARM_TWIN_C_LIVER, 6.5);
  double tum_d = carm_contrast_hu(&p, CARM_TWIN_C_TUMOUR, 22.5);
  double liv_d = carm_contrast_hu(&p, CARM_TWIN_C_LIVER, 22.5);
  CHECK_MSG(tum_a > liv_a + 100.0, "arterial: tumour %g, liver %g HU", tum_a, liv_a);
  CHECK_MSG(tum_d < liv_d - 30.0, "delayed: tumour %g, liver %g HU", tum_d, liv_d);
  /* before injection: native values */
  for (int comp = 0; comp < CARM_TWIN_C_COUNT; comp++) {
    CHECK(carm_contrast_hu(&p, comp, -1.0) == p.base_hu[comp]);
  }
  CHECK(isnan(carm_contrast_hu(&p, CARM_TWIN_C_COUNT, 1.0)));
  CHECK(strcmp(carm_twin_compartment_name(CARM_TWIN_C_LIVER), "liver") == 0);
  CHECK(carm_twin_compartment_name(-1) == NULL);

  /* JSON round trip is exact */
  CHECK(carm_contrast_write(&p, "contrast_rt.json") == CARM_OK);
  carm_contrast_protocol q;
  memset(&q, 0, sizeof q);
  CHECK(carm_contrast_read(&q, "contrast_rt.json") == CARM_OK);
  CHECK(q.n_curves == p.n_curves && q.mu_water_per_mm == p.mu_water_per_mm);
  CHECK(memcmp(q.curves, p.curves, sizeof p.curves) == 0);
  CHECK(memcmp(q.base_hu, p.base_hu, sizeof p.base_hu) == 0);
  CHECK(memcmp(q.weight, p.weight, sizeof p.weight) == 0);
  CHECK(strcmp(q.injection_site, p.injection_site) == 0);

  /* a partial file: one curve kept by name (its other values and weights
   * stay), a changed base */
  write_text("contrast_part.json", "{\"curves\": [{\"name\": \"artery\", \"peak_hu\": 800}],"
                                   " \"compartments\": {\"liver\": {\"base_hu\": 55}}}");
  CHECK(carm_contrast_read(&q, "contrast_part.json") == CARM_OK);
  CHECK(q.n_curves == 1 && q.curves[0].peak_hu == 800.0);
  CHECK(q.curves[0].alpha == p.curves[0].alpha);
  CHECK(q.base_hu[CARM_TWIN_C_LIVER] == 55.0);
  CHECK(q.weight[CARM_TWIN_C_ARTERY][0] == 1.0);
  CHECK(q.weight[CARM_TWIN_C_LIVER][0] == p.weight[CARM_TWIN_C_LIVER][0]);
  CHECK(q.weight[CARM_TWIN_C_PORTAL][0] == 0.0);

  /* errors leave the output alone */
  static const char *const bad[] = {
      "{\"bogus\": 1}",
      "{\"curves\": [{\"name\": \"artery\", \"alpha\": -1}]}",
      "{\"curves\": [{\"name\": \"new\", \"peak_hu\": 10}]}", /* no tp, alpha */
      "{\"curves\": []}",
      "{\"compartments\": {\"spleen\": {\"base_hu\": 50}}}",
      "{\"compartments\": {\"liver\": {\"enhancement\": {\"nope\": 1}}}}",
      "{\"compartments\": {\"liver\": {\"base_hu\": \"60\"}}}",
      "{\"mu_water_per_mm\": 0}",
      "{\"version\": 2}",
      "[1, 2]",
      "{\"curves\": [{\"name\": \"artery\"}, {\"name\": \"artery\"}]}",
      "{not json"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    write_text("contrast_bad.json", bad[i]);
    carm_contrast_protocol r = p;
    carm_status st = carm_contrast_read(&r, "contrast_bad.json");
    CHECK_MSG(st != CARM_OK, "accepted: %s", bad[i]);
    CHECK(memcmp(&r, &p, sizeof p) == 0);
    CHECK(strlen(carm_last_error()) > 0);
  }
  CHECK(carm_contrast_read(&q, "no/such/file.json") != CARM_OK);
  CHECK(carm_contrast_write(&p, "no/such/dir/out.json") == CARM_ERR_IO);
  carm_contrast_protocol bad_p = p;
  bad_p.curves[1].time_to_peak_s = 0.0;
  CHECK(carm_contrast_check(&bad_p) == CARM_ERR_INVALID);
  CHECK(carm_contrast_write(&bad_p, "contrast_x.json") == CARM_ERR_INVALID);
  remove("contrast_rt.json");
  remove("contrast_part.json");
  remove("contrast_bad.json");
  return check_done();
}
