/* carm dsa and carm fuse from the command line: inputs written with the
 * library (a small body with a spine, vessels only in the contrast sweep),
 * then the commands run as a user would run them. Checks exit codes, that
 * outputs exist and make sense (vessel brighter than background in the
 * DSA volume; red pixels in the fusion), and that mismatched geometries
 * and bad options fail with a clear message and no output file. */
#include "check.h"

#include "carm/carm.h"
#include "carm/phantom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static const char *carm;

static int run(const char *args, int expect) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cd %s && %s %s > out.txt 2> err.txt", dir, carm, args);
  int rc = system(cmd);
  int code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  if (code != expect) {
    fprintf(stderr, "'%s' exited %d (expected %d)\n", args, code, expect);
    char show[512];
    snprintf(show, sizeof show, "cat %s/err.txt >&2", dir);
    if (system(show) != 0) {
      fprintf(stderr, "(no stderr)\n");
    }
  }
  return code == expect;
}

static int err_contains(const char *needle) {
  char path[512];
  snprintf(path, sizeof path, "%s/err.txt", dir);
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    return 0;
  }
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return strstr(buf, needle) != NULL;
}

static int exists(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

static char *path_of(const char *name) {
  static char p[4][512];
  static int k = 0;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
  return p[k];
}

int main(void) {
  carm = getenv("CARM");
  if (carm == NULL) {
    fprintf(stderr, "CARM not set\n");
    return 77;
  }
  snprintf(dir, sizeof dir, "/tmp/carm_test_dsa_XXXXXX");
  if (mkdtemp(dir) == NULL) {
    return 1;
  }
  /* inputs */
  carm_trajectory_opts to = CARM_TRAJECTORY_INIT;
  to.n_views = 60;
  to.arc_deg = 200.0;
  to.first_angle_deg = -100.0;
  to.patient = CARM_PATIENT_HFS;
  carm_geometry *g = NULL;
  CHECK(carm_geometry_short_scan(&g, &to) == CARM_OK);
  CHECK(carm_geometry_write_rtk(g, path_of("g.xml")) == CARM_OK);
  to.first_angle_deg = -99.0; /* a different sweep: 1 degree off */
  carm_geometry *g2 = NULL;
  CHECK(carm_geometry_short_scan(&g2, &to) == CARM_OK);
  CHECK(carm_geometry_write_rtk(g2, path_of("g_off.xml")) == CARM_OK);
  carm_phantom *mask = NULL;
  carm_phantom *con = NULL;
  CHECK(carm_phantom_create(&mask) == CARM_OK && carm_phantom_create(&con) == CARM_OK);
  double c0[3] = {0, 0, 0};
  double body[3] = {50, 50, 35};
  double spine[3] = {0, 0, 20};
  double ax[3] = {0, 1, 0};
  double ves[3] = {-10, 0, 5};
  for (int k = 0; k < 2; k++) {
    carm_phantom *ph = k == 0 ? mask : con;
    CHECK(carm_phantom_add_ellipsoid(ph, c0, body, NULL, 0.02) == CARM_OK);
    CHECK(carm_phantom_add_cylinder(ph, spine, ax, 8, 100, 0.03) == CARM_OK);
  }
  CHECK(carm_phantom_add_cylinder(con, ves, ax, 5, 100, 0.01) == CARM_OK);
  carm_volume *pm = NULL;
  carm_volume *pc = NULL;
  CHECK(carm_projections_create(&pm, 64, 56, 60, 3.5, 3.5) == CARM_OK);
  CHECK(carm_projections_create(&pc, 64, 56, 60, 3.5, 3.5) == CARM_OK);
  CHECK(carm_phantom_project_analytic(mask, g, pm) == CARM_OK);
  CHECK(carm_phantom_project_analytic(con, g, pc) == CARM_OK);
  CHECK(carm_image_write(pm, path_of("mask.mha"), NULL) == CARM_OK);
  CHECK(carm_image_write(pc, path_of("contrast.mha"), NULL) == CARM_OK);

  const char *grid = "--size 40,40,40 --spacing 3,3,3 --origin -58.5,-58.5,-58.5";
  char args[1024];
  /* projection-domain DSA with SART */
  snprintf(args, sizeof args,
           "dsa --mask mask.mha --contrast contrast.mha --geometry g.xml %s --method sart "
           "--iterations 5 --subsets 6 --threads 1 --quiet -o dsa.mha",
           grid);
  CHECK(run(args, 0));
  carm_volume *d = NULL;
  CHECK(carm_image_read(&d, NULL, path_of("dsa.mha")) == CARM_OK);
  if (d != NULL) {
    double p_v[3] = {-10, 0, 5};
    double p_b[3] = {0, 0, 20}; /* the spine: removed */
    double ijk[3];
    carm_volume_point_to_index(d, p_v, ijk);
    float vv = carm_volume_at(d, lround(ijk[0]), lround(ijk[1]), lround(ijk[2]));
    carm_volume_point_to_index(d, p_b, ijk);
    float vb = carm_volume_at(d, lround(ijk[0]), lround(ijk[1]), lround(ijk[2]));
    CHECK_MSG(vv > 0.006f && fabsf(vb) < 0.1f * vv, "vessel %g, spine %g", (double)vv, (double)vb);
    CHECK(d->dims[0] == 40 && fabs(d->spacing[0] - 3.0) < 1e-9);
  }
  carm_volume_destroy(d);
  /* the default method: FDK */
  snprintf(args, sizeof args,
           "dsa --mask mask.mha --contrast contrast.mha --geometry g.xml %s --threads 1 --quiet "
           "-o dsa_fdk.mha",
           grid);
  CHECK(run(args, 0));
  d = NULL;
  CHECK(carm_image_read(&d, NULL, path_of("dsa_fdk.mha")) == CARM_OK);
  if (d != NULL) {
    double p_v[3] = {-10, 0, 5};
    double p_b[3] = {0, 0, 20};
    double ijk[3];
    carm_volume_point_to_index(d, p_v, ijk);
    float vv = carm_volume_at(d, lround(ijk[0]), lround(ijk[1]), lround(ijk[2]));
    carm_volume_point_to_index(d, p_b, ijk);
    float vb = carm_volume_at(d, lround(ijk[0]), lround(ijk[1]), lround(ijk[2]));
    CHECK_MSG(vv > 0.006f && fabsf(vb) < 0.2f * vv, "FDK: vessel %g, spine %g", (double)vv,
              (double)vb);
  }
  carm_volume_destroy(d);
  /* volume mode */
  snprintf(args, sizeof args,
           "dsa --mode volume --mask mask.mha --contrast contrast.mha --geometry g.xml %s "
           "--method cgls --iterations 4 --threads 1 --quiet -o dsa_vol.mha",
           grid);
  CHECK(run(args, 0));
  CHECK(exists("dsa_vol.mha"));
  /* mismatched geometry: refused, names the view, no output */
  snprintf(args, sizeof args,
           "dsa --mask mask.mha --contrast contrast.mha --geometry g.xml --geometry-mask "
           "g_off.xml %s --method sart --quiet -o bad.mha",
           grid);
  CHECK(run(args, 1));
  CHECK(err_contains("view 0") && err_contains("gantry angle"));
  CHECK(!exists("bad.mha"));
  /* ... unless the tolerance allows it */
  snprintf(args, sizeof args,
           "dsa --mask mask.mha --contrast contrast.mha --geometry g.xml --geometry-mask "
           "g_off.xml --tol-deg 1.5 %s --method sart --iterations 1 --threads 1 --quiet -o ok.mha",
           grid);
  CHECK(run(args, 0));
  /* usage errors */
  CHECK(run("dsa --mask mask.mha --contrast contrast.mha -o x.mha", 2));
  CHECK(run("dsa --mask mask.mha --contrast contrast.mha --geometry g.xml --mode sideways -o "
            "x.mha",
            2));
  CHECK(run("dsa --mask mask.mha --contrast contrast.mha --geometry g.xml --method cgls "
            "--lambda 0.5 -o x.mha",
            2));
  CHECK(run("dsa --mask mask.mha --contrast contrast.mha --geometry g.xml --method magic -o "
            "x.mha",
            2));
  CHECK(!exists("x.mha"));
  CHECK(run("dsa --help", 0));

  carm_volume *art = NULL;
  carm_volume *del = NULL;
  int64_t dims[3] = {40, 40, 40};
  CHECK(carm_volume_create(&art, dims) == CARM_OK && carm_volume_create(&del, dims) == CARM_OK);
  for (int a = 0; a < 3; a++) {
    art->spacing[a] = del->spacing[a] = 3.0;
    art->origin[a] = del->origin[a] = -58.5;
  }
  CHECK(carm_phantom_voxelize(con, art, 1) == CARM_OK);
  CHECK(carm_phantom_voxelize(mask, del, 1) == CARM_OK);
  CHECK(carm_image_write(art, path_of("arterial.mha"), NULL) == CARM_OK);
  CHECK(carm_image_write(del, path_of("delayed.mha"), NULL) == CARM_OK);
  CHECK(run("fuse arterial.mha delayed.mha -o fusion.png --volume fusion.mha --plane coronal "
            "--pixel 0.75",
            0));
  carm_picture *pic = NULL;
  CHECK(carm_picture_read_png(&pic, path_of("fusion.png")) == CARM_OK);
  if (pic != NULL) {
    int64_t red = 0;
    for (int64_t p = 0; p < (int64_t)pic->width * pic->height; p++) {
      const uint8_t *c = pic->rgb + 3 * p;
      red += c[0] > 120 && c[0] > c[1] + 60;
    }
    CHECK_MSG(red > 20, "%lld red pixels", (long long)red);
  }
  carm_picture_destroy(pic);
  carm_volume *fv = NULL;
  CHECK(carm_image_read(&fv, NULL, path_of("fusion.mha")) == CARM_OK);
  if (fv != NULL) {
    double p_v[3] = {-10, 0, 5};
    double p_b[3] = {25, 0, -10};
    double ijk[3];
    carm_volume_point_to_index(fv, p_v, ijk);
    CHECK(carm_volume_at(fv, lround(ijk[0]), lround(ijk[1]), lround(ijk[2])) > 0.005f);
    carm_volume_point_to_index(fv, p_b, ijk);
    CHECK(carm_volume_at(fv, lround(ijk[0]), lround(ijk[1]), lround(ijk[2])) == 0.0f);
  }
  carm_volume_destroy(fv);
  /* different grids refused */
  del->spacing[0] = 2.0;
  CHECK(carm_image_write(del, path_of("delayed2.mha"), NULL) == CARM_OK);
  CHECK(run("fuse arterial.mha delayed2.mha -o f2.png", 1));
  CHECK(err_contains("different grids"));
  CHECK(!exists("f2.png"));
  CHECK(run("fuse arterial.mha -o f3.png", 2));
  CHECK(run("fuse arterial.mha delayed.mha -o f3.jpg", 2));

  carm_volume_destroy(art);
  carm_volume_destroy(del);
  carm_volume_destroy(pm);
  carm_volume_destroy(pc);
  carm_phantom_destroy(mask);
  carm_phantom_destroy(con);
  carm_geometry_destroy(g);
  carm_geometry_destroy(g2);
  char rm[512];
  snprintf(rm, sizeof rm, "rm -rf %s", dir);
  if (check_failed == 0 && system(rm) != 0) {
    fprintf(stderr, "could not remove %s\n", dir);
  }
  return check_done();
}
