/* Iterative API contracts: option and argument errors, grid checks,
 * cancellation through the progress callback, early stop by the iteration
 * callback and by tolerances, warm start (two single iterations equal two
 * iterations), recomputed column weights equal cached ones, threads give
 * the same answer. */
#include "check.h"
#include "iter_fixture.h"

#include <string.h>

static int cancel_at_half(void *user, double fraction, const char *stage) {
  (void)stage;
  int *calls = user;
  (*calls)++;
  return fraction >= 0.5;
}

static int stop_after_two(void *user, const carm_iter_stats *st, const carm_volume *x) {
  (void)user;
  (void)x;
  return st->iteration >= 2;
}

static carm_volume *solve(const fixture *f, carm_iter_opts *o, const carm_volume *start) {
  carm_volume *x = NULL;
  CHECK(carm_volume_create_like(&x, f->truth) == CARM_OK);
  if (start != NULL) {
    memcpy(x->data, start->data, (size_t)carm_volume_count(x) * sizeof(float));
  }
  carm_iter_plan *plan = NULL;
  carm_status st = carm_iter_plan_create(&plan, f->geo, f->proj, x, o);
  CHECK_MSG(st == CARM_OK, "%s", carm_last_error());
  if (st == CARM_OK) {
    CHECK(carm_iter_execute(plan, f->proj, x) == CARM_OK);
  }
  carm_iter_plan_destroy(plan);
  return x;
}

static double maxdiff(const carm_volume *a, const carm_volume *b) {
  double m = 0.0;
  for (int64_t i = 0; i < carm_volume_count(a); i++) {
    m = fmax(m, fabs((double)a->data[i] - (double)b->data[i]));
  }
  return m;
}

int main(void) {
  fixture f;
  CHECK(fixture_make(&f, 24, 5.0, 30, 360.0, 0.0, 0, 40, 40, 5.0, CARM_PATIENT_WORLD) == 0);
  carm_volume *x = NULL;
  CHECK(carm_volume_create_like(&x, f.truth) == CARM_OK);
  carm_iter_plan *plan = NULL;

  /* errors */
  carm_iter_opts o = CARM_ITER_INIT;
  CHECK(carm_iter_plan_create(NULL, f.geo, f.proj, x, &o) == CARM_ERR_INVALID);
  CHECK(carm_iter_plan_create(&plan, NULL, f.proj, x, &o) == CARM_ERR_INVALID);
  o.version = 2;
  CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, x, &o) == CARM_ERR_INVALID);
  o = (carm_iter_opts)CARM_ITER_INIT;
  o.iterations = 0;
  CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, x, &o) == CARM_ERR_RANGE);
  o = (carm_iter_opts)CARM_ITER_INIT;
  o.subsets = 0;
  CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, x, &o) == CARM_ERR_RANGE);
  o = (carm_iter_opts)CARM_ITER_INIT;
  o.relaxation = 2.0;
  CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, x, &o) == CARM_ERR_RANGE);
  o = (carm_iter_opts)CARM_ITER_INIT;
  o.method = CARM_ITER_TV;
  o.tv_alpha_red = 0.0;
  CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, x, &o) == CARM_ERR_RANGE);
  o = (carm_iter_opts)CARM_ITER_INIT;
  o.method = (carm_iter_method)7;
  CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, x, &o) == CARM_ERR_INVALID);
  CHECK(plan == NULL);
  /* a stack whose view count differs from the geometry */
  carm_volume *bad = NULL;
  CHECK(carm_projections_create(&bad, 40, 40, 29, 5.0, 5.0) == CARM_OK);
  CHECK(carm_iter_plan_create(&plan, f.geo, bad, x, NULL) == CARM_ERR_INVALID);
  carm_volume_destroy(bad);
  /* a volume far from every ray */
  carm_volume *far = NULL;
  CHECK(carm_volume_create_like(&far, x) == CARM_OK);
  far->origin[0] = 5000.0;
  CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, far, NULL) == CARM_ERR_GEOMETRY);
  /* execute with the wrong grid */
  CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, x, NULL) == CARM_OK);
  CHECK(carm_iter_execute(plan, f.proj, far) == CARM_ERR_INVALID);
  CHECK(carm_iter_execute(NULL, f.proj, x) == CARM_ERR_INVALID);
  carm_iter_plan_destroy(plan);
  plan = NULL;
  carm_iter_plan_destroy(NULL);
  carm_volume_destroy(far);
  carm_iter_method m;
  CHECK(carm_iter_method_parse("os-sart", &m) == CARM_OK && m == CARM_ITER_SART);
  CHECK(carm_iter_method_parse("cgls", &m) == CARM_OK && m == CARM_ITER_CGLS);
  CHECK(carm_iter_method_parse("asd-pocs", &m) == CARM_OK && m == CARM_ITER_TV);
  CHECK(carm_iter_method_parse("fdk", &m) == CARM_ERR_INVALID);
  CHECK(strcmp(carm_iter_method_name(CARM_ITER_TV), "tv") == 0);

  /* cancellation, for each method */
  for (int k = 0; k < 3; k++) {
    int calls = 0;
    o = (carm_iter_opts)CARM_ITER_INIT;
    o.method = (carm_iter_method)k;
    o.iterations = 4;
    CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, x, &o) == CARM_OK);
    carm_iter_plan_destroy(plan);
    o.progress.fn = cancel_at_half;
    o.progress.user = &calls;
    plan = NULL;
    carm_status st = carm_iter_plan_create(&plan, f.geo, f.proj, x, &o);
    if (st == CARM_OK) {
      st = carm_iter_execute(plan, f.proj, x);
    }
    CHECK_MSG(st == CARM_ERR_CANCELLED, "method %d: %d", k, (int)st);
    CHECK(calls > 0);
    carm_iter_plan_destroy(plan);
    plan = NULL;
  }

  /* early stop by the callback and by a tolerance */
  o = (carm_iter_opts)CARM_ITER_INIT;
  o.iterations = 10;
  o.on_iteration = stop_after_two;
  CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, x, &o) == CARM_OK);
  CHECK(carm_iter_execute(plan, f.proj, x) == CARM_OK);
  carm_iter_info info;
  carm_iter_plan_info(plan, &info);
  CHECK(info.iterations_run == 2);
  carm_iter_plan_destroy(plan);
  o = (carm_iter_opts)CARM_ITER_INIT;
  o.method = CARM_ITER_CGLS;
  o.iterations = 200;
  o.tol_residual = 0.2;
  CHECK(carm_iter_plan_create(&plan, f.geo, f.proj, x, &o) == CARM_OK);
  CHECK(carm_iter_execute(plan, f.proj, x) == CARM_OK);
  carm_iter_plan_info(plan, &info);
  CHECK(info.iterations_run >= 1 && info.iterations_run < 200);
  CHECK(info.residual < 0.2);
  carm_iter_plan_destroy(plan);

  /* warm start: 1 + 1 iterations == 2 iterations (SART has no other state) */
  o = (carm_iter_opts)CARM_ITER_INIT;
  o.iterations = 2;
  o.subsets = 3;
  carm_volume *two = solve(&f, &o, NULL);
  o.iterations = 1;
  carm_volume *one = solve(&f, &o, NULL);
  o.warm_start = 1;
  carm_volume *again = solve(&f, &o, one);
  CHECK_MSG(maxdiff(two, again) < 1e-6, "warm start differs by %g", maxdiff(two, again));
  CHECK(maxdiff(two, one) > 1e-3);
  /* recomputed column weights == cached ones */
  o = (carm_iter_opts)CARM_ITER_INIT;
  o.iterations = 2;
  o.subsets = 3;
  o.weight_cache_bytes = 0;
  carm_volume *nocache = solve(&f, &o, NULL);
  CHECK_MSG(maxdiff(two, nocache) < 1e-6, "uncached weights differ by %g", maxdiff(two, nocache));
  /* one thread vs the default */
  o.weight_cache_bytes = (size_t)1 << 30;
  o.threads = 1;
  carm_volume *t1 = solve(&f, &o, NULL);
  CHECK_MSG(maxdiff(two, t1) < 1e-4 * 2.0, "threads differ by %g", maxdiff(two, t1));

  carm_volume_destroy(two);
  carm_volume_destroy(one);
  carm_volume_destroy(again);
  carm_volume_destroy(nocache);
  carm_volume_destroy(t1);
  carm_volume_destroy(x);
  fixture_free(&f);
  return check_done();
}
