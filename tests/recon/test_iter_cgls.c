/* CGLS: the data residual ‖b − Ax‖ decreases monotonically (checked
 * against an independent forward projection of every iterate, not only
 * the solver's recursive residual), the RMSE against the phantom falls,
 * for a full circle and jittered HFS short scans with random extra
 * ellipsoids (three seeds); and on data the model fits exactly (b = A x*)
 * the residual goes far down. */
#include "check.h"
#include "iter_fixture.h"

#include <stdio.h>

#define MAX_IT 10

typedef struct trace {
  const fixture *f;
  const carm_volume *b;
  carm_volume *ax;
  int n;
  double true_res[MAX_IT + 1];
  double rec_res[MAX_IT + 1];
  double rmse[MAX_IT + 1];
} trace;

static double residual(const carm_volume *b, const carm_volume *ax) {
  double s = 0.0;
  double n = 0.0;
  for (int64_t i = 0; i < carm_volume_count(b); i++) {
    double d = (double)b->data[i] - (double)ax->data[i];
    s += d * d;
    n += (double)b->data[i] * (double)b->data[i];
  }
  return sqrt(s / n);
}

static int record(void *user, const carm_iter_stats *st, const carm_volume *x) {
  trace *t = user;
  if (t->n <= MAX_IT) {
    carm_project_opts po = CARM_PROJECT_INIT;
    CHECK(carm_project_forward(x, t->f->geo, t->ax, &po) == CARM_OK);
    t->true_res[t->n] = residual(t->b, t->ax);
    t->rec_res[t->n] = st->residual;
    t->rmse[t->n] = t->f->truth != NULL ? fixture_rmse(t->f, x) : 0.0;
    t->n++;
  }
  return 0;
}

static void run(const fixture *f, const carm_volume *b, const char *what, double final_res) {
  carm_iter_opts o = CARM_ITER_INIT;
  o.threads = TEST_THREADS;
  o.method = CARM_ITER_CGLS;
  o.iterations = MAX_IT;
  o.nonneg = 0; /* the iterates themselves, unclamped */
  carm_volume *x = NULL;
  carm_volume *ax = NULL;
  CHECK(carm_volume_create_like(&x, f->truth) == CARM_OK);
  CHECK(carm_volume_create_like(&ax, b) == CARM_OK);
  trace t = {f, b, ax, 1, {1.0}, {1.0}, {0}};
  t.rmse[0] = fixture_rmse(f, x);
  o.on_iteration = record;
  o.user = &t;
  carm_iter_plan *plan = NULL;
  CHECK(carm_iter_plan_create(&plan, f->geo, b, x, &o) == CARM_OK);
  CHECK(carm_iter_execute(plan, b, x) == CARM_OK);
  CHECK(t.n == MAX_IT + 1);
  printf("%-30s residual", what);
  for (int i = 0; i < t.n; i++) {
    printf(" %.5f", t.true_res[i]);
  }
  printf("\n%-30s RMSE    ", "");
  for (int i = 0; i < t.n; i++) {
    printf(" %.5f", t.rmse[i]);
  }
  printf("\n");
  for (int i = 1; i < t.n; i++) {
    CHECK_MSG(t.true_res[i] < t.true_res[i - 1], "%s: residual rose at iteration %d: %g -> %g",
              what, i, t.true_res[i - 1], t.true_res[i]);
    /* the solver's recursive residual tracks the true one */
    CHECK_MSG(fabs(t.rec_res[i] - t.true_res[i]) < 1e-3 + 0.02 * t.true_res[i],
              "%s: recursive residual %g vs true %g", what, t.rec_res[i], t.true_res[i]);
  }
  CHECK_MSG(t.true_res[t.n - 1] < final_res, "%s: final residual %g", what, t.true_res[t.n - 1]);
  CHECK_MSG(t.rmse[t.n - 1] < 0.5 * t.rmse[0], "%s: RMSE %g from %g", what, t.rmse[t.n - 1],
            t.rmse[0]);
  carm_iter_plan_destroy(plan);
  carm_volume_destroy(x);
  carm_volume_destroy(ax);
}

int main(void) {
  fixture f;
  CHECK(fixture_make(&f, 32, 3.75, 48, 360.0, 0.0, 0, 56, 56, 4.0, CARM_PATIENT_WORLD) == 0);
  run(&f, f.proj, "full circle, analytic data", 0.08);
  /* consistent data: b = A·truth */
  carm_volume *b = NULL;
  CHECK(carm_volume_create_like(&b, f.proj) == CARM_OK);
  carm_project_opts po = CARM_PROJECT_INIT;
  CHECK(carm_project_forward(f.truth, f.geo, b, &po) == CARM_OK);
  run(&f, b, "full circle, consistent data", 0.03);
  carm_volume_destroy(b);
  fixture_free(&f);
  for (uint64_t seed = 1; seed <= 3; seed++) {
    CHECK(fixture_make(&f, 32, 3.75, 40, 200.0, 0.5, seed, 56, 56, 4.0, CARM_PATIENT_HFS) == 0);
    char what[64];
    snprintf(what, sizeof what, "short scan HFS seed %d", (int)seed);
    run(&f, f.proj, what, 0.08);
    fixture_free(&f);
  }
  return check_done();
}
