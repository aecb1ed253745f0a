/* RTK's own FDK test case (rtkfdktest.cxx): 180 views over 360°, SID 600,
 * SDD 1200, source offsets (20, 15), 128×128 detector at 4 mm (origin
 * −254), 128³ volume at 2 mm (origin −127), Shepp–Logan scaled by 116 (axes
 * and centres) with exact projections; RTK's reference (DrawSheppLoganFilter)
 * is the phantom's value at each voxel centre.
 *
 * RTK scores it (rtkTest.h, CheckImageQuality) after FieldOfViewImageFilter
 * has set the reconstruction to 0 outside the field of view, with the mean
 * over the WHOLE volume: MAE < 0.03 and PSNR = 20·log10(2) − 10·log10(MSE)
 * > 26 dB. Field of view here: the voxels whose centre projects onto the
 * detector (between its first and last pixel centres) in every view — the
 * region every ray of the scan sees, source offsets included (RTK's filter
 * takes the largest cylinder inside all the views' fans, found by linear
 * programming from the detector corners, cut by the cone's "hat": the same
 * region up to its border voxels). 54 % of the volume; 0 outside it in the
 * reference, so RTK's whole-volume mean is the in-FOV mean × 0.54.
 *
 * Inside the field of view alone the bars hold against the voxel-averaged
 * phantom (the mean over each voxel, 4³ samples) and away from edges, not
 * against point samples at the edges: a band-limited reconstruction (2 mm
 * pixels at the isocentre, the voxel size) cannot follow the 2.3–5.3 mm skull
 * (density 2 next to 0 and 1.02) sampled at a point, and 14 % of the FOV
 * voxels, those next to an edge, carry over 80 % of the squared error. The
 * rest is intrinsic to FDK: the cone-beam drop away from the central plane
 * and ringing of the 2.0 step in the air around the head (both shrink
 * with a 10× longer SID: docs/performance.md).
 *
 * Also: multithreaded output equals single-threaded output; windows lower
 * the error on this noise-free case no more than they should; bad plans
 * are refused. */
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
  unsigned char *fov = fov_mask(ref, geo, proj, 1);
  CHECK(fov != NULL);
  /* the voxel-averaged phantom, and the voxels next to an edge of the
   * phantom (a 26-neighbour has another value at its centre) */
  carm_volume *ref_avg = NULL;
  CHECK(carm_volume_create_like(&ref_avg, ref) == CARM_OK);
  CHECK(carm_phantom_voxelize(sl, ref_avg, 4) == CARM_OK);
  const int64_t nx = 128;
  const int64_t nvox = carm_volume_count(ref);
  unsigned char *edge = calloc((size_t)nvox, 1);
  unsigned char *flat = calloc((size_t)nvox, 1);
  CHECK(edge != NULL && flat != NULL);
  for (int64_t k = 0; k < nx; k++) {
    for (int64_t j = 0; j < nx; j++) {
      for (int64_t i = 0; i < nx; i++) {
        int64_t id = (k * nx + j) * nx + i;
        int e = 0;
        for (int64_t dk = -1; dk <= 1; dk++) {
          for (int64_t dj = -1; dj <= 1; dj++) {
            for (int64_t di = -1; di <= 1; di++) {
              int64_t a = i + di;
              int64_t b = j + dj;
              int64_t c = k + dk;
              if (a >= 0 && b >= 0 && c >= 0 && a < nx && b < nx && c < nx &&
                  ref->data[(c * nx + b) * nx + a] != ref->data[id]) {
                e = 1;
              }
            }
          }
        }
        edge[id] = (unsigned char)(e && fov[id]);
        flat[id] = (unsigned char)(!e && fov[id]);
      }
    }
  }

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
  for (int64_t i = 0; i < nvox; i++) {
    masked->data[i] = fov[i] ? masked->data[i] : 0.0f;
  }
  err_stats e = compare(masked, ref, NULL);
  carm_volume_destroy(masked);
  err_stats ef = compare(rec, ref, fov);     /* inside the FOV, point samples */
  err_stats ea = compare(rec, ref_avg, fov); /* inside the FOV, voxel means */
  err_stats ee = compare(rec, ref, edge);    /* FOV voxels next to an edge */
  err_stats en = compare(rec, ref, flat);    /* the other FOV voxels */
  double fs = 0.0;
  double bs = 0.0;
  carm_fdk_plan_timing(plan, &fs, &bs);
  printf("field of view: %lld of %lld voxels (%.1f %%)\n", (long long)ef.n, (long long)nvox,
         100.0 * (double)ef.n / (double)nvox);
  printf("RTK's measure (0 outside the FOV, mean over the volume): MAE %.5f (bar 0.03), PSNR "
         "%.2f dB (bar 26)\n",
         e.mae, e.psnr);
  printf("inside the FOV vs the voxel-averaged phantom: MAE %.5f, PSNR %.2f dB\n", ea.mae, ea.psnr);
  printf("inside the FOV, the %lld voxels not next to an edge: MAE %.5f, PSNR %.2f dB\n",
         (long long)en.n, en.mae, en.psnr);
  double edge_se = ee.rmse * ee.rmse * (double)ee.n / (ef.rmse * ef.rmse * (double)ef.n);
  printf("inside the FOV vs point samples: MAE %.5f, PSNR %.2f dB, RMSE %.5f; the %lld voxels "
         "next to an edge (%.1f %%) carry %.1f %% of the squared error (their MAE %.4f)\n",
         ef.mae, ef.psnr, ef.rmse, (long long)ee.n, 100.0 * (double)ee.n / (double)ef.n,
         100.0 * edge_se, ee.mae);
  printf("times: projections %.2f s, fdk %.2f s (filter %.2f, backprojection %.2f s = %.2f GUPS)\n",
         t1 - t0, t3 - t2, fs, bs, 180.0 * 128 * 128 * 128 / bs / 1e9);
  CHECK(ef.n > 1000000);
  /* RTK's bars, RTK's measure */
  CHECK_MSG(e.mae < 0.03, "MAE %g", e.mae);
  CHECK_MSG(e.psnr > 26.0, "PSNR %g", e.psnr);
  /* RTK's bars inside the FOV: against the voxel-averaged phantom, and away
   * from edges against point samples */
  CHECK_MSG(ea.mae < 0.03 && ea.psnr > 26.0, "voxel-averaged MAE %g PSNR %g", ea.mae, ea.psnr);
  CHECK_MSG(en.mae < 0.03 && en.psnr > 26.0, "off-edge MAE %g PSNR %g", en.mae, en.psnr);
  /* against point samples everywhere in the FOV the bars are not reached
   * (measured 0.046, 24.5 dB): guard that value, and that the edges are where
   * the error is */
  CHECK_MSG(ef.mae < 0.05 && ef.psnr > 24.0, "in-FOV MAE %g PSNR %g", ef.mae, ef.psnr);
  CHECK_MSG(edge_se > 0.8, "edge share of the squared error %g", edge_se);
  /* no half-voxel shift: the phantom drawn 0.5 mm off along any axis
   * matches worse */
  for (int ax = 0; ax < 3; ax++) {
    for (int sg = -1; sg <= 1; sg += 2) {
      carm_volume *sh = NULL;
      CHECK(carm_volume_create_like(&sh, ref) == CARM_OK);
      sh->origin[ax] += 0.5 * sg;
      CHECK(carm_phantom_voxelize(sl, sh, 1) == CARM_OK);
      err_stats es = compare(rec, sh, fov);
      CHECK_MSG(es.rmse > ef.rmse * 1.02, "shift %+.1f mm along %c: RMSE %g vs %g", 0.5 * sg,
                "xyz"[ax], es.rmse, ef.rmse);
      carm_volume_destroy(sh);
    }
  }
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
  free(edge);
  free(flat);
  carm_volume_destroy(ref_avg);
  carm_volume_destroy(rec);
  carm_volume_destroy(ref);
  carm_volume_destroy(proj);
  carm_phantom_destroy(sl);
  carm_geometry_destroy(geo);
  return check_done();
}
