/* carm recon from the command line: the documented form, --hu, --like, a
 * default grid, and the refusals (bad usage exits 2, bad input 1, and no
 * output file is left behind). */
#include "carm/carm.h"
#include "check.h"
#include "ellipsoids.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* run `carm recon ARGS`; `std` adds the standard geometry and projections */
static int run(const char *carm, int std, const char *args) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "%s recon %s %s %s", carm, std ? "--geometry recon_cli_geo.xml" : "",
           args, std ? "recon_cli_proj.mha" : "");
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void) {
  const char *carm = getenv("CARM");
  if (carm == NULL) {
    printf("CARM not set\n");
    return 77;
  }
  ellipsoid body[2] = {{{70.0, 60.0, 60.0}, {0, 0, 0}, 0.0, 0.02},
                       {{15.0, 15.0, 15.0}, {20, 0, 10}, 0.0, 0.01}};
  carm_trajectory_opts to = CARM_TRAJECTORY_INIT;
  to.n_views = 90;
  carm_geometry *g = NULL;
  CHECK(carm_geometry_circular(&g, &to) == CARM_OK);
  carm_volume *proj = NULL;
  int64_t pd[3] = {128, 100, 90};
  CHECK(carm_volume_create(&proj, pd) == CARM_OK);
  proj->spacing[0] = proj->spacing[1] = 2.0;
  proj->origin[0] = -127.0;
  proj->origin[1] = -99.0;
  ell_project(body, 2, g, proj);
  CHECK(carm_geometry_write_rtk(g, "recon_cli_geo.xml") == CARM_OK);
  CHECK(carm_image_write(proj, "recon_cli_proj.mha", NULL) == CARM_OK);

  remove("recon_cli_out.mha");
  CHECK(run(carm, 1,
            "--size 40,40,40 --spacing 4,4,4 --origin -78,-78,-78 --output recon_cli_out.mha") ==
        0);
  carm_volume *out = NULL;
  CHECK(carm_image_read(&out, NULL, "recon_cli_out.mha") == CARM_OK);
  if (out != NULL) {
    CHECK(out->dims[0] == 40 && out->dims[1] == 40 && out->dims[2] == 40);
    CHECK_NEAR(out->origin[0], -78.0, 1e-6);
    CHECK_NEAR(out->spacing[2], 4.0, 1e-6);
    /* voxel (20, 20, 12) is at (2, 2, -30) mm: the body (0.02) */
    CHECK_NEAR(carm_volume_at(out, 20, 20, 12), 0.02, 0.002);
    /* (20, 20, 22) at (2, 2, 10): inside the insert too (0.03) */
    CHECK_NEAR(carm_volume_at(out, 25, 20, 22), 0.03, 0.003);
  }
  /* HU, and the grid of a reference image */
  CHECK(run(carm, 1,
            "--like recon_cli_out.mha --hu --water-mu 0.02 --filter hann --cutoff 0.9 "
            "--threads 1 --quiet --output recon_cli_hu.mha") == 0);
  carm_volume *hu = NULL;
  CHECK(carm_image_read(&hu, NULL, "recon_cli_hu.mha") == CARM_OK);
  if (hu != NULL && out != NULL) {
    CHECK(carm_volume_same_grid(hu, out, 1e-6));
    CHECK_NEAR(carm_volume_at(hu, 20, 20, 12), 0.0, 100.0);
    CHECK_NEAR(carm_volume_at(hu, 20, 20, 0), -1000.0, 100.0);
  }
  /* default grid from the field of view, with a given spacing */
  CHECK(run(carm, 1, "--spacing 5,5,5 --short-scan auto --pad 0.1 --output recon_cli_d.mha") == 0);
  carm_volume *d = NULL;
  CHECK(carm_image_read(&d, NULL, "recon_cli_d.mha") == CARM_OK);
  if (d != NULL) {
    printf("default grid: %lldx%lldx%lld\n", (long long)d->dims[0], (long long)d->dims[1],
           (long long)d->dims[2]);
    CHECK(d->dims[0] > 20 && d->dims[0] < 40); /* FOV diameter ≈ 130 mm */
    CHECK_NEAR(d->origin[0], -0.5 * (double)(d->dims[0] - 1) * 5.0, 1e-6);
  }

  /* refusals */
  remove("recon_cli_bad.mha");
  CHECK(run(carm, 1, "--method sart --output recon_cli_bad.mha") == 2);
  CHECK(run(carm, 1, "--size 4,4 --output recon_cli_bad.mha") == 2);
  CHECK(run(carm, 1, "--filter gauss --output recon_cli_bad.mha") == 2);
  CHECK(run(carm, 1, "--short-scan maybe --output recon_cli_bad.mha") == 2);
  CHECK(run(carm, 0, "--output recon_cli_bad.mha recon_cli_proj.mha") == 2);
  CHECK(run(carm, 0, "--geometry recon_cli_geo.xml --output recon_cli_bad.mha no_such_file.mha") ==
        1);
  CHECK(access("recon_cli_bad.mha", F_OK) != 0);
  /* an arc too short for a short scan */
  carm_trajectory_opts ts = CARM_TRAJECTORY_INIT;
  ts.n_views = 90;
  ts.arc_deg = 150.0;
  carm_geometry *gs = NULL;
  CHECK(carm_geometry_short_scan(&gs, &ts) == CARM_OK);
  CHECK(carm_geometry_write_rtk(gs, "recon_cli_short.xml") == CARM_OK);
  CHECK(run(carm, 0,
            "--geometry recon_cli_short.xml --size 8,8,8 --spacing 4,4,4 --output "
            "recon_cli_bad.mha recon_cli_proj.mha") == 1);
  CHECK(access("recon_cli_bad.mha", F_OK) != 0);
  CHECK(run(carm, 0, "--help > /dev/null") == 0);

  carm_geometry_destroy(gs);
  carm_volume_destroy(d);
  carm_volume_destroy(hu);
  carm_volume_destroy(out);
  carm_volume_destroy(proj);
  carm_geometry_destroy(g);
  return check_done();
}
