/* XA geometry: the LAO/CRA sign conventions in the patient's LPS frame, a
 * simulated rotational run written as XA multi-frame and read back (same
 * geometry, pixels and times), dciodvfy on the written object, refusals,
 * and a calibration file overriding the nominal geometry. */
#include "carm/dicom.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

/* Source position of a positioner setting, in patient LPS. */
static void source_lps(double primary, double secondary, double out[3]) {
  carm_view v;
  v.time_s = 0;
  CHECK(carm_dicom_positioner_to_view(&v, primary, secondary, 800.0, 1200.0) == CARM_OK);
  double w[3][3];
  double wt[3][3];
  carm_patient_to_world(CARM_PATIENT_HFS, w);
  carm_mat3_transpose(w, wt);
  double s[3];
  carm_view_source(&v, s);
  carm_mat3_apply(wt, s, out);
}

/* Project an LPS point at a positioner setting: detector (u, v) in mm. */
static void project_lps(double primary, double secondary, const double lps[3], double uv[2]) {
  carm_view v;
  v.time_s = 0;
  CHECK(carm_dicom_positioner_to_view(&v, primary, secondary, 800.0, 1200.0) == CARM_OK);
  double w[3][3];
  carm_patient_to_world(CARM_PATIENT_HFS, w);
  double x[3];
  carm_mat3_apply(w, lps, x);
  CHECK(carm_view_project(&v, x, uv) == 1);
}

static void test_conventions(void) {
  double s[3];
  const double sid = 800.0;
  source_lps(0, 0, s); /* AP: source under the table (posterior) */
  CHECK_NEAR(s[0], 0, 1e-9);
  CHECK_NEAR(s[1], sid, 1e-9);
  CHECK_NEAR(s[2], 0, 1e-9);
  source_lps(90, 0, s); /* LAO 90: detector on the patient's left, source right */
  CHECK_NEAR(s[0], -sid, 1e-9);
  CHECK_NEAR(s[1], 0, 1e-9);
  source_lps(-90, 0, s); /* RAO 90 */
  CHECK_NEAR(s[0], sid, 1e-9);
  source_lps(0, 30, s); /* CRA 30: detector towards the head, source towards the feet */
  CHECK_NEAR(s[2], -sid * 0.5, 1e-9);
  CHECK_NEAR(s[1], sid * sqrt(3) / 2, 1e-9);
  source_lps(0, -30, s); /* CAU 30 */
  CHECK_NEAR(s[2], sid * 0.5, 1e-9);
  /* general: source = −SID · (sinθ cosφ, −cosθ cosφ, sinφ) (PS3.3 C.8.7.5) */
  double t = 35 * M_PI / 180;
  double f = 20 * M_PI / 180;
  source_lps(35, 20, s);
  CHECK_NEAR(s[0], -sid * sin(t) * cos(f), 1e-9);
  CHECK_NEAR(s[1], sid * cos(t) * cos(f), 1e-9);
  CHECK_NEAR(s[2], -sid * sin(f), 1e-9);
  /* AP image: the head projects towards the first row (v < 0), the
   * patient's left towards the last column (u > 0) */
  double head[3] = {0, 0, 50};
  double left[3] = {50, 0, 0};
  double uv[2];
  project_lps(0, 0, head, uv);
  CHECK(uv[1] < -50.0);
  CHECK_NEAR(uv[0], 0, 1e-9);
  project_lps(0, 0, left, uv);
  CHECK(uv[0] > 50.0);
  /* LAO 90: the detector turned with the arm from anterior to the patient's
   * left, so u (the patient's left in AP) now points posterior: anterior
   * projects to u < 0, the head still to v < 0 */
  double anterior[3] = {0, -50, 0};
  project_lps(90, 0, anterior, uv);
  CHECK(uv[0] < -50.0);
  project_lps(90, 0, head, uv);
  CHECK(uv[1] < -50.0);
  /* refusals */
  carm_view v;
  CHECK(carm_dicom_positioner_to_view(&v, 0, 95, 800, 1200) == CARM_ERR_GEOMETRY);
  CHECK(carm_dicom_positioner_to_view(&v, 0, 0, 800, 700) == CARM_ERR_GEOMETRY);
  CHECK(carm_dicom_positioner_to_view(&v, NAN, 0, 800, 1200) == CARM_ERR_GEOMETRY);
}

static int dciodvfy_errors(const char *path) {
  if (system("command -v dciodvfy >/dev/null 2>&1") != 0) {
    printf("note: dciodvfy not installed, validation skipped\n");
    return 0;
  }
  char cmd[600];
  snprintf(cmd, sizeof cmd, "dciodvfy '%s' 2>&1", path);
  FILE *p = popen(cmd, "r");
  if (p == NULL) {
    return -1;
  }
  char line[1024];
  int errors = 0;
  while (fgets(line, sizeof line, p) != NULL) {
    if (strncmp(line, "Error", 5) == 0) {
      errors++;
      fprintf(stderr, "dciodvfy: %s", line);
    }
  }
  pclose(p);
  return errors;
}

static carm_geometry *make_run(int64_t n) {
  carm_trajectory_opts o = CARM_TRAJECTORY_INIT;
  o.sid_mm = 750;
  o.sdd_mm = 1180;
  o.n_views = n;
  o.first_angle_deg = -100;
  o.arc_deg = 200;
  o.jitter_deg = 0.3;
  o.seed = 7;
  o.out_of_plane_deg = -5; /* CRA 5 */
  o.duration_s = 4;
  o.patient = CARM_PATIENT_HFS;
  carm_geometry *g = NULL;
  CHECK(carm_geometry_short_scan(&g, &o) == CARM_OK);
  return g;
}

static double wrap_diff(double a, double b) {
  double d = fmod(a - b, 2 * M_PI);
  if (d > M_PI) {
    d -= 2 * M_PI;
  }
  if (d < -M_PI) {
    d += 2 * M_PI;
  }
  return fabs(d);
}

static void test_round_trip(void) {
  const int64_t n = 200; /* long enough that the per-frame lists exceed 1 KiB */
  carm_geometry *g = make_run(n);
  int64_t dims[3] = {40, 30, n};
  carm_volume *proj = NULL;
  CHECK(carm_volume_create(&proj, dims) == CARM_OK);
  if (g == NULL || proj == NULL) {
    return;
  }
  proj->spacing[0] = 0.4;
  proj->spacing[1] = 0.5;
  for (int64_t i = 0; i < carm_volume_count(proj); i++) {
    proj->data[i] = (float)((i * 37 + (i / 40) * 13) % 4000);
  }
  char path[512];
  snprintf(path, sizeof path, "%s/run.dcm", tmpdir);
  carm_dicom_write_opts wo = CARM_DICOM_WRITE_INIT;
  CHECK(carm_dicom_write_xa(proj, g, path, &wo) == CARM_OK);
  CHECK(dciodvfy_errors(path) == 0);

  carm_volume *p2 = NULL;
  carm_geometry *g2 = NULL;
  carm_dicom_meta m;
  carm_dicom_xa_opts xo = CARM_DICOM_XA_INIT;
  xo.require_geometry = 1; /* everything must have been written */
  CHECK(carm_dicom_read_xa(&p2, &g2, &m, path, &xo) == CARM_OK);
  if (p2 == NULL) {
    carm_geometry_destroy(g);
    carm_volume_destroy(proj);
    return;
  }
  CHECK(strcmp(m.modality, "XA") == 0);
  CHECK(p2->dims[0] == 40 && p2->dims[1] == 30 && p2->dims[2] == n);
  CHECK_NEAR(p2->spacing[0], 0.4, 1e-12);
  CHECK_NEAR(p2->spacing[1], 0.5, 1e-12);
  CHECK(memcmp(p2->data, proj->data, (size_t)carm_volume_count(proj) * sizeof(float)) == 0);
  CHECK(g2->n_views == n);
  double worst_angle = 0;
  double worst_matrix = 0;
  double worst_time = 0;
  for (int64_t k = 0; k < n && k < g2->n_views; k++) {
    const carm_view *a = &g->views[k];
    const carm_view *b = &g2->views[k];
    worst_angle = fmax(worst_angle, wrap_diff(a->gantry_angle_rad, b->gantry_angle_rad));
    worst_angle = fmax(worst_angle, wrap_diff(a->out_of_plane_rad, b->out_of_plane_rad));
    worst_time = fmax(worst_time, fabs(a->time_s - b->time_s));
    CHECK_NEAR(b->sid_mm, 750, 1e-9);
    CHECK_NEAR(b->sdd_mm, 1180, 1e-9);
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 4; c++) {
        double scale = fabs(a->matrix[r][c]) + 1.0;
        worst_matrix = fmax(worst_matrix, fabs(a->matrix[r][c] - b->matrix[r][c]) / scale);
      }
    }
  }
  printf("XA round trip: worst angle %.3g rad, matrix %.3g (relative), time %.3g s\n", worst_angle,
         worst_matrix, worst_time);
  CHECK(worst_angle < 1e-7);
  CHECK(worst_matrix < 1e-6);
  CHECK(worst_time < 1e-6);

  /* the stack's grid: detector centre at (0, 0), u along columns */
  double centre[3] = {0, 0, 0};
  double ijk[3];
  carm_volume_point_to_index(p2, centre, ijk);
  CHECK_NEAR(ijk[0], 19.5, 1e-9);
  CHECK_NEAR(ijk[1], 14.5, 1e-9);

  /* calibration override: the same run with a 3 mm detector offset */
  char cal[512];
  snprintf(cal, sizeof cal, "%s/cal.txt", tmpdir);
  FILE *f = fopen(cal, "w");
  CHECK(f != NULL);
  if (f != NULL) {
    fprintf(f, "# per-frame 3x4 matrices\n");
    for (int64_t k = 0; k < n; k++) {
      carm_view v = g->views[k];
      v.proj_offset_x_mm = 3.0;
      carm_view_update_matrix(&v);
      for (int r = 0; r < 3; r++) {
        fprintf(f, "%.17g %.17g %.17g %.17g%s", v.matrix[r][0], v.matrix[r][1], v.matrix[r][2],
                v.matrix[r][3], r == 2 ? "\n" : " ");
      }
    }
    fclose(f);
  }
  carm_volume *p3 = NULL;
  carm_geometry *g3 = NULL;
  xo.calibration_path = cal;
  CHECK(carm_dicom_read_xa(&p3, &g3, NULL, path, &xo) == CARM_OK);
  if (g3 != NULL) {
    CHECK(g3->n_views == n);
    CHECK(g3->patient == CARM_PATIENT_HFS);
    for (int64_t k = 0; k < n; k++) {
      CHECK_NEAR(g3->views[k].proj_offset_x_mm, 3.0, 1e-6);
      CHECK(wrap_diff(g3->views[k].gantry_angle_rad, g->views[k].gantry_angle_rad) < 1e-9);
      CHECK_NEAR(g3->views[k].time_s, g2->views[k].time_s, 1e-12);
    }
  }
  carm_volume_destroy(p3);
  carm_geometry_destroy(g3);
  /* a calibration with another number of views is refused */
  f = fopen(cal, "w");
  if (f != NULL) {
    fprintf(f, "1 0 0 0 0 1 0 0 0 0 1 -800\n");
    fclose(f);
  }
  p3 = NULL;
  g3 = NULL;
  CHECK(carm_dicom_read_xa(&p3, &g3, NULL, path, &xo) == CARM_ERR_GEOMETRY);
  CHECK(p3 == NULL && g3 == NULL);
  f = fopen(cal, "w");
  if (f != NULL) {
    fprintf(f, "1 0 0 0 0 1 0 zero\n");
    fclose(f);
  }
  CHECK(carm_dicom_read_xa(&p3, &g3, NULL, path, &xo) == CARM_ERR_FORMAT);
  remove(cal);

  /* refusals leave no file behind */
  char bad[512];
  snprintf(bad, sizeof bad, "%s/bad.dcm", tmpdir);
  g->patient = CARM_PATIENT_WORLD;
  CHECK(carm_dicom_write_xa(proj, g, bad, NULL) == CARM_ERR_UNSUPPORTED);
  g->patient = CARM_PATIENT_HFS;
  g->views[3].proj_offset_y_mm = 2.0;
  CHECK(carm_dicom_write_xa(proj, g, bad, NULL) == CARM_ERR_UNSUPPORTED);
  struct stat sb;
  CHECK(stat(bad, &sb) != 0);

  remove(path);
  carm_volume_destroy(p2);
  carm_geometry_destroy(g2);
  carm_volume_destroy(proj);
  carm_geometry_destroy(g);
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/carm_dicom_xa_XXXXXX");
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_conventions();
  test_round_trip();
  rmdir(tmpdir);
  return check_done();
}
