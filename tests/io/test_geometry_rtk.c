/* RTK geometry XML: write -> read round trips, RTK semantics (top-level
 * defaults, inheritance, case-insensitive names, version 2, legacy Angle),
 * the <Matrix> check, carm's <Time>/<RawMatrix> extensions, refusals of bad
 * files and atomic writes. */
#include "carm/carm.h"
#include "check.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static double uni(carm_rng *r, double lo, double hi) {
  return lo + (hi - lo) * carm_rng_uniform(r);
}

static double angle_diff(double a, double b) {
  double d = fmod(fabs(a - b), 2.0 * M_PI);
  return d > M_PI ? 2.0 * M_PI - d : d;
}

static void path_of(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "%s/%s", dir, name);
}

static int write_text(const char *name, const char *text) {
  char p[512];
  path_of(p, sizeof p, name);
  FILE *f = fopen(p, "wb");
  if (f == NULL) {
    return -1;
  }
  fputs(text, f);
  return fclose(f);
}

static carm_status read_text(carm_geometry **g, const char *text) {
  return carm_geometry_read_rtk_memory(g, text, strlen(text));
}

static int file_exists(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0;
}

/* |a − b| relative to max(1, |a|). */
static double rd(double a, double b) { return fabs(a - b) / fmax(1.0, fabs(a)); }

/* Largest difference between two geometries: parameters (relative to
 * max(1, |value|); 15 significant digits in the file), angles (rad), times
 * and matrix elements relative to the largest one. */
static double geo_diff(const carm_geometry *a, const carm_geometry *b) {
  if (a->n_views != b->n_views) {
    return INFINITY;
  }
  double d = 0.0;
  for (int64_t k = 0; k < a->n_views; k++) {
    const carm_view *x = &a->views[k];
    const carm_view *y = &b->views[k];
    d = fmax(d, rd(x->sid_mm, y->sid_mm));
    d = fmax(d, rd(x->sdd_mm, y->sdd_mm));
    d = fmax(d, rd(x->source_offset_x_mm, y->source_offset_x_mm));
    d = fmax(d, rd(x->source_offset_y_mm, y->source_offset_y_mm));
    d = fmax(d, rd(x->proj_offset_x_mm, y->proj_offset_x_mm));
    d = fmax(d, rd(x->proj_offset_y_mm, y->proj_offset_y_mm));
    d = fmax(d, angle_diff(x->gantry_angle_rad, y->gantry_angle_rad));
    d = fmax(d, angle_diff(x->out_of_plane_rad, y->out_of_plane_rad));
    d = fmax(d, angle_diff(x->in_plane_rad, y->in_plane_rad));
    if (isnan(x->time_s) != isnan(y->time_s)) {
      return INFINITY;
    }
    if (!isnan(x->time_s)) {
      d = fmax(d, rd(x->time_s, y->time_s));
    }
    double s = 0.0;
    double e = 0.0;
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 4; j++) {
        s = fmax(s, fabs(x->matrix[i][j]));
        e = fmax(e, fabs(x->matrix[i][j] - y->matrix[i][j]));
      }
    }
    d = fmax(d, e / s);
  }
  return d;
}

static void test_round_trip_random(void) {
  carm_rng rng;
  carm_rng_seed(&rng, 99);
  char p[512];
  double worst = 0.0;
  path_of(p, sizeof p, "random.xml");
  for (int trial = 0; trial < 6; trial++) {
    int64_t n = 1 + (int64_t)(carm_rng_uniform(&rng) * 60);
    carm_geometry *g = NULL;
    CHECK(carm_geometry_create(&g, n) == CARM_OK);
    /* trial 0: everything varies; 1: constant SID/SDD/offsets (top level);
     * 2: some constant zero (omitted); 3..: mixed */
    double sid = uni(&rng, 500, 1000);
    double sdd = uni(&rng, 1000, 1500);
    double px = uni(&rng, -50, 50);
    for (int64_t k = 0; k < n; k++) {
      int vary = trial == 0 || (trial >= 3 && carm_rng_uniform(&rng) < 0.5);
      CHECK(carm_view_set(&g->views[k], vary ? uni(&rng, 500, 1000) : sid,
                          vary ? uni(&rng, 1000, 1500) : sdd, uni(&rng, -400, 400),
                          trial == 2 ? 0.0 : (vary ? uni(&rng, -50, 50) : px),
                          vary ? uni(&rng, -50, 50) : 0.0, vary ? uni(&rng, -20, 20) : 3.25,
                          trial == 2 ? 0.0 : uni(&rng, -180, 180), vary ? uni(&rng, -9, 9) : 0.0,
                          trial == 1 ? 1.5 : uni(&rng, -9, 9)) == CARM_OK);
      if (trial != 1 && carm_rng_uniform(&rng) < 0.8) {
        g->views[k].time_s = uni(&rng, 0, 12);
      }
    }
    CHECK(carm_geometry_write_rtk(g, p) == CARM_OK);
    carm_geometry *r = NULL;
    carm_status st = carm_geometry_read_rtk(&r, p);
    CHECK_MSG(st == CARM_OK, "trial %d: %s", trial, carm_last_error());
    if (st == CARM_OK) {
      double d = geo_diff(g, r);
      CHECK_MSG(d <= 1e-12, "trial %d: round trip differs by %g", trial, d);
      worst = fmax(worst, d);
    }
    carm_geometry_destroy(r);
    carm_geometry_destroy(g);
  }
  printf("round trip: worst relative difference %.3g\n", worst);
}

/* Written file's shape: parameters constant over views at top level (zero
 * ones omitted), GantryAngle per view, 15 significant digits. */
static void test_writer_layout(void) {
  carm_trajectory_opts o = CARM_TRAJECTORY_INIT;
  o.n_views = 4;
  o.proj_offset_x_mm = 12.5;
  o.duration_s = 3.0;
  carm_geometry *g = NULL;
  CHECK(carm_geometry_circular(&g, &o) == CARM_OK);
  char p[512];
  path_of(p, sizeof p, "layout.xml");
  CHECK(carm_geometry_write_rtk(g, p) == CARM_OK);
  FILE *f = fopen(p, "rb");
  char buf[8192] = {0};
  size_t n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f != NULL) {
    fclose(f);
  }
  CHECK(n > 0);
  CHECK(strstr(buf, "<RTKThreeDCircularGeometry version=\"3\">") != NULL);
  CHECK(strstr(buf, "<!DOCTYPE RTKGEOMETRY>") != NULL);
  const char *first_proj = strstr(buf, "<Projection>");
  const char *sid = strstr(buf, "<SourceToIsocenterDistance>785</SourceToIsocenterDistance>");
  CHECK(sid != NULL && first_proj != NULL && sid < first_proj);
  CHECK(strstr(buf, "<ProjectionOffsetX>12.5</ProjectionOffsetX>") != NULL);
  CHECK(strstr(buf, "ProjectionOffsetY") == NULL); /* zero: omitted */
  CHECK(strstr(buf, "InPlaneAngle") == NULL);
  CHECK(strstr(buf, "<GantryAngle>90</GantryAngle>") != NULL);
  CHECK(strstr(buf, "<Time>1</Time>") != NULL);
  CHECK(strstr(buf, "RawMatrix") == NULL);
  int count = 0;
  for (const char *s = buf; (s = strstr(s, "<GantryAngle>")) != NULL; s++) {
    count++;
  }
  CHECK(count == 4);
  /* 15 significant digits */
  carm_geometry_destroy(g);
  CHECK(carm_geometry_create(&g, 1) == CARM_OK);
  CHECK(carm_view_set(&g->views[0], 1000.0 / 3.0, 1200, 0, 0, 0, 0, 0, 0, 0) == CARM_OK);
  CHECK(carm_geometry_write_rtk(g, p) == CARM_OK);
  f = fopen(p, "rb");
  memset(buf, 0, sizeof buf);
  n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f != NULL) {
    fclose(f);
  }
  CHECK(strstr(buf, "<SourceToIsocenterDistance>333.333333333333</SourceToIsocenterDistance>") !=
        NULL);
  carm_geometry_destroy(g);
}

static const char *const v2_file =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE RTKGEOMETRY>\n"
    "<rtkthreedcirculargeometry VERSION=\"2\">\n"
    "  <sourcetoisocenterdistance>1000</sourcetoisocenterdistance>\n"
    "  <SOURCETODETECTORDISTANCE> 1536 </SOURCETODETECTORDISTANCE>\n"
    "  <Projection>\n"
    "    <Angle>271.847274780273</Angle>\n"
    "    <projectionoffsetx>-117.056503295898</projectionoffsetx>\n"
    "    <ProjectionOffsetY>-1.01195001602173</ProjectionOffsetY>\n"
    "    <Matrix> -166.509307883 0 -1531.42837748 -117056.503296\n"
    "      -1.01142410874 -1536 0.0326206557691 -1011.95001602\n"
    "      -0.999480303106 0 0.0322354417241 -1000 </Matrix>\n"
    "  </Projection>\n"
    "  <Projection><gantryangle>0</gantryangle></Projection>\n"
    "  <SourceToIsocenterDistance>900</SourceToIsocenterDistance>\n"
    "  <Projection><GantryAngle>-90</GantryAngle><SourceOffsetX>2</SourceOffsetX>"
    "<Unknown>ignored</Unknown><CollimationUInf>5</CollimationUInf></Projection>\n"
    "</rtkthreedcirculargeometry>\n";

/* The example of RTK's documentation (documentation/docs/Geometry.md), in
 * the layout of RTK's writer (setw(19) matrix columns). RTK's example also
 * carries a cylindrical detector radius, which carm refuses. */
#define RTK_DOC_BODY                                                                               \
  "  <Projection>\n"                                                                               \
  "    <GantryAngle>271.847274780273</GantryAngle>\n"                                              \
  "    <ProjectionOffsetX>-117.056503295898</ProjectionOffsetX>\n"                                 \
  "    <ProjectionOffsetY>-1.01195001602173</ProjectionOffsetY>\n"                                 \
  "    <Matrix>\n"                                                                                 \
  "          -166.5093078829                   0   -1531.42837748039   -117056.503295898\n"        \
  "        -1.01142410874151               -1536  0.0326206557691505   -1011.95001602173\n"        \
  "       -0.999480303105996                   0  0.0322354417240802               -1000\n"        \
  "    </Matrix>\n"                                                                                \
  "  </Projection>\n"                                                                              \
  "  <Projection>\n"                                                                               \
  "    <GantryAngle>271.852905273438</GantryAngle>\n"                                              \
  "    <ProjectionOffsetX>-117.056831359863</ProjectionOffsetX>\n"                                 \
  "    <ProjectionOffsetY>-1.01187002658844</ProjectionOffsetY>\n"                                 \
  "    <Matrix>\n"                                                                                 \
  "        -166.660129424325                   0   -1531.41199650136   -117056.831359863\n"        \
  "        -1.01134095059569               -1536  0.0327174625589984   -1011.87002658844\n"        \
  "       -0.999477130482326                   0  0.0323336611415466               -1000\n"        \
  "    </Matrix>\n"                                                                                \
  "  </Projection>\n"                                                                              \
  "</RTKThreeDCircularGeometry>\n"
#define RTK_DOC_HEAD                                                                               \
  "<?xml version=\"1.0\"?>\n<!DOCTYPE RTKGEOMETRY>\n<RTKThreeDCircularGeometry version=\"3\">\n"   \
  "  <SourceToIsocenterDistance>1000</SourceToIsocenterDistance>\n"                                \
  "  <SourceToDetectorDistance>1536</SourceToDetectorDistance>\n"

static void test_rtk_documentation_example(void) {
  carm_geometry *g = NULL;
  carm_status st = read_text(&g, RTK_DOC_HEAD RTK_DOC_BODY);
  CHECK_MSG(st == CARM_OK, "%s", carm_last_error());
  if (st == CARM_OK) {
    CHECK(g->n_views == 2);
    CHECK_NEAR(g->views[1].gantry_angle_rad * 180 / M_PI, 271.852905273438, 1e-10);
    CHECK_NEAR(g->views[1].proj_offset_y_mm, -1.01187002658844, 0);
    CHECK_NEAR(g->views[1].matrix[0][0], -166.660129424325, 1e-9);
    CHECK_NEAR(g->views[1].matrix[2][2], 0.0323336611415466, 1e-12);
  }
  carm_geometry_destroy(g);
  g = NULL;
  CHECK(read_text(&g, RTK_DOC_HEAD
                  "  <RadiusCylindricalDetector>1536</RadiusCylindricalDetector>\n" RTK_DOC_BODY) ==
        CARM_ERR_UNSUPPORTED);
  CHECK(g == NULL);
}

/* Version 2, case-insensitive names, legacy <Angle>, top-level defaults and
 * RTK's inheritance of the last value read. */
static void test_semantics(void) {
  carm_geometry *g = NULL;
  carm_status st = read_text(&g, v2_file);
  CHECK_MSG(st == CARM_OK, "%s", carm_last_error());
  if (st != CARM_OK) {
    return;
  }
  CHECK(g->n_views == 3);
  CHECK_NEAR(g->views[0].sid_mm, 1000, 0);
  CHECK_NEAR(g->views[0].sdd_mm, 1536, 0);
  CHECK_NEAR(g->views[0].gantry_angle_rad * 180 / M_PI, 271.847274780273, 1e-10);
  CHECK_NEAR(g->views[0].proj_offset_x_mm, -117.056503295898, 0);
  /* view 1 inherits offsets from view 0 (RTK keeps the last value) */
  CHECK_NEAR(g->views[1].proj_offset_x_mm, -117.056503295898, 0);
  CHECK_NEAR(g->views[1].gantry_angle_rad, 0, 0);
  CHECK(isnan(g->views[1].time_s));
  /* a top-level value between projections applies to the following ones */
  CHECK_NEAR(g->views[1].sid_mm, 1000, 0);
  CHECK_NEAR(g->views[2].sid_mm, 900, 0);
  CHECK_NEAR(g->views[2].gantry_angle_rad * 180 / M_PI, 270, 1e-10);
  CHECK_NEAR(g->views[2].source_offset_x_mm, 2, 0);
  carm_geometry_destroy(g);

  /* version 3 without SDD: parallel beam (RTK default 0) */
  g = NULL;
  st = read_text(&g, "<RTKThreeDCircularGeometry version='3'>"
                     "<SourceToIsocenterDistance>1000</SourceToIsocenterDistance>"
                     "<Projection><GantryAngle>10</GantryAngle></Projection>"
                     "</RTKThreeDCircularGeometry>");
  CHECK(st == CARM_OK && g != NULL && g->views[0].sdd_mm == 0.0);
  carm_geometry_destroy(g);
}

/* Refused documents, each with a message naming the problem. */
static void expect_refused(const char *text, carm_status code, const char *needle) {
  carm_geometry *g = (carm_geometry *)&dir; /* must stay untouched */
  carm_status st = read_text(&g, text);
  CHECK_MSG(st == code, "expected %d, got %d (%s) for: %.80s", (int)code, (int)st,
            carm_last_error(), text);
  CHECK_MSG(strstr(carm_last_error(), needle) != NULL, "message '%s' lacks '%s'", carm_last_error(),
            needle);
  CHECK(g == (carm_geometry *)&dir);
}

#define HEAD "<?xml version=\"1.0\"?><RTKThreeDCircularGeometry version=\"3\">"
#define SID "<SourceToIsocenterDistance>1000</SourceToIsocenterDistance>"
#define SDD "<SourceToDetectorDistance>1536</SourceToDetectorDistance>"
#define TAIL "</RTKThreeDCircularGeometry>"

static void test_refusals(void) {
  /* <Matrix> that disagrees (view 1, element [0][3] off by 1 mm) */
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>0</GantryAngle></Projection>"
                              "<Projection><GantryAngle>0</GantryAngle><Matrix>"
                              "-1536 0 0 1 0 -1536 0 0 0 0 1 -1000</Matrix></Projection>" TAIL,
                 CARM_ERR_GEOMETRY, "view 1 (<Projection> 2)");
  /* ...and the same with the right value is accepted */
  carm_geometry *g = NULL;
  CHECK(read_text(&g, HEAD SID SDD "<Projection><GantryAngle>0</GantryAngle><Matrix>"
                                   "-1536 0 0 0.0009 0 -1536 0 0 0 0 1 -1000</Matrix>"
                                   "</Projection>" TAIL) == CARM_OK);
  carm_geometry_destroy(g);
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>nan</GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "GantryAngle");
  expect_refused(HEAD "<SourceToIsocenterDistance>NaN</SourceToIsocenterDistance>" SDD
                      "<Projection><GantryAngle>0</GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "not a finite number");
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>inf</GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "not a finite number");
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>1e999</GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "not a finite number");
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>12abc</GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "not a finite number");
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>0x10</GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "not a finite number");
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>1 2</GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "more than 1 number");
  expect_refused(HEAD SID SDD "<Projection><GantryAngle></GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "holds 0 numbers");
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>0</GantryAngle>"
                              "<Matrix>1 2 3</Matrix></Projection>" TAIL,
                 CARM_ERR_FORMAT, "expected 12");
  expect_refused(HEAD SID SDD "<Projection><SourceOffsetX>1</SourceOffsetX></Projection>" TAIL,
                 CARM_ERR_FORMAT, "no <GantryAngle>");
  expect_refused(HEAD SDD "<Projection><GantryAngle>0</GantryAngle></Projection>" TAIL,
                 CARM_ERR_GEOMETRY, "SourceToIsocenterDistance");
  expect_refused(HEAD SID "<SourceToDetectorDistance>-5</SourceToDetectorDistance>"
                          "<Projection><GantryAngle>0</GantryAngle></Projection>" TAIL,
                 CARM_ERR_GEOMETRY, "SDD");
  expect_refused(HEAD SID SDD TAIL, CARM_ERR_FORMAT, "no <Projection>");
  expect_refused("<RTKThreeDCircularGeometry version=\"4\">" SID SDD
                 "<Projection><GantryAngle>0</GantryAngle></Projection>" TAIL,
                 CARM_ERR_UNSUPPORTED, "version");
  expect_refused("<RTKThreeDCircularGeometry>" SID SDD
                 "<Projection><GantryAngle>0</GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "version");
  expect_refused("<Geometry version=\"3\"/>", CARM_ERR_FORMAT, "root element");
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>0</GantryAngle></Projection>"
                              "<Projection><GantryAngle>0</GantryAngle>"
                              "<SourceToDetectorDistance>0</SourceToDetectorDistance>"
                              "</Projection>" TAIL,
                 CARM_ERR_GEOMETRY, "mixed");
  expect_refused(HEAD SID SDD "<RadiusCylindricalDetector>500</RadiusCylindricalDetector>"
                              "<Projection><GantryAngle>0</GantryAngle></Projection>" TAIL,
                 CARM_ERR_UNSUPPORTED, "cylindrical");
  /* truncated and corrupt XML */
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>0</Gantry", CARM_ERR_FORMAT,
                 "malformed XML");
  expect_refused(HEAD SID SDD "<Projection><GantryAngle>0</GantryAngle></Projection>",
                 CARM_ERR_FORMAT, "malformed XML");
  expect_refused("\x01\x02garbage", CARM_ERR_FORMAT, "malformed XML");
  expect_refused("", CARM_ERR_FORMAT, "empty");
  /* entities: an external one is never fetched, an internal one refused */
  expect_refused("<?xml version=\"1.0\"?><!DOCTYPE g [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                 "<RTKThreeDCircularGeometry version=\"3\">" SID SDD
                 "<Projection><GantryAngle>&e;</GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "entity");
  expect_refused("<?xml version=\"1.0\"?><!DOCTYPE g [<!ENTITY e \"5\">]>"
                 "<RTKThreeDCircularGeometry version=\"3\">" SID SDD
                 "<Projection><GantryAngle>&e;</GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "entity");
  /* nested element where a number is expected */
  expect_refused(HEAD SID SDD "<Projection><GantryAngle><a>1</a></GantryAngle></Projection>" TAIL,
                 CARM_ERR_FORMAT, "only a number");
  /* a missing file */
  char p[512];
  path_of(p, sizeof p, "does-not-exist.xml");
  g = NULL;
  CHECK(carm_geometry_read_rtk(&g, p) == CARM_ERR_NOTFOUND && g == NULL);
  /* NaN in a file on disk, refused with the file name in the message */
  CHECK(write_text("nan.xml", HEAD SID SDD
                   "<Projection><GantryAngle>0</GantryAngle></Projection>"
                   "<Projection><GantryAngle>1</GantryAngle><SourceOffsetY>nan</SourceOffsetY>"
                   "</Projection>" TAIL) == 0);
  path_of(p, sizeof p, "nan.xml");
  CHECK(carm_geometry_read_rtk(&g, p) == CARM_ERR_FORMAT && g == NULL);
  CHECK(strstr(carm_last_error(), "nan.xml") != NULL);
  CHECK(strstr(carm_last_error(), "view 1") != NULL);
}

/* <RawMatrix>: a calibrated matrix outside the nine-parameter model is
 * kept through a write/read, and must match its parameters. */
static void test_raw_matrix(void) {
  carm_geometry *g = NULL;
  CHECK(carm_geometry_create(&g, 2) == CARM_OK);
  CHECK(carm_view_set(&g->views[0], 785, 1200, 10, 1, 2, 3, 4, 5, 6) == CARM_OK);
  carm_view v;
  CHECK(carm_view_set(&v, 785, 1200, 20, 1, 2, 3, 4, 5, 6) == CARM_OK);
  double p[3][4];
  memcpy(p, v.matrix, sizeof p);
  p[0][1] += 0.2; /* skew: not representable */
  double res = 0.0;
  CHECK(carm_view_from_matrix(&g->views[1], p, &res) == CARM_OK);
  CHECK(res > 1e-3);
  char path[512];
  path_of(path, sizeof path, "raw.xml");
  CHECK(carm_geometry_write_rtk(g, path) == CARM_OK);
  carm_geometry *r = NULL;
  carm_status st = carm_geometry_read_rtk(&r, path);
  CHECK_MSG(st == CARM_OK, "%s", carm_last_error());
  if (st == CARM_OK) {
    CHECK(geo_diff(g, r) <= 1e-12);
    CHECK(fabs(r->views[1].matrix[0][1] - p[0][1]) < 1e-9);
  }
  carm_geometry_destroy(r);
  /* a view whose matrix no longer matches its parameters is refused */
  g->views[0].sid_mm = 700;
  CHECK(carm_geometry_write_rtk(g, path) == CARM_ERR_GEOMETRY);
  CHECK(strstr(carm_last_error(), "view 0") != NULL);
  carm_geometry_destroy(g);
}

/* carm's <PatientPosition> extension: HFS survives a round trip, WORLD is
 * the default (a plain RTK file) and is not written, unknown is refused. */
static void test_patient_position(void) {
  carm_trajectory_opts o = CARM_TRAJECTORY_INIT;
  o.n_views = 5;
  o.patient = CARM_PATIENT_HFS;
  carm_geometry *g = NULL;
  CHECK(carm_geometry_circular(&g, &o) == CARM_OK);
  char p[512];
  path_of(p, sizeof p, "hfs.xml");
  CHECK(carm_geometry_write_rtk(g, p) == CARM_OK);
  carm_geometry *r = NULL;
  CHECK(carm_geometry_read_rtk(&r, p) == CARM_OK);
  CHECK(r != NULL && r->patient == CARM_PATIENT_HFS);
  CHECK(r != NULL && geo_diff(g, r) <= 1e-12);
  carm_geometry_destroy(r);
  r = NULL;
  g->patient = CARM_PATIENT_WORLD;
  CHECK(carm_geometry_write_rtk(g, p) == CARM_OK);
  CHECK(carm_geometry_read_rtk(&r, p) == CARM_OK);
  CHECK(r != NULL && r->patient == CARM_PATIENT_WORLD);
  carm_geometry_destroy(r);
  r = NULL;
  CHECK(read_text(&r,
                  HEAD "<patientposition> hfs </patientposition>" SID
                       "<Projection><GantryAngle>0</GantryAngle></Projection>" TAIL) == CARM_OK);
  CHECK(r != NULL && r->patient == CARM_PATIENT_HFS);
  carm_geometry_destroy(r);
  expect_refused(HEAD "<PatientPosition>FFS</PatientPosition>" SID
                      "<Projection><GantryAngle>0</GantryAngle></Projection>" TAIL,
                 CARM_ERR_UNSUPPORTED, "PatientPosition");
  g->patient = (carm_patient_position)7;
  CHECK(carm_geometry_write_rtk(g, p) == CARM_ERR_INVALID);
  carm_geometry_destroy(g);
}

static void test_write_failures(void) {
  carm_trajectory_opts o = CARM_TRAJECTORY_INIT;
  o.n_views = 10;
  carm_geometry *g = NULL;
  CHECK(carm_geometry_circular(&g, &o) == CARM_OK);
  /* a folder that does not exist */
  char p[512];
  path_of(p, sizeof p, "no/such/folder/g.xml");
  CHECK(carm_geometry_write_rtk(g, p) == CARM_ERR_IO);
  CHECK(!file_exists(p));
  /* the target is a folder: rename fails, the temporary file is removed */
  path_of(p, sizeof p, "a-folder");
  CHECK(mkdir(p, 0755) == 0);
  CHECK(carm_geometry_write_rtk(g, p) == CARM_ERR_IO);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "ls '%s' | grep -c tmp >/dev/null", dir);
  CHECK(system(cmd) != 0); /* no *.tmp* left over */
  rmdir(p);
  /* an empty geometry is refused */
  carm_geometry *e = NULL;
  CHECK(carm_geometry_create(&e, 0) == CARM_OK);
  path_of(p, sizeof p, "empty.xml");
  CHECK(carm_geometry_write_rtk(e, p) == CARM_ERR_INVALID);
  CHECK(!file_exists(p));
  /* a non-finite parameter is refused before anything is written */
  g->views[3].proj_offset_x_mm = NAN;
  CHECK(carm_geometry_write_rtk(g, p) == CARM_ERR_GEOMETRY);
  CHECK(!file_exists(p));
  carm_geometry_destroy(e);
  carm_geometry_destroy(g);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/carm-test-geometry-rtk-XXXXXX");
  if (mkdtemp(dir) == NULL) {
    return 1;
  }
  test_round_trip_random();
  test_writer_layout();
  test_semantics();
  test_rtk_documentation_example();
  test_refusals();
  test_raw_matrix();
  test_patient_position();
  test_write_failures();
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) {
    fprintf(stderr, "cannot remove %s\n", dir);
  }
  return check_done();
}
