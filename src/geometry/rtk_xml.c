/* RTK circular-geometry XML (RTKThreeDCircularGeometry, versions 2 and 3):
 * reader and writer, mirroring RTK's ThreeDCircularProjectionGeometryXMLFile
 * Reader/Writer. docs/coordinates.md describes the semantics:
 * - a parameter keeps the last value read (top level or inside an earlier
 *   <Projection>); values start at 0; GantryAngle (alias Angle) is required
 *   in every <Projection>;
 * - <Matrix> is recomputed and compared (tolerance 0.001 per element);
 * - carm extensions, ignored by RTK: <Time> (seconds) and <RawMatrix> (a
 *   calibrated matrix that the nine parameters only approximate) per view,
 *   <PatientPosition> (WORLD or HFS) at top level.
 * libxml2 parses from memory with XML_PARSE_NONET, without entity
 * substitution or DTD loading, and its errors go to a per-parse handler. */
#include "carm/geometry.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/** Largest geometry file read (bytes). */
#define RTK_MAX_FILE_BYTES ((int64_t)1 << 30)
/** RTK's tolerance between <Matrix> and the recomputed matrix. */
#define RTK_MATRIX_TOL 0.001
/** Longest text of one element (a matrix: 12 numbers). */
#define RTK_MAX_TEXT 4096

enum { P_SID, P_SDD, P_SX, P_SY, P_PX, P_PY, P_IP, P_OOP, P_COUNT };

/* The eight inheritable parameters, in RTK's writing order. */
static const char *const param_names[P_COUNT] = {
    "SourceToIsocenterDistance", "SourceToDetectorDistance", "SourceOffsetX", "SourceOffsetY",
    "ProjectionOffsetX",         "ProjectionOffsetY",        "InPlaneAngle",  "OutOfPlaneAngle"};

static int is_name(const xmlNode *n, const char *name) {
  return n->type == XML_ELEMENT_NODE && strcasecmp((const char *)n->name, name) == 0;
}

/* "top level" or "view K (<Projection> K+1)" for messages. */
static void where_str(char *buf, size_t cap, int64_t view) {
  if (view < 0) {
    snprintf(buf, cap, "top level");
  } else {
    snprintf(buf, cap, "view %lld (<Projection> %lld)", (long long)view, (long long)view + 1);
  }
}

/* The text of a simple element: its text and CDATA children, concatenated.
 * Refuses child elements, entity references and over-long text. */
static carm_status node_text(const xmlNode *n, char *buf, size_t cap, int64_t view) {
  char where[64];
  size_t len = 0;
  buf[0] = '\0';
  for (const xmlNode *c = n->children; c != NULL; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      const char *t = c->content != NULL ? (const char *)c->content : "";
      size_t m = strlen(t);
      if (m >= cap - len) {
        where_str(where, sizeof where, view);
        return carm_error(CARM_ERR_FORMAT, "%s: <%s> text is too long", where,
                          (const char *)n->name);
      }
      memcpy(buf + len, t, m + 1);
      len += m;
    } else if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE) {
      continue;
    } else {
      where_str(where, sizeof where, view);
      return carm_error(CARM_ERR_FORMAT, "%s: <%s> must hold only a number (found %s)", where,
                        (const char *)n->name,
                        c->type == XML_ELEMENT_NODE ? "an element" : "an entity reference");
    }
  }
  return CARM_OK;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Parse exactly `n` whitespace-separated finite decimal numbers. */
static carm_status parse_numbers(const xmlNode *node, double *out, int n, int64_t view) {
  char text[RTK_MAX_TEXT];
  char where[64];
  carm_status st = node_text(node, text, sizeof text, view);
  if (st != CARM_OK) {
    return st;
  }
  const char *name = (const char *)node->name;
  char *p = text;
  int count = 0;
  for (;;) {
    while (is_space(*p)) {
      p++;
    }
    if (*p == '\0') {
      break;
    }
    char *tok = p;
    while (*p != '\0' && !is_space(*p)) {
      p++;
    }
    char saved = *p;
    *p = '\0';
    int ok = count < n;
    for (const char *c = tok; ok && *c != '\0'; c++) {
      ok = strchr("0123456789+-.eE", *c) != NULL;
    }
    double v = 0.0;
    if (ok) {
      char *end = NULL;
      errno = 0;
      v = strtod(tok, &end);
      ok = end != tok && *end == '\0' && errno != ERANGE && isfinite(v);
    }
    if (!ok) {
      where_str(where, sizeof where, view);
      if (count >= n) {
        return carm_error(CARM_ERR_FORMAT, "%s: <%s> holds more than %d number%s", where, name, n,
                          n == 1 ? "" : "s");
      }
      return carm_error(CARM_ERR_FORMAT, "%s: <%s> value '%.40s' is not a finite number", where,
                        name, tok);
    }
    out[count++] = v;
    *p = saved;
  }
  if (count != n) {
    where_str(where, sizeof where, view);
    return carm_error(CARM_ERR_FORMAT, "%s: <%s> holds %d number%s, expected %d", where, name,
                      count, count == 1 ? "" : "s", n);
  }
  return CARM_OK;
}

static double max_abs_diff(const double a[3][4], const double b[3][4], int *ei, int *ej) {
  double d = 0.0;
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 4; j++) {
      double e = fabs(a[i][j] - b[i][j]);
      if (e > d || (i == 0 && j == 0)) {
        d = e;
        if (ei != NULL) {
          *ei = i;
          *ej = j;
        }
      }
    }
  }
  return d;
}

/* Elements RTK reads and carm ignores (collimation) or refuses
 * (cylindrical detector). Returns 1 when `n` was handled. */
static carm_status other_rtk_element(const xmlNode *n, int64_t view, int *handled) {
  *handled = 0;
  if (is_name(n, "RadiusCylindricalDetector")) {
    double r = 0.0;
    carm_status st = parse_numbers(n, &r, 1, view);
    if (st != CARM_OK) {
      return st;
    }
    if (r != 0.0) {
      return carm_error(CARM_ERR_UNSUPPORTED,
                        "cylindrical detectors (RadiusCylindricalDetector %g) are not supported",
                        r);
    }
    *handled = 1;
  }
  return CARM_OK;
}

/* Set one parameter from `n` when it names one. */
static carm_status read_param(const xmlNode *n, double state[P_COUNT], int64_t view, int *handled) {
  *handled = 0;
  for (int i = 0; i < P_COUNT; i++) {
    if (is_name(n, param_names[i])) {
      *handled = 1;
      return parse_numbers(n, &state[i], 1, view);
    }
  }
  return other_rtk_element(n, view, handled);
}

static carm_status read_projection(const xmlNode *proj, double state[P_COUNT], carm_view *view,
                                   int64_t k, int parallel_first) {
  char where[64];
  where_str(where, sizeof where, k);
  double ga = 0.0;
  int have_ga = 0;
  double m[3][4];
  int have_m = 0;
  double raw[3][4];
  int have_raw = 0;
  double t = NAN;
  carm_status st = CARM_OK;
  for (const xmlNode *c = proj->children; c != NULL && st == CARM_OK; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) {
      continue;
    }
    int handled = 0;
    st = read_param(c, state, k, &handled);
    if (st != CARM_OK || handled) {
      continue;
    }
    if (is_name(c, "GantryAngle") || is_name(c, "Angle")) {
      st = parse_numbers(c, &ga, 1, k);
      have_ga = 1;
    } else if (is_name(c, "Matrix")) {
      st = parse_numbers(c, &m[0][0], 12, k);
      have_m = 1;
    } else if (is_name(c, "RawMatrix")) {
      st = parse_numbers(c, &raw[0][0], 12, k);
      have_raw = 1;
    } else if (is_name(c, "Time")) {
      st = parse_numbers(c, &t, 1, k);
    }
    /* anything else (collimation, unknown elements) is ignored, as RTK does */
  }
  if (st != CARM_OK) {
    return st;
  }
  if (!have_ga) {
    return carm_error(CARM_ERR_FORMAT, "%s: no <GantryAngle>", where);
  }
  if (!(state[P_SID] > 0.0)) {
    return carm_error(CARM_ERR_GEOMETRY, "%s: SourceToIsocenterDistance is %g (missing or <= 0)",
                      where, state[P_SID]);
  }
  carm_view v;
  memset(&v, 0, sizeof v);
  st = carm_view_set(&v, state[P_SID], state[P_SDD], ga, state[P_PX], state[P_PY], state[P_OOP],
                     state[P_IP], state[P_SX], state[P_SY]);
  if (st != CARM_OK) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s", carm_last_error());
    return carm_error(st, "%s: %s", where, msg);
  }
  if (parallel_first >= 0 && (v.sdd_mm == 0.0) != (parallel_first == 1)) {
    return carm_error(CARM_ERR_GEOMETRY, "%s: parallel and cone-beam views cannot be mixed", where);
  }
  if (have_m) {
    int ei = 0;
    int ej = 0;
    double d = max_abs_diff(m, v.matrix, &ei, &ej);
    if (!(d <= RTK_MATRIX_TOL)) {
      return carm_error(CARM_ERR_GEOMETRY,
                        "%s: <Matrix> disagrees with its parameters: element [%d][%d] is %.10g "
                        "in the file, %.10g recomputed (tolerance %g)",
                        where, ei, ej, m[ei][ej], v.matrix[ei][ej], RTK_MATRIX_TOL);
    }
  }
  if (have_raw) {
    /* The calibrated matrix must decompose into this view's parameters. */
    carm_view r = v;
    st = carm_view_from_matrix(&r, raw, NULL);
    if (st != CARM_OK) {
      char msg[256];
      snprintf(msg, sizeof msg, "%s", carm_last_error());
      return carm_error(st, "%s: <RawMatrix>: %s", where, msg);
    }
    double normalized[3][4];
    memcpy(normalized, r.matrix, sizeof normalized);
    carm_view_update_matrix(&r);
    int ei = 0;
    int ej = 0;
    double d = max_abs_diff(r.matrix, v.matrix, &ei, &ej);
    if (!(d <= RTK_MATRIX_TOL)) {
      return carm_error(CARM_ERR_GEOMETRY,
                        "%s: <RawMatrix> does not decompose into the view's parameters "
                        "(element [%d][%d] differs by %g)",
                        where, ei, ej, d);
    }
    memcpy(v.matrix, normalized, sizeof normalized);
  }
  v.time_s = t;
  *view = v;
  return CARM_OK;
}

static carm_status read_version(const xmlDoc *doc, const xmlNode *root) {
  for (const xmlAttr *a = root->properties; a != NULL; a = a->next) {
    if (strcasecmp((const char *)a->name, "version") != 0) {
      continue;
    }
    xmlChar *val = xmlNodeListGetString((xmlDoc *)doc, a->children, 1);
    const char *s = val != NULL ? (const char *)val : "";
    while (is_space(*s)) {
      s++;
    }
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1])) {
      n--;
    }
    int v = (n == 1 && (s[0] == '2' || s[0] == '3')) ? s[0] - '0' : -1;
    char shown[32];
    snprintf(shown, sizeof shown, "%.*s", (int)(n < 20 ? n : 20), s);
    xmlFree(val);
    if (v < 0) {
      return carm_error(CARM_ERR_UNSUPPORTED,
                        "RTK geometry version '%s' is not supported (versions 2 and 3 are)", shown);
    }
    return CARM_OK;
  }
  return carm_error(CARM_ERR_FORMAT, "<RTKThreeDCircularGeometry> has no version attribute");
}

/* carm extension <PatientPosition>: WORLD (RTK's meaning, the default) or
 * HFS (head first supine on a C-arm table). */
static carm_status read_patient(const xmlNode *n, carm_patient_position *pos) {
  char text[RTK_MAX_TEXT];
  carm_status st = node_text(n, text, sizeof text, -1);
  if (st != CARM_OK) {
    return st;
  }
  char *p = text;
  while (is_space(*p)) {
    p++;
  }
  size_t len = strlen(p);
  while (len > 0 && is_space(p[len - 1])) {
    p[--len] = '\0';
  }
  if (strcasecmp(p, "WORLD") == 0) {
    *pos = CARM_PATIENT_WORLD;
  } else if (strcasecmp(p, "HFS") == 0) {
    *pos = CARM_PATIENT_HFS;
  } else {
    return carm_error(CARM_ERR_UNSUPPORTED,
                      "<PatientPosition> '%.40s' is not supported (WORLD or HFS)", p);
  }
  return CARM_OK;
}

static carm_status read_doc(carm_geometry **out, const xmlDoc *doc) {
  const xmlNode *root = xmlDocGetRootElement((xmlDoc *)doc);
  if (root == NULL || !is_name(root, "RTKThreeDCircularGeometry")) {
    return carm_error(CARM_ERR_FORMAT,
                      "not an RTK geometry: the root element is <%s>, expected "
                      "<RTKThreeDCircularGeometry>",
                      root != NULL ? (const char *)root->name : "");
  }
  carm_status st = read_version(doc, root);
  if (st != CARM_OK) {
    return st;
  }
  int64_t n = 0;
  for (const xmlNode *c = root->children; c != NULL; c = c->next) {
    if (is_name(c, "Projection")) {
      n++;
      if (n > CARM_GEOMETRY_MAX_VIEWS) {
        return carm_error(CARM_ERR_RANGE, "more than %d <Projection> elements",
                          CARM_GEOMETRY_MAX_VIEWS);
      }
    }
  }
  if (n == 0) {
    return carm_error(CARM_ERR_FORMAT, "the geometry has no <Projection>");
  }
  carm_geometry *g = NULL;
  st = carm_geometry_create(&g, n);
  if (st != CARM_OK) {
    return st;
  }
  double state[P_COUNT] = {0};
  int64_t k = 0;
  for (const xmlNode *c = root->children; c != NULL && st == CARM_OK; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) {
      continue;
    }
    if (is_name(c, "Projection")) {
      int parallel_first = k == 0 ? -1 : g->views[0].sdd_mm == 0.0;
      st = read_projection(c, state, &g->views[k], k, parallel_first);
      k++;
    } else if (is_name(c, "PatientPosition")) {
      st = read_patient(c, &g->patient);
    } else {
      int handled = 0;
      st = read_param(c, state, -1, &handled);
    }
  }
  if (st != CARM_OK) {
    carm_geometry_destroy(g);
    return st;
  }
  *out = g;
  return CARM_OK;
}

/* Keeps the first libxml2 error of a parse (never printed). */
typedef struct xml_errors {
  char first[200];
  int line;
  int count;
} xml_errors;

static void on_xml_error(void *user, xmlErrorPtr err) {
  xmlParserCtxtPtr ctxt = user;
  xml_errors *e = ctxt != NULL ? ctxt->_private : NULL;
  if (e == NULL || err == NULL || err->level < XML_ERR_ERROR) {
    return;
  }
  e->count++;
  if (e->count == 1) {
    snprintf(e->first, sizeof e->first, "%s", err->message != NULL ? err->message : "error");
    size_t m = strlen(e->first);
    while (m > 0 && (e->first[m - 1] == '\n' || e->first[m - 1] == '\r')) {
      e->first[--m] = '\0';
    }
    e->line = err->line;
  }
}

/* libxml2 2.9's xmlInitParser is not safe to race on first use. */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void init_xml(void) { xmlInitParser(); }

carm_status carm_geometry_read_rtk_memory(carm_geometry **out, const void *data, size_t size) {
  if (out == NULL || (data == NULL && size > 0)) {
    return carm_error(CARM_ERR_INVALID, "carm_geometry_read_rtk_memory: NULL argument");
  }
  if (size == 0) {
    return carm_error(CARM_ERR_FORMAT, "empty geometry file");
  }
  if (size > (size_t)RTK_MAX_FILE_BYTES || size > (size_t)INT_MAX) {
    return carm_error(CARM_ERR_RANGE, "geometry file of %zu bytes is too large", size);
  }
  pthread_once(&xml_once, init_xml);
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (ctxt == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot create an XML parser");
  }
  xml_errors errs;
  memset(&errs, 0, sizeof errs);
  ctxt->_private = &errs;
  if (ctxt->sax != NULL) {
    ctxt->sax->serror = on_xml_error;
  }
  /* No NOENT (entities stay references and are refused), no DTDLOAD, no
   * network; errors and warnings only to our handler. */
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
  xmlDocPtr doc = xmlCtxtReadMemory(ctxt, data, (int)size, "geometry.xml", NULL, options);
  carm_status st = CARM_OK;
  if (doc == NULL || !ctxt->wellFormed || errs.count > 0) {
    if (errs.count > 0) {
      st = carm_error(CARM_ERR_FORMAT, "malformed XML at line %d: %s", errs.line, errs.first);
    } else {
      st = carm_error(CARM_ERR_FORMAT, "malformed XML");
    }
  } else {
    st = read_doc(out, doc);
  }
  xmlFreeDoc(doc);
  xmlFreeParserCtxt(ctxt);
  return st;
}

carm_status carm_geometry_read_rtk(carm_geometry **out, const char *path) {
  if (out == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_geometry_read_rtk: NULL argument");
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return carm_error(errno == ENOENT ? CARM_ERR_NOTFOUND : CARM_ERR_IO, "cannot open %s: %s", path,
                      strerror(errno));
  }
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    fclose(f);
    return carm_error(CARM_ERR_IO, "%s is not a regular file", path);
  }
  if ((int64_t)sb.st_size > RTK_MAX_FILE_BYTES) {
    fclose(f);
    return carm_error(CARM_ERR_RANGE, "%s: %lld bytes is too large for a geometry file", path,
                      (long long)sb.st_size);
  }
  size_t size = (size_t)sb.st_size;
  char *buf = malloc(size > 0 ? size : 1);
  if (buf == NULL) {
    fclose(f);
    return carm_error(CARM_ERR_NOMEM, "cannot allocate %zu bytes for %s", size, path);
  }
  size_t got = fread(buf, 1, size, f);
  int bad = ferror(f) != 0 || got != size;
  fclose(f);
  if (bad) {
    free(buf);
    return carm_error(CARM_ERR_IO, "cannot read %s", path);
  }
  carm_status st = carm_geometry_read_rtk_memory(out, buf, size);
  free(buf);
  if (st != CARM_OK) {
    char msg[400];
    snprintf(msg, sizeof msg, "%s", carm_last_error());
    return carm_error(st, "%s: %s", path, msg);
  }
  return CARM_OK;
}

/* ---- writer -------------------------------------------------------------- */

static double param_value(const carm_view *v, int p) {
  switch (p) {
  case P_SID: return v->sid_mm;
  case P_SDD: return v->sdd_mm;
  case P_SX: return v->source_offset_x_mm;
  case P_SY: return v->source_offset_y_mm;
  case P_PX: return v->proj_offset_x_mm;
  case P_PY: return v->proj_offset_y_mm;
  case P_IP: return v->in_plane_rad * (180.0 / M_PI);
  default: return v->out_of_plane_rad * (180.0 / M_PI);
  }
}

static void write_matrix(FILE *f, const char *name, const double m[3][4]) {
  fprintf(f, "    <%s>\n", name);
  for (int i = 0; i < 3; i++) {
    fprintf(f, "      %.15g %.15g %.15g %.15g\n", m[i][0], m[i][1], m[i][2], m[i][3]);
  }
  fprintf(f, "    </%s>\n", name);
}

/* Check a view and tell whether its matrix is a calibrated (raw) one that
 * must be written as <RawMatrix>. */
static carm_status check_view(const carm_view *v, int64_t k, int *raw, double normalized[3][4]) {
  carm_view p = *v;
  carm_status st =
      carm_view_set(&p, v->sid_mm, v->sdd_mm, v->gantry_angle_rad * (180.0 / M_PI),
                    v->proj_offset_x_mm, v->proj_offset_y_mm, v->out_of_plane_rad * (180.0 / M_PI),
                    v->in_plane_rad * (180.0 / M_PI), v->source_offset_x_mm, v->source_offset_y_mm);
  if (st != CARM_OK) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s", carm_last_error());
    return carm_error(st, "view %lld: %s", (long long)k, msg);
  }
  if (isinf(v->time_s)) {
    return carm_error(CARM_ERR_GEOMETRY, "view %lld: time %g s is not finite", (long long)k,
                      v->time_s);
  }
  double scale = 1.0;
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 4; j++) {
      scale = fmax(scale, fabs(p.matrix[i][j]));
    }
  }
  *raw = !(max_abs_diff(v->matrix, p.matrix, NULL, NULL) <= 1e-9 * scale);
  if (!*raw) {
    return CARM_OK;
  }
  carm_view r = p;
  st = carm_view_from_matrix(&r, v->matrix, NULL);
  if (st != CARM_OK) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s", carm_last_error());
    return carm_error(st, "view %lld: its matrix: %s", (long long)k, msg);
  }
  memcpy(normalized, r.matrix, sizeof r.matrix);
  carm_view_update_matrix(&r);
  if (!(max_abs_diff(r.matrix, p.matrix, NULL, NULL) <= RTK_MATRIX_TOL)) {
    return carm_error(CARM_ERR_GEOMETRY,
                      "view %lld: its matrix disagrees with its parameters (call "
                      "carm_view_update_matrix or carm_view_from_matrix)",
                      (long long)k);
  }
  return CARM_OK;
}

static void write_body(FILE *f, const carm_geometry *geo) {
  fprintf(f, "<?xml version=\"1.0\"?>\n<!DOCTYPE RTKGEOMETRY>\n"
             "<RTKThreeDCircularGeometry version=\"3\">\n");
  if (geo->patient == CARM_PATIENT_HFS) {
    fprintf(f, "  <PatientPosition>HFS</PatientPosition>\n");
  }
  int global[P_COUNT];
  for (int p = 0; p < P_COUNT; p++) {
    double v0 = param_value(&geo->views[0], p);
    global[p] = 1;
    for (int64_t k = 1; k < geo->n_views && global[p]; k++) {
      global[p] = param_value(&geo->views[k], p) == v0;
    }
    if (global[p] && v0 != 0.0) {
      fprintf(f, "  <%s>%.15g</%s>\n", param_names[p], v0, param_names[p]);
    }
  }
  for (int64_t k = 0; k < geo->n_views; k++) {
    const carm_view *v = &geo->views[k];
    fprintf(f, "  <Projection>\n    <GantryAngle>%.15g</GantryAngle>\n",
            v->gantry_angle_rad * (180.0 / M_PI));
    for (int p = 0; p < P_COUNT; p++) {
      if (!global[p]) {
        fprintf(f, "    <%s>%.15g</%s>\n", param_names[p], param_value(v, p), param_names[p]);
      }
    }
    if (isfinite(v->time_s)) {
      fprintf(f, "    <Time>%.15g</Time>\n", v->time_s);
    }
    carm_view p = *v;
    carm_view_update_matrix(&p);
    write_matrix(f, "Matrix", p.matrix);
    int raw = 0;
    double normalized[3][4];
    if (check_view(v, k, &raw, normalized) == CARM_OK && raw) {
      write_matrix(f, "RawMatrix", normalized);
    }
    fprintf(f, "  </Projection>\n");
  }
  fprintf(f, "</RTKThreeDCircularGeometry>\n");
}

carm_status carm_geometry_write_rtk(const carm_geometry *geo, const char *path) {
  if (geo == NULL || path == NULL || path[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "carm_geometry_write_rtk: NULL argument");
  }
  if (geo->n_views < 1 || geo->n_views > CARM_GEOMETRY_MAX_VIEWS || geo->views == NULL) {
    return carm_error(CARM_ERR_INVALID, "cannot write a geometry of %lld views",
                      (long long)geo->n_views);
  }
  if (geo->patient != CARM_PATIENT_WORLD && geo->patient != CARM_PATIENT_HFS) {
    return carm_error(CARM_ERR_INVALID, "unknown patient position %d", (int)geo->patient);
  }
  for (int64_t k = 0; k < geo->n_views; k++) {
    int raw = 0;
    double normalized[3][4];
    carm_status st = check_view(&geo->views[k], k, &raw, normalized);
    if (st != CARM_OK) {
      return st;
    }
    if ((geo->views[k].sdd_mm == 0.0) != (geo->views[0].sdd_mm == 0.0)) {
      return carm_error(CARM_ERR_GEOMETRY,
                        "view %lld: parallel and cone-beam views cannot be "
                        "mixed",
                        (long long)k);
    }
  }
  carm_output *dst = NULL;
  carm_status st = carm_output_open(&dst, path);
  if (st != CARM_OK) {
    return st;
  }
  write_body(carm_output_file(dst), geo);
  return carm_output_commit(dst);
}
