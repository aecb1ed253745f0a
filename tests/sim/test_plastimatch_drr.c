/* Cross-check of carm_project_forward against the peer, plastimatch drr
 * (Debian package), on a small HU volume and a few views. Conventions (see
 * docs/peer.md): plastimatch's frame maps to ours by X = -y_pm, Y = -z_pm,
 * Z = +x_pm; its gantry angle equals ours; -y is in radians and -N in
 * degrees; columns are reversed, rows kept; HU become mu = 0.022 (1 +
 * HU/1000) per mm, 0 at or below -800 HU; its output is the line integral
 * divided by 10. Skipped (77) when plastimatch is not installed. */
#include "carm/carm.h"
#include "carm/phantom.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { N = 64, NU = 96, NV = 80, VIEWS = 4 };
static const double SPACING = 2.0;
static const double PITCH = 2.0;
static const double SAD = 600.0;
static const double SID = 900.0;
static const double START_DEG = 17.0;
static const double STEP_DEG = 70.0;

static int write_mha(const char *path, const float *hu) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    return -1;
  }
  double o = -0.5 * (N - 1) * SPACING;
  fprintf(f,
          "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
          "Offset = %.17g %.17g %.17g\nElementSpacing = %g %g %g\nDimSize = %d %d %d\n"
          "ElementType = MET_FLOAT\nElementDataFile = LOCAL\n",
          o, o, o, SPACING, SPACING, SPACING, N, N, N);
  size_t n = (size_t)N * N * N;
  size_t w = fwrite(hu, sizeof(float), n, f);
  return (fclose(f) == 0 && w == n) ? 0 : -1;
}

/* PFM as plastimatch writes it: "Pf\nW H\n-1\n", top row first. */
static int read_pfm(const char *path, float *out) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return -1;
  }
  int w = 0;
  int h = 0;
  double scale = 0.0;
  int ok = fscanf(f, "Pf %d %d %lf", &w, &h, &scale) == 3 && w == NU && h == NV && scale < 0.0;
  ok = ok && fgetc(f) == '\n';
  ok = ok && fread(out, sizeof(float), (size_t)NU * NV, f) == (size_t)NU * NV;
  fclose(f);
  return ok ? 0 : -1;
}

int main(void) {
  if (system("command -v plastimatch >/dev/null 2>&1") != 0) {
    printf("plastimatch not installed: skipped\n");
    return 77;
  }
  char dir[] = "pm_drr_XXXXXX";
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  /* Our volume holds plastimatch's voxel array unchanged; its direction
   * matrix maps plastimatch's axes into our frame: index x -> +Z, y -> -X,
   * z -> -Y. */
  int64_t dims[3] = {N, N, N};
  carm_volume *vol = NULL;
  CHECK(carm_volume_create(&vol, dims) == CARM_OK);
  double o_pm = -0.5 * (N - 1) * SPACING;
  double dir_m[3][3] = {{0.0, -1.0, 0.0}, {0.0, 0.0, -1.0}, {1.0, 0.0, 0.0}};
  memcpy(vol->direction, dir_m, sizeof dir_m);
  for (int a = 0; a < 3; a++) {
    vol->spacing[a] = SPACING;
  }
  vol->origin[0] = -o_pm;
  vol->origin[1] = -o_pm;
  vol->origin[2] = o_pm;
  /* A water ellipsoid with a bone-like insert and a tilted denser rod, in our
   * frame (mu per mm). */
  carm_phantom *ph = NULL;
  CHECK(carm_phantom_create(&ph) == CARM_OK);
  double c0[3] = {4.0, -3.0, 2.0};
  double a0[3] = {45.0, 38.0, 30.0};
  double c1[3] = {-12.0, 6.0, 8.0};
  double a1[3] = {10.0, 14.0, 8.0};
  double c2[3] = {15.0, -5.0, -6.0};
  double ax2[3] = {0.3, 1.0, 0.2};
  CHECK(carm_phantom_add_ellipsoid(ph, c0, a0, NULL, 0.022) == CARM_OK);
  CHECK(carm_phantom_add_ellipsoid(ph, c1, a1, NULL, 0.022) == CARM_OK);
  CHECK(carm_phantom_add_cylinder(ph, c2, ax2, 6.0, 40.0, 0.011) == CARM_OK);
  CHECK(carm_phantom_voxelize(ph, vol, 3) == CARM_OK);
  /* Same attenuation on both sides: HU for plastimatch, and our mu with its
   * -800 HU air threshold applied. */
  float *hu = malloc(sizeof(float) * N * N * N);
  CHECK(hu != NULL);
  for (int64_t i = 0; i < (int64_t)N * N * N; i++) {
    double h = (vol->data[i] / 0.022 - 1.0) * 1000.0;
    hu[i] = (float)h;
    vol->data[i] = hu[i] <= -800.0f ? 0.0f : (float)(0.022 * (1.0 + (double)hu[i] / 1000.0));
  }
  char path[256];
  char cmd[1024];
  snprintf(path, sizeof path, "%s/vol.mha", dir);
  CHECK(write_mha(path, hu) == 0);
  snprintf(cmd, sizeof cmd,
           "plastimatch drr -t pfm --sad %g --sid %g -r \"%d %d\" -z \"%g %g\" -y %.17g -N %g "
           "-a %d -O %s/p_ -I %s >%s/log.txt 2>&1",
           SAD, SID, NU, NV, NU * PITCH, NV * PITCH, START_DEG * M_PI / 180.0, STEP_DEG, VIEWS, dir,
           path, dir);
  int rc = system(cmd);
  CHECK_MSG(rc == 0, "plastimatch failed (%d): %s", rc, cmd);

  carm_geometry *geo = NULL;
  CHECK(carm_geometry_create(&geo, VIEWS) == CARM_OK);
  for (int v = 0; v < VIEWS; v++) {
    CHECK(carm_view_set(&geo->views[v], SAD, SID, START_DEG + STEP_DEG * v, 0, 0, 0, 0, 0, 0) ==
          CARM_OK);
  }
  carm_volume *proj = NULL;
  CHECK(carm_projections_create(&proj, NU, NV, VIEWS, PITCH, PITCH) == CARM_OK);
  CHECK(carm_project_forward(vol, geo, proj, NULL) == CARM_OK);
  float *pm = malloc(sizeof(float) * NU * NV);
  CHECK(pm != NULL);
  double worst_rel = 0.0;
  for (int v = 0; v < VIEWS && rc == 0; v++) {
    snprintf(path, sizeof path, "%s/p_%04d.pfm", dir, v);
    CHECK_MSG(read_pfm(path, pm) == 0, "cannot read %s", path);
    const float *ours = proj->data + (int64_t)v * NU * NV;
    double maxv = 0.0;
    for (int i = 0; i < NU * NV; i++) {
      maxv = fmax(maxv, ours[i]);
    }
    double se = 0.0;
    double sr = 0.0;
    double sum_o = 0.0;
    double sum_p = 0.0;
    double ci_o = 0.0;
    double ci_p = 0.0;
    double cj_o = 0.0;
    double cj_p = 0.0;
    for (int j = 0; j < NV; j++) {
      for (int i = 0; i < NU; i++) {
        double a = ours[j * NU + i];
        double b = 10.0 * pm[j * NU + (NU - 1 - i)]; /* columns reversed, x10 */
        sum_o += a;
        sum_p += b;
        ci_o += a * i;
        ci_p += b * i;
        cj_o += a * j;
        cj_p += b * j;
        if (a >= 0.2 * maxv) {
          se += (a - b) * (a - b);
          sr += a * a;
        }
      }
    }
    double rel = sqrt(se / sr);
    double shift = ci_o / sum_o - ci_p / sum_p;
    double shift_j = cj_o / sum_o - cj_p / sum_p;
    printf("view %d (gantry %.0f deg): relative L2 difference %.3f %% (pixels >= 20 %% of max), "
           "totals ratio %.5f, centroid shift (%.4f, %.4f) px\n",
           v, START_DEG + STEP_DEG * v, 100.0 * rel, sum_o / sum_p, shift, shift_j);
    CHECK(fabs(shift_j) < 0.05);
    worst_rel = fmax(worst_rel, rel);
    CHECK(maxv > 1.0);
    CHECK(fabs(sum_o / sum_p - 1.0) < 0.01);
    CHECK(fabs(shift) < 0.05);
  }
  CHECK_MSG(worst_rel < 0.02, "worst relative difference %g", worst_rel);
  /* Clean up the temporary folder. */
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) {
    fprintf(stderr, "could not remove %s\n", dir);
  }
  free(pm);
  free(hu);
  carm_volume_destroy(proj);
  carm_volume_destroy(vol);
  carm_geometry_destroy(geo);
  carm_phantom_destroy(ph);
  return check_done();
}
