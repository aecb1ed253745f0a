/* Noise model: the Poisson sampler's mean and variance, and the variance of
 * noisy log-projections against the model var(p) ~ 1/(I0·exp(−p)) within
 * 5 % over many pixels; reproducible, thread-independent, seed-dependent. */
#include "carm/project.h"
#include "carm/twin.h"
#include "check.h"

#include <math.h>
#include <omp.h>
#include <string.h>

static void poisson_moments(double lambda) {
  carm_rng rng;
  carm_rng_seed(&rng, 99);
  const int n = 200000;
  double s = 0.0, s2 = 0.0;
  int bad = 0;
  for (int i = 0; i < n; i++) {
    double k = carm_rng_poisson(&rng, lambda);
    bad += !(k >= 0.0 && k == floor(k));
    s += k;
    s2 += k * k;
  }
  CHECK(bad == 0);
  double mean = s / n, var = s2 / n - mean * mean;
  /* standard errors: sqrt(λ/n) for the mean, ~λ·sqrt(2/n) for the var */
  CHECK_MSG(fabs(mean - lambda) < 5.0 * sqrt(lambda / n) + 1e-12, "λ %g: mean %g", lambda, mean);
  CHECK_MSG(fabs(var - lambda) < 5.0 * lambda * sqrt(2.0 / n) + 1e-12, "λ %g: var %g", lambda, var);
}

int main(void) {
  poisson_moments(0.5);
  poisson_moments(3.0);
  poisson_moments(9.9);
  poisson_moments(10.0);
  poisson_moments(40.0);
  poisson_moments(1000.0);
  poisson_moments(1e6);
  carm_rng rng;
  carm_rng_seed(&rng, 1);
  CHECK(carm_rng_poisson(&rng, 0.0) == 0.0);

  /* a stack of known line integrals: four levels, one per quarter view */
  const double levels[4] = {0.5, 2.0, 4.0, 6.0};
  const double i0 = 2.0e4;
  carm_volume *p = NULL;
  CHECK(carm_projections_create(&p, 128, 128, 16, 1.0, 1.0) == CARM_OK);
  if (p == NULL) {
    return check_done();
  }
  const int64_t per = 128 * 128;
  for (int64_t z = 0; z < 16; z++) {
    for (int64_t i = 0; i < per; i++) {
      p->data[z * per + i] = (float)levels[z % 4];
    }
  }
  carm_volume *q = NULL;
  CHECK(carm_volume_clone(&q, p) == CARM_OK);
  omp_set_num_threads(2);
  CHECK(carm_acquire_noise(p, i0, 5) == CARM_OK);
  for (int l = 0; l < 4; l++) {
    double s = 0.0, s2 = 0.0;
    int64_t n = 0;
    for (int64_t z = l; z < 16; z += 4) {
      for (int64_t i = 0; i < per; i++) {
        double v = p->data[z * per + i];
        s += v;
        s2 += v * v;
        n++;
      }
    }
    double mean = s / (double)n, var = s2 / (double)n - mean * mean;
    double model = 1.0 / (i0 * exp(-levels[l]));
    CHECK_MSG(fabs(var / model - 1.0) < 0.05, "p = %g: var %g, model %g (ratio %g)", levels[l], var,
              model, var / model);
    /* log of a Poisson mean is biased by about +1/(2 I) */
    CHECK_MSG(fabs(mean - levels[l]) < 0.01 + 3.0 * model, "p = %g: mean %g", levels[l], mean);
  }
  /* same seed, another thread count: same bytes; another seed: different */
  carm_volume *r = NULL;
  CHECK(carm_volume_clone(&r, q) == CARM_OK);
  omp_set_num_threads(1);
  CHECK(carm_acquire_noise(r, i0, 5) == CARM_OK);
  CHECK(memcmp(r->data, p->data, (size_t)carm_volume_count(p) * sizeof(float)) == 0);
  CHECK(carm_acquire_noise(q, i0, 6) == CARM_OK);
  CHECK(memcmp(q->data, p->data, (size_t)carm_volume_count(p) * sizeof(float)) != 0);
  /* counts clamp at 1: a huge line integral gives at most ln(I0) */
  p->data[0] = 100.0f;
  CHECK(carm_acquire_noise(p, i0, 7) == CARM_OK);
  CHECK_NEAR(p->data[0], log(i0), 1e-5);
  /* errors */
  CHECK(carm_acquire_noise(p, 0.0, 1) == CARM_ERR_INVALID);
  CHECK(carm_acquire_noise(p, NAN, 1) == CARM_ERR_INVALID);
  CHECK(carm_acquire_noise(NULL, 1e4, 1) == CARM_ERR_INVALID);
  carm_volume_destroy(p);
  carm_volume_destroy(q);
  carm_volume_destroy(r);
  return check_done();
}
