/* SART / OS-SART on noise-free exact projections of the Shepp–Logan
 * phantom: the RMSE against the voxelised phantom decreases monotonically
 * over the iterations, for SIRT (1 subset), OS-SART and classical SART
 * (one view per subset), on a full circle and on jittered C-arm short
 * scans with the patient head-first supine (three seeds). Also: the
 * reported residual decreases, the iteration callback sees every iterate,
 * non-negativity holds. */
#include "check.h"
#include "iter_fixture.h"

#include <stdio.h>

#define MAX_IT 8

typedef struct trace {
  const fixture *f;
  int n;
  double rmse[MAX_IT + 1];
  double residual[MAX_IT + 1];
} trace;

static int record(void *user, const carm_iter_stats *st, const carm_volume *x) {
  trace *t = user;
  if (t->n <= MAX_IT) {
    t->rmse[t->n] = fixture_rmse(t->f, x);
    t->residual[t->n] = st->residual;
    t->n++;
  }
  return 0;
}

/* monotone: check that the RMSE decreases at every iteration (SIRT and
 * OS-SART); otherwise only that it ends well below the start. Classical
 * SART (one view per subset) on data the discrete model cannot fit
 * exactly (analytic projections) reaches its best RMSE within a few
 * iterations and then enters the ordered-subsets limit cycle, so its RMSE
 * is not monotone; docs/iterative.md. */
static void run(const fixture *f, int subsets, double relax, int monotone, const char *what) {
  carm_iter_opts o = CARM_ITER_INIT;
  o.threads = TEST_THREADS;
  o.method = CARM_ITER_SART;
  o.iterations = MAX_IT;
  o.subsets = subsets;
  o.relaxation = relax;
  trace t = {f, 1, {0}, {0}};
  carm_volume *x = NULL;
  CHECK(carm_volume_create_like(&x, f->truth) == CARM_OK);
  t.rmse[0] = fixture_rmse(f, x); /* the zero start */
  o.on_iteration = record;
  o.user = &t;
  carm_iter_plan *plan = NULL;
  carm_status st = carm_iter_plan_create(&plan, f->geo, f->proj, x, &o);
  CHECK_MSG(st == CARM_OK, "%s: plan %s", what, carm_last_error());
  if (st == CARM_OK) {
    CHECK(carm_iter_execute(plan, f->proj, x) == CARM_OK);
    carm_iter_info info;
    carm_iter_plan_info(plan, &info);
    CHECK(info.iterations_run == MAX_IT);
    CHECK(info.subsets == (subsets < f->geo->n_views ? subsets : (int)f->geo->n_views));
  }
  CHECK(t.n == MAX_IT + 1);
  printf("%-34s RMSE", what);
  for (int i = 0; i < t.n; i++) {
    printf(" %.5f", t.rmse[i]);
  }
  printf("\n");
  for (int i = 1; i < t.n && monotone; i++) {
    CHECK_MSG(t.rmse[i] < t.rmse[i - 1], "%s: RMSE rose at iteration %d: %g -> %g", what, i,
              t.rmse[i - 1], t.rmse[i]);
  }
  for (int i = 2; i < t.n && monotone; i++) {
    CHECK_MSG(t.residual[i] < t.residual[i - 1], "%s: residual rose at iteration %d", what, i);
  }
  /* converged to well under the phantom's contrast scale */
  CHECK_MSG(t.rmse[t.n - 1] < 0.35 * t.rmse[0], "%s: final RMSE %g vs start %g", what,
            t.rmse[t.n - 1], t.rmse[0]);
  float lo = 0.0f;
  for (int64_t i = 0; i < carm_volume_count(x); i++) {
    lo = x->data[i] < lo ? x->data[i] : lo;
  }
  CHECK(lo >= 0.0f);
  carm_iter_plan_destroy(plan);
  carm_volume_destroy(x);
}

int main(void) {
  fixture f;
  CHECK(fixture_make(&f, 32, 3.75, 48, 360.0, 0.0, 0, 56, 56, 4.0, CARM_PATIENT_WORLD) == 0);
  run(&f, 1, 1.0, 1, "full circle, SIRT");
  run(&f, 6, 1.0, 1, "full circle, OS-SART 6 subsets");
  run(&f, 1000, 0.5, 0, "full circle, SART 1 view/subset");
  fixture_free(&f);
  for (uint64_t seed = 1; seed <= 3; seed++) {
    CHECK(fixture_make(&f, 32, 3.75, 40, 200.0, 0.5, seed, 56, 56, 4.0, CARM_PATIENT_HFS) == 0);
    char what[64];
    snprintf(what, sizeof what, "short scan HFS seed %d, OS-SART 5", (int)seed);
    run(&f, 5, 1.0, 1, what);
    fixture_free(&f);
  }
  return check_done();
}
