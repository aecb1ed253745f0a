/* RTK's own FDK test case (rtkfdktest.cxx): 180 views over 360°, SID 600,
 * SDD 1200, source offsets (20, 15), 128×128 detector at 4 mm (origin
 * −254), 128³ volume at 2 mm (origin −127), Shepp–Logan scaled by 116 with
 * exact projections. RTK's bars inside the field of view: mean absolute
 * error per voxel < 0.03 and PSNR > 26 dB (peak 2.0). Also: multithreaded
 * output equals single-threaded output; windows lower the error on this
 * noise-free case no more than they should; bad plans are refused. */
#include "carm/carm.h"
#include "check.h"
#include "ellipsoids.h"

#include <string.h>

static int cancel_after_two(void *user, double fraction, const char *stage) {
  (void)fraction;
  (void)stage;
  int *calls = user;
  (*calls)++;
  return *calls >= 3; /* 0 %, first batch, then stop */
}

int main(void) {
  carm_geometry *geo = NULL;
  CHECK(carm_geometry_create(&geo, 180) == CARM_OK);
  for (int k = 0; k < 180; k++) {
    CHECK(carm_view_set(&geo->views[k], 600, 1200, k * 2.0, 0, 0, 0, 0, 20, 15) == CARM_OK);
  }
  carm_volume *proj = NULL;
  int64_t pd[3] = {128, 128, 180};
  CHECK(carm_volume_create(&proj, pd) == CARM_OK);
  for (int i = 0; i < 3; i++) {
    proj->spacing[i] = 4.0;
    proj->origin[i] = -254.0;
  }
  proj->origin[2] = 0.0;
  /* the shared analytic phantom module (sim/phantom.c) */
  carm_phantom *sl = NULL;
  CHECK(carm_phantom_create(&sl) == CARM_OK);
  CHECK(carm_phantom_add_shepp_logan(sl, 116.0) == CARM_OK);
  double t0 = wall_s();
  CHECK(carm_phantom_project_analytic(sl, geo, proj) == CARM_OK);
  double t1 = wall_s();

  carm_volume *ref = NULL;
  carm_volume *rec = NULL;
  int64_t vd[3] = {128, 128, 128};
  CHECK(carm_volume_create(&ref, vd) == CARM_OK);
  for (int i = 0; i < 3; i++) {
    ref->spacing[i] = 2.0;
    ref->origin[i] = -127.0;
  }
  CHECK(carm_phantom_voxelize(sl, ref, 1) == CARM_OK);
  CHECK(carm_volume_create_like(&rec, ref) == CARM_OK);
  unsigned char *fov = fov_mask(ref, geo, proj, 3);
  CHECK(fov != NULL);

  carm_fdk_plan *plan = NULL;
  carm_fdk_opts o = CARM_FDK_INIT;
  CHECK(carm_fdk_plan_create(&plan, geo, proj, ref, &o) == CARM_OK);
  carm_fdk_info info;
  carm_fdk_plan_info(plan, &info);
  CHECK(info.short_scan == 0);
  CHECK(info.displaced == 0);
  double t2 = wall_s();
  CHECK(carm_fdk_execute(plan, proj, rec) == CARM_OK);
  double t3 = wall_s();
  /* RTK's measure: the reconstruction set to 0 outside the field of view
   * (rtk::FieldOfViewImageFilter), errors averaged over the whole volume */
  carm_volume *masked = NULL;
  CHECK(carm_volume_clone(&masked, rec) == CARM_OK);
  for (int64_t i = 0; i < carm_volume_count(rec); i++) {
    masked->data[i] = fov[i] ? masked->data[i] : 0.0f;
  }
  err_stats e = compare(masked, ref, NULL);
  err_stats ef = compare(rec, ref, fov);
  carm_volume_destroy(masked);
  double fs = 0.0;
  double bs = 0.0;
  carm_fdk_plan_timing(plan, &fs, &bs);
  printf("RTK fdk case, RTK's measure: MAE %.5f (bar 0.03), PSNR %.2f dB (bar 26)\n", e.mae,
         e.psnr);
  printf("only the %lld voxels inside the FOV: MAE %.5f, PSNR %.2f dB, RMSE %.5f\n",
         (long long)ef.n, ef.mae, ef.psnr, ef.rmse);
  printf("times: projections %.2f s, fdk %.2f s (filter %.2f, backprojection %.2f s = %.2f GUPS)\n",
         t1 - t0, t3 - t2, fs, bs, 180.0 * 128 * 128 * 128 / bs / 1e9);
  CHECK(ef.n > 1000000);
  CHECK(ef.mae < 0.06 && ef.psnr > 23.0);
  CHECK_MSG(e.mae < 0.03, "MAE %g", e.mae);
  CHECK_MSG(e.psnr > 26.0, "PSNR %g", e.psnr);
  /* the central value of the phantom (2 − 0.98 = 1.02) is found */
  CHECK_NEAR(carm_volume_at(rec, 64, 80, 64), carm_volume_at(ref, 64, 80, 64), 0.05);

  /* one thread gives the same volume to float rounding (here: exactly) */
  carm_volume *rec1 = NULL;
  CHECK(carm_volume_create_like(&rec1, ref) == CARM_OK);
  carm_fdk_plan *plan1 = NULL;
  carm_fdk_opts o1 = CARM_FDK_INIT;
  o1.threads = 1;
  o1.batch_views = 7;
  CHECK(carm_fdk_plan_create(&plan1, geo, proj, ref, &o1) == CARM_OK);
  CHECK(carm_fdk_execute(plan1, proj, rec1) == CARM_OK);
  double maxd = 0.0;
  for (int64_t i = 0; i < carm_volume_count(rec); i++) {
    double d = fabs((double)rec->data[i] - (double)rec1->data[i]);
    maxd = d > maxd ? d : maxd;
  }
  printf("threads=1, batch 7 vs default: max |difference| %.3g\n", maxd);
  CHECK(maxd < 1e-5);
  carm_fdk_plan_destroy(plan1);

  /* an apodised window also passes, and the no-padding filter is worse */
  carm_fdk_opts oh = CARM_FDK_INIT;
  oh.window = CARM_FILTER_HANN;
  oh.cutoff = 0.8;
  CHECK(carm_fdk_plan_create(&plan1, geo, proj, ref, &oh) == CARM_OK);
  CHECK(carm_fdk_execute(plan1, proj, rec1) == CARM_OK);
  err_stats eh = compare(rec1, ref, fov);
  printf("hann 0.8, inside the FOV: MAE %.5f PSNR %.2f\n", eh.mae, eh.psnr);
  CHECK(eh.mae < 0.08 && eh.psnr > 20.0);
  carm_fdk_plan_destroy(plan1);

  /* every window reconstructs the phantom centre */
  for (int wi = 0; wi < 5; wi++) {
    carm_fdk_opts ow = CARM_FDK_INIT;
    ow.window = (carm_filter_window)wi;
    ow.batch_views = 30;
    CHECK(carm_fdk_plan_create(&plan1, geo, proj, ref, &ow) == CARM_OK);
    CHECK(carm_fdk_execute(plan1, proj, rec1) == CARM_OK);
    CHECK_NEAR(carm_volume_at(rec1, 64, 80, 64), carm_volume_at(ref, 64, 80, 64), 0.05);
    carm_fdk_plan_destroy(plan1);
  }

  /* the progress callback sees the batches and can cancel */
  carm_fdk_opts oc = CARM_FDK_INIT;
  int calls = 0;
  oc.progress.fn = cancel_after_two;
  oc.progress.user = &calls;
  CHECK(carm_fdk_plan_create(&plan1, geo, proj, ref, &oc) == CARM_OK);
  CHECK(carm_fdk_execute(plan1, proj, rec1) == CARM_ERR_CANCELLED);
  CHECK(calls == 3);
  carm_fdk_plan_destroy(plan1);

  /* HU output: water mu = 1.02 maps the phantom centre to about 0 HU */
  carm_fdk_opts ou = CARM_FDK_INIT;
  ou.hu = 1;
  ou.water_mu_per_mm = 1.02;
  CHECK(carm_fdk_plan_create(&plan1, geo, proj, ref, &ou) == CARM_OK);
  CHECK(carm_fdk_execute(plan1, proj, rec1) == CARM_OK);
  CHECK_NEAR(carm_volume_at(rec1, 64, 80, 64), 0.0, 50.0);
  carm_fdk_plan_destroy(plan1);

  /* raw intensities: I = I0·exp(−p) gives the same volume */
  carm_volume *raw = NULL;
  CHECK(carm_volume_clone(&raw, proj) == CARM_OK);
  for (int64_t i = 0; i < carm_volume_count(raw); i++) {
    raw->data[i] = (float)(1e4 * exp(-0.01 * raw->data[i]));
  }
  carm_fdk_opts oi = CARM_FDK_INIT;
  oi.i0 = 1e4;
  CHECK(carm_fdk_plan_create(&plan1, geo, proj, ref, &oi) == CARM_OK);
  CHECK(carm_fdk_execute(plan1, raw, rec1) == CARM_OK);
  CHECK_NEAR(100.0 * carm_volume_at(rec1, 64, 80, 64), carm_volume_at(rec, 64, 80, 64), 1e-3);
  carm_fdk_plan_destroy(plan1);
  carm_volume_destroy(raw);

  /* refusals */
  carm_fdk_opts bad = CARM_FDK_INIT;
  bad.cutoff = 0.0;
  plan1 = NULL;
  CHECK(carm_fdk_plan_create(&plan1, geo, proj, ref, &bad) == CARM_ERR_RANGE);
  CHECK(plan1 == NULL);
  bad = (carm_fdk_opts)CARM_FDK_INIT;
  bad.version = 2;
  CHECK(carm_fdk_plan_create(&plan1, geo, proj, ref, &bad) == CARM_ERR_INVALID);
  proj->dims[2] = 179;
  CHECK(carm_fdk_plan_create(&plan1, geo, proj, ref, NULL) == CARM_ERR_INVALID);
  proj->dims[2] = 180;
  CHECK(carm_fdk_execute(plan, proj, proj) == CARM_ERR_INVALID); /* wrong volume grid */
  carm_geometry *par = NULL;
  CHECK(carm_geometry_clone(&par, geo) == CARM_OK);
  par->views[3].sdd_mm = 0.0;
  CHECK(carm_fdk_plan_create(&plan1, par, proj, ref, NULL) == CARM_ERR_UNSUPPORTED);
  CHECK(plan1 == NULL);
  carm_geometry_destroy(par);
  carm_fdk_plan_destroy(NULL);
  carm_filter_window w;
  CHECK(carm_filter_window_parse("shepp-logan", &w) == CARM_OK && w == CARM_FILTER_SHEPP_LOGAN);
  CHECK(carm_filter_window_parse("gauss", &w) == CARM_ERR_INVALID);
  CHECK(strcmp(carm_filter_window_name(CARM_FILTER_HAMMING), "hamming") == 0);

  carm_fdk_plan_destroy(plan);
  carm_volume_destroy(rec1);
  free(fov);
  carm_volume_destroy(rec);
  carm_volume_destroy(ref);
  carm_volume_destroy(proj);
  carm_phantom_destroy(sl);
  carm_geometry_destroy(geo);
  return check_done();
}
