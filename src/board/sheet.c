/* The tumour-board sheet: one A4 PDF per case (cairo PDF surface, cairo's
 * toy text API: no Pango, no new dependency). Everything printed comes
 * from the store through its public reads (carm_board_show,
 * carm_board_meeting_show, carm_board_picture_png), so the sheet shows
 * exactly what the store holds. See include/carm/board.h and
 * docs/clinical.md ("The board sheet"). */
#include "carm/board.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A4 in PostScript points. */
#define PAGE_W 595.276
#define PAGE_H 841.890
#define MARGIN 42.0
#define TOP 58.0
#define BOTTOM (PAGE_H - 48.0)
#define CONTENT_W (PAGE_W - 2.0 * MARGIN)
#define BODY 9.0
#define SMALL 7.5
#define MAX_LINES 40
#define LINE_CHARS 400
#define MAX_COLS 6
#define MAX_PICTURES 32

typedef struct sheet {
  cairo_t *cr;
  double y;
  int page;
  int total_pages; /* 0 on the counting pass */
  const char *pseudonym;
  const char *generated_on;
  /* the header row of the table being drawn, repeated after a page break */
  int tab_n;
  const double *tab_w;
  const char *const *tab_head;
} sheet;

typedef struct picture {
  cairo_surface_t *surface;
  char caption[256];
} picture;

/* ---- text ------------------------------------------------------------------ */

/* Copy `in` to `out` as valid UTF-8 without control characters (invalid
 * bytes become '?', controls a space): cairo refuses invalid UTF-8. */
static void clean(char *out, size_t size, const char *in) {
  size_t o = 0;
  const unsigned char *p = (const unsigned char *)(in != NULL ? in : "");
  while (*p != '\0' && o + 5 < size) {
    unsigned char c = p[0];
    size_t n = c < 0x80             ? 1
               : (c & 0xE0) == 0xC0 ? 2
               : (c & 0xF0) == 0xE0 ? 3
               : (c & 0xF8) == 0xF0 ? 4
                                    : 0;
    int ok = n > 0 && !(n == 2 && c < 0xC2);
    for (size_t k = 1; ok && k < n; k++) {
      ok = (p[k] & 0xC0) == 0x80;
    }
    if (!ok) {
      out[o++] = '?';
      p++;
      continue;
    }
    if (n == 1 && (c < 0x20 || c == 0x7F)) {
      out[o++] = ' ';
    } else {
      memcpy(out + o, p, n);
      o += n;
    }
    p += n;
  }
  out[o] = '\0';
}

static void font(sheet *s, double size, int bold) {
  cairo_select_font_face(s->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(s->cr, size);
}

static double text_w(sheet *s, const char *t) {
  cairo_text_extents_t e;
  cairo_text_extents(s->cr, t, &e);
  return e.x_advance;
}

static void show(sheet *s, double x, double y, const char *t) {
  cairo_move_to(s->cr, x, y);
  cairo_show_text(s->cr, t);
}

/* Split `text` into lines no wider than `width` at the current font,
 * breaking at spaces (a word wider than a line is cut). Returns the number
 * of lines (at least 1; at most `max`, the rest is dropped). */
static int wrap(sheet *s, const char *text, double width, char lines[][LINE_CHARS], int max) {
  char buf[4096];
  clean(buf, sizeof buf, text);
  int n = 0;
  const char *p = buf;
  lines[0][0] = '\0';
  while (*p == ' ') {
    p++;
  }
  while (*p != '\0' && n < max) {
    const char *end = NULL; /* end of the longest prefix of whole words that fits */
    const char *e = p;
    while (1) {
      while (*e != '\0' && *e != ' ') {
        e++;
      }
      size_t len = (size_t)(e - p);
      if (len >= LINE_CHARS) {
        break;
      }
      char cand[LINE_CHARS];
      memcpy(cand, p, len);
      cand[len] = '\0';
      if (text_w(s, cand) > width) {
        break;
      }
      end = e;
      if (*e == '\0') {
        break;
      }
      e++;
    }
    if (end == NULL) {
      /* the first word alone is too wide: cut it at a character boundary */
      size_t len = 1;
      char cand[LINE_CHARS];
      size_t fit = 0;
      while (p[len - 1] != '\0' && p[len - 1] != ' ' && len < LINE_CHARS) {
        if (((unsigned char)p[len] & 0xC0) != 0x80) {
          memcpy(cand, p, len);
          cand[len] = '\0';
          if (text_w(s, cand) > width && fit > 0) {
            break;
          }
          fit = len;
        }
        len++;
      }
      end = p + (fit > 0 ? fit : 1);
    }
    size_t len = (size_t)(end - p);
    memcpy(lines[n], p, len);
    lines[n][len] = '\0';
    n++;
    p = end;
    while (*p == ' ') {
      p++;
    }
  }
  return n > 0 ? n : 1;
}

/* ---- pages ----------------------------------------------------------------- */

static void footer(sheet *s) {
  char t[256];
  char ps[96];
  clean(ps, sizeof ps, s->pseudonym);
  snprintf(t, sizeof t, "carm tumour board sheet - case %s - prepared %s", ps, s->generated_on);
  font(s, SMALL, 0);
  cairo_set_source_rgb(s->cr, 0.4, 0.4, 0.4);
  cairo_set_line_width(s->cr, 0.4);
  cairo_move_to(s->cr, MARGIN, PAGE_H - 40.0);
  cairo_line_to(s->cr, PAGE_W - MARGIN, PAGE_H - 40.0);
  cairo_stroke(s->cr);
  show(s, MARGIN, PAGE_H - 30.0, t);
  if (s->total_pages > 0) {
    snprintf(t, sizeof t, "page %d of %d", s->page, s->total_pages);
  } else {
    snprintf(t, sizeof t, "page %d", s->page);
  }
  show(s, PAGE_W - MARGIN - text_w(s, t), PAGE_H - 30.0, t);
  show(s, MARGIN, PAGE_H - 21.0,
       "Pseudonymised: no name or hospital identifier is held in the store or this document.");
  cairo_set_source_rgb(s->cr, 0, 0, 0);
}

static void table_head(sheet *s);

static void new_page(sheet *s) {
  if (s->page > 0) {
    footer(s);
    cairo_show_page(s->cr);
  }
  s->page++;
  s->y = TOP;
  if (s->page > 1) {
    char t[160];
    char ps[96];
    clean(ps, sizeof ps, s->pseudonym);
    snprintf(t, sizeof t, "Case %s (continued)", ps);
    font(s, SMALL, 1);
    cairo_set_source_rgb(s->cr, 0.4, 0.4, 0.4);
    show(s, MARGIN, TOP - 18.0, t);
    cairo_set_source_rgb(s->cr, 0, 0, 0);
    if (s->tab_n > 0) {
      table_head(s);
    }
  }
}

/* Make room for `h` points, starting a page when needed. */
static void ensure(sheet *s, double h) {
  if (s->y + h > BOTTOM) {
    new_page(s);
  }
}

static void heading(sheet *s, const char *t) {
  ensure(s, 40.0);
  s->y += 12.0;
  font(s, 12.0, 1);
  cairo_set_source_rgb(s->cr, 0.05, 0.2, 0.45);
  show(s, MARGIN, s->y, t);
  s->y += 4.0;
  cairo_set_line_width(s->cr, 0.6);
  cairo_move_to(s->cr, MARGIN, s->y);
  cairo_line_to(s->cr, PAGE_W - MARGIN, s->y);
  cairo_stroke(s->cr);
  cairo_set_source_rgb(s->cr, 0, 0, 0);
  s->y += 13.0;
}

/* A wrapped paragraph at x (indent from the margin). */
static void para(sheet *s, double indent, const char *t, double size, int bold) {
  char lines[MAX_LINES][LINE_CHARS];
  font(s, size, bold);
  int n = wrap(s, t, CONTENT_W - indent, lines, MAX_LINES);
  double lh = size * 1.35;
  for (int i = 0; i < n; i++) {
    ensure(s, lh);
    font(s, size, bold);
    show(s, MARGIN + indent, s->y, lines[i]);
    s->y += lh;
  }
}

/* "Label: value" with the label in bold and the value wrapped beside it. */
static void field(sheet *s, const char *label, const char *value) {
  char lines[MAX_LINES][LINE_CHARS];
  const double col = 120.0;
  font(s, BODY, 0);
  int n = wrap(s, value != NULL && value[0] != '\0' ? value : "-", CONTENT_W - col - 10.0, lines,
               MAX_LINES);
  double lh = BODY * 1.35;
  for (int i = 0; i < n; i++) {
    ensure(s, lh);
    if (i == 0) {
      font(s, BODY, 1);
      char l[128];
      clean(l, sizeof l, label);
      show(s, MARGIN + 10.0, s->y, l);
    }
    font(s, BODY, 0);
    show(s, MARGIN + col, s->y, lines[i]);
    s->y += lh;
  }
}

/* One table row: cells wrapped in their columns, on one page. */
static void row(sheet *s, int n, const double *w, const char *const *cells, int bold, int shade) {
  static char lines[MAX_COLS][MAX_LINES][LINE_CHARS];
  int nl[MAX_COLS];
  int most = 1;
  double lh = BODY * 1.3;
  for (int pass = 0; pass < 2; pass++) {
    /* `lines` is shared with the header row new_page may draw: wrap again */
    font(s, BODY, bold);
    most = 1;
    for (int c = 0; c < n; c++) {
      nl[c] = wrap(s, cells[c] != NULL ? cells[c] : "", w[c] - 6.0, lines[c], MAX_LINES);
      most = nl[c] > most ? nl[c] : most;
    }
    if (pass == 1 || s->y + most * lh + 4.0 - BODY <= BOTTOM) {
      break;
    }
    new_page(s);
  }
  double h = most * lh + 4.0;
  if (shade) {
    cairo_set_source_rgb(s->cr, bold ? 0.86 : 0.95, bold ? 0.9 : 0.95, bold ? 0.96 : 0.95);
    cairo_rectangle(s->cr, MARGIN, s->y - BODY - 1.0, CONTENT_W, h);
    cairo_fill(s->cr);
    cairo_set_source_rgb(s->cr, 0, 0, 0);
  }
  double x = MARGIN;
  for (int c = 0; c < n; c++) {
    for (int i = 0; i < nl[c]; i++) {
      show(s, x + 3.0, s->y + i * lh, lines[c][i]);
    }
    x += w[c];
  }
  s->y += h;
}

static void table_head(sheet *s) { row(s, s->tab_n, s->tab_w, s->tab_head, 1, 1); }

static void table_begin(sheet *s, int n, const double *w, const char *const *head) {
  ensure(s, 3.0 * BODY * 1.3 + 8.0); /* the header and at least one row */
  s->tab_n = n;
  s->tab_w = w;
  s->tab_head = head;
  table_head(s);
}

static void table_end(sheet *s) {
  s->tab_n = 0;
  s->y += 4.0;
}

/* ---- JSON helpers ------------------------------------------------------------ */

static const char *str(const json_t *o, const char *key) {
  const char *v = json_string_value(json_object_get(o, key));
  return v != NULL ? v : "";
}

/* A number as text ("-" for null), %g with `digits` significant digits. */
static void numtext(char *out, size_t size, const json_t *v, int digits) {
  if (json_is_number(v)) {
    snprintf(out, size, "%.*g", digits, json_number_value(v));
  } else if (json_is_string(v)) {
    snprintf(out, size, "%s", json_string_value(v));
  } else {
    snprintf(out, size, "-");
  }
}

static const char *yes_no(const json_t *v) {
  if (!json_is_integer(v)) {
    return "not recorded";
  }
  return json_integer_value(v) != 0 ? "yes" : "no";
}

/* The latest stored result of a calculator (scores are ordered by date
 * and id), or NULL. */
static const json_t *latest_score(const json_t *scores, const char *calc, const char **date) {
  const json_t *best = NULL;
  size_t i;
  json_t *e;
  json_array_foreach(scores, i, e) {
    if (strcmp(str(e, "calculator"), calc) == 0 && json_is_object(json_object_get(e, "result"))) {
      best = json_object_get(e, "result");
      *date = str(e, "computed_on");
    }
  }
  return best;
}

/* "bilirubin 43 umol/L = 2.515 mg/dL (2 pts); ascites mild (2 pts); ..." */
static void inputs_text(char *out, size_t size, const json_t *result) {
  out[0] = '\0';
  const char *key;
  json_t *t;
  json_object_foreach((json_t *)json_object_get(result, "inputs"), key, t) {
    char part[256];
    char v[64] = "";
    const json_t *value = json_object_get(t, "value");
    if (!json_is_null(value) && value != NULL) {
      numtext(v, sizeof v, value, 6);
    }
    /* INR's "ratio" says nothing: leave it out */
    const char *unit = strcmp(str(t, "unit"), "ratio") == 0 ? "" : str(t, "unit");
    int len = snprintf(part, sizeof part, "%s%s%s%s%s", key, v[0] != '\0' ? " " : "", v,
                       unit[0] != '\0' ? " " : "", unit);
    const json_t *used = json_object_get(t, "used");
    if (json_is_number(used) && strcmp(str(t, "used_unit"), str(t, "unit")) != 0 &&
        str(t, "used_unit")[0] != '\0' && strcmp(str(t, "used_unit"), "ratio") != 0 &&
        len < (int)sizeof part) {
      char u[64];
      numtext(u, sizeof u, used, 4);
      len += snprintf(part + len, sizeof part - (size_t)len, " = %s %s", u, str(t, "used_unit"));
    }
    const json_t *pts = json_object_get(t, "points");
    if (json_is_number(pts) && len < (int)sizeof part) {
      char p[32];
      numtext(p, sizeof p, pts, 4);
      snprintf(part + len, sizeof part - (size_t)len, " (%s pt%s)", p,
               json_number_value(pts) == 1.0 ? "" : "s");
    }
    size_t ol = strlen(out);
    snprintf(out + ol, size - ol, "%s%s", ol > 0 ? "; " : "", part);
  }
}

/* ---- sections ---------------------------------------------------------------- */

static void section_identity(sheet *s, const json_t *c) {
  font(s, 18.0, 1);
  show(s, MARGIN, s->y, "Tumour board sheet");
  s->y += 22.0;
  char t[512];
  char ps[96];
  clean(ps, sizeof ps, str(c, "pseudonym"));
  snprintf(t, sizeof t, "Case %s", ps);
  font(s, 13.0, 1);
  show(s, MARGIN, s->y, t);
  s->y += 16.0;
  snprintf(t, sizeof t,
           "Pseudonymised case: the store holds no name or hospital identifier. Prepared %s by "
           "carm %s from the case store (schema v%lld).",
           s->generated_on, carm_version(),
           (long long)json_integer_value(json_object_get(c, "schema_version")));
  para(s, 0.0, t, BODY, 0);
}

/* One line of key figures under the title: stage, liver function, burden,
 * the decision in force. */
static void section_summary(sheet *s, const json_t *c) {
  const json_t *scores = json_object_get(c, "scores");
  const char *date = "";
  char t[768] = "";
  size_t len = 0;
  const json_t *r = latest_score(scores, "bclc", &date);
  len += (size_t)snprintf(t + len, sizeof t - len, "BCLC %s",
                          r != NULL ? str(r, "stage") : "not staged");
  r = latest_score(scores, "child-pugh", &date);
  if (r != NULL && len < sizeof t) {
    len += (size_t)snprintf(t + len, sizeof t - len, " | Child-Pugh %s (%lld)", str(r, "class"),
                            (long long)json_integer_value(json_object_get(r, "score")));
  }
  static const char *const melds[] = {"meld", "meld-na", "meld3"};
  static const char *const meld_names[] = {"MELD", "MELD-Na", "MELD 3.0"};
  for (int k = 0; k < 3; k++) {
    r = latest_score(scores, melds[k], &date);
    if (r != NULL && len < sizeof t) {
      len += (size_t)snprintf(t + len, sizeof t - len, " | %s %lld", meld_names[k],
                              (long long)json_integer_value(json_object_get(r, "score")));
    }
  }
  r = latest_score(scores, "albi", &date);
  if (r != NULL && len < sizeof t) {
    len += (size_t)snprintf(t + len, sizeof t - len, " | ALBI grade %lld",
                            (long long)json_integer_value(json_object_get(r, "grade")));
  }
  /* the decision in force: the last one that nothing amends */
  const json_t *ds = json_object_get(c, "decisions");
  const json_t *last = NULL;
  size_t i;
  json_t *d;
  json_array_foreach(ds, i, d) {
    if (json_integer_value(json_object_get(d, "amended_by")) == 0) {
      last = d;
    }
  }
  if (len < sizeof t) {
    char opt[160];
    clean(opt, sizeof opt, last != NULL ? str(last, "chosen_option") : "");
    snprintf(t + len, sizeof t - len, " | decision: %s", last != NULL ? opt : "none recorded");
  }
  char lines[4][LINE_CHARS];
  font(s, 10.0, 1);
  int n = wrap(s, t, CONTENT_W - 12.0, lines, 4);
  double h = 8.0 + 13.0 * n;
  ensure(s, h + 10.0);
  cairo_set_source_rgb(s->cr, 0.9, 0.93, 0.97);
  cairo_rectangle(s->cr, MARGIN, s->y - 2.0, CONTENT_W, h);
  cairo_fill(s->cr);
  cairo_set_source_rgb(s->cr, 0, 0, 0);
  font(s, 10.0, 1);
  for (int k = 0; k < n; k++) {
    show(s, MARGIN + 6.0, s->y + 11.0 + 13.0 * k, lines[k]);
  }
  s->y += h + 8.0;
}

static void section_state(sheet *s, const json_t *c) {
  heading(s, "Clinical state and laboratory values");
  const json_t *states = json_object_get(c, "state");
  size_t n = json_array_size(states);
  char t[1024];
  if (n == 0) {
    field(s, "Clinical state", "not recorded");
  } else {
    const json_t *st = json_array_get(states, n - 1);
    char ecog[16];
    numtext(ecog, sizeof ecog, json_object_get(st, "ecog"), 3);
    snprintf(t, sizeof t,
             "ECOG PS %s; ascites %s; encephalopathy %s; portal hypertension %s; "
             "macrovascular invasion %s; extrahepatic spread %s (observed %s)",
             strcmp(ecog, "-") == 0 ? "not recorded" : ecog,
             json_is_string(json_object_get(st, "ascites")) ? str(st, "ascites") : "not recorded",
             json_is_string(json_object_get(st, "encephalopathy")) ? str(st, "encephalopathy")
                                                                   : "not recorded",
             yes_no(json_object_get(st, "portal_hypertension")),
             yes_no(json_object_get(st, "vascular_invasion")),
             yes_no(json_object_get(st, "extrahepatic")), str(st, "observed_on"));
    field(s, "Clinical state", t);
  }
  /* the latest value of each analyte */
  static const char *const analytes[] = {"bilirubin",  "albumin", "inr",
                                         "creatinine", "sodium",  "afp"};
  t[0] = '\0';
  const json_t *labs = json_object_get(c, "labs");
  for (size_t a = 0; a < sizeof analytes / sizeof analytes[0]; a++) {
    const json_t *last = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(labs, i, e) {
      if (strcmp(str(e, "analyte"), analytes[a]) == 0) {
        last = e;
      }
    }
    if (last != NULL) {
      char v[32];
      numtext(v, sizeof v, json_object_get(last, "value"), 6);
      size_t len = strlen(t);
      const char *unit = strcmp(str(last, "unit"), "ratio") == 0 ? "" : str(last, "unit");
      snprintf(t + len, sizeof t - len, "%s%s %s%s%s (%s)", len > 0 ? "; " : "",
               strcmp(analytes[a], "inr") == 0 ? "INR" : analytes[a], v, unit[0] != '\0' ? " " : "",
               unit, str(last, "taken_on"));
    }
  }
  field(s, "Laboratory (latest)", t[0] != '\0' ? t : "none recorded");
}

static void section_liver(sheet *s, const json_t *c) {
  heading(s, "Liver function");
  const json_t *scores = json_object_get(c, "scores");
  static const double w[] = {70.0, 90.0, 290.0, 61.0};
  static const char *const head[] = {"Score", "Result", "Inputs (as given = as used, points)",
                                     "Computed"};
  static const char *const calcs[] = {"child-pugh", "meld", "meld-na", "meld3", "albi"};
  static const char *const names[] = {"Child-Pugh", "MELD", "MELD-Na", "MELD 3.0", "ALBI"};
  table_begin(s, 4, w, head);
  for (size_t k = 0; k < sizeof calcs / sizeof calcs[0]; k++) {
    const char *date = "";
    const json_t *r = latest_score(scores, calcs[k], &date);
    char res[128];
    char inputs[2048];
    if (r == NULL) {
      snprintf(res, sizeof res, "not computed");
      snprintf(inputs, sizeof inputs, "no stored result (carm board stage)");
    } else {
      char v[32];
      if (k == 0) {
        numtext(v, sizeof v, json_object_get(r, "score"), 4);
        snprintf(res, sizeof res, "%s points, class %s", v, str(r, "class"));
      } else if (k == 4) {
        numtext(v, sizeof v, json_object_get(r, "score"), 3);
        char g[16];
        numtext(g, sizeof g, json_object_get(r, "grade"), 2);
        snprintf(res, sizeof res, "%s, grade %s", v, g);
      } else {
        numtext(v, sizeof v, json_object_get(r, "score"), 4);
        snprintf(res, sizeof res, "%s", v);
      }
      inputs_text(inputs, sizeof inputs, r);
    }
    const char *cells[] = {names[k], res, inputs, date};
    row(s, 4, w, cells, 0, (int)(k % 2));
  }
  table_end(s);
}

static void section_tumours(sheet *s, const json_t *c) {
  heading(s, "Tumour burden");
  /* the latest study (by date, then id) that has tumours */
  const json_t *rows = json_object_get(c, "studies");
  json_int_t study = 0;
  const char *sdate = "";
  const char *modality = "";
  size_t i;
  json_t *e;
  json_array_foreach(rows, i, e) {
    if (!json_is_string(json_object_get(e, "label"))) {
      continue;
    }
    const char *d = str(e, "study_date");
    json_int_t id = json_integer_value(json_object_get(e, "study"));
    if (study == 0 || strcmp(d, sdate) > 0 || (strcmp(d, sdate) == 0 && id > study)) {
      study = id;
      sdate = d;
      modality = str(e, "modality");
    }
  }
  if (study == 0) {
    para(s, 0.0, "No study with measured tumours in the store.", BODY, 0);
    return;
  }
  int n = 0;
  double largest = 0.0;
  double sum = 0.0;
  double vol = 0.0;
  int n_vol = 0;
  json_array_foreach(rows, i, e) {
    if (json_integer_value(json_object_get(e, "study")) == study &&
        json_is_string(json_object_get(e, "label"))) {
      double d = json_number_value(json_object_get(e, "diameter_mm"));
      n++;
      sum += d;
      largest = d > largest ? d : largest;
      if (json_is_number(json_object_get(e, "volume_ml"))) {
        vol += json_number_value(json_object_get(e, "volume_ml"));
        n_vol++;
      }
    }
  }
  char t[512];
  char volt[96] = "";
  if (n_vol == n) {
    snprintf(volt, sizeof volt, ", total volume %.4g mL", vol);
  }
  char mod[64];
  clean(mod, sizeof mod, modality);
  snprintf(t, sizeof t,
           "Study of %s (%s): %d tumour%s, largest %.4g mm, sum of diameters %.4g mm%s.", sdate,
           mod, n, n == 1 ? "" : "s", largest, sum, volt);
  para(s, 0.0, t, BODY, 0);
  s->y += 3.0;
  static const double w[] = {60.0, 95.0, 80.0, 75.0, 90.0, 111.0};
  static const char *const head[] = {"Tumour",      "Longest diameter", "Viable (mm)",
                                     "Volume (mL)", "Couinaud segment", "Arterial enhancement"};
  table_begin(s, 6, w, head);
  int k = 0;
  json_array_foreach(rows, i, e) {
    if (json_integer_value(json_object_get(e, "study")) != study ||
        !json_is_string(json_object_get(e, "label"))) {
      continue;
    }
    char d[32];
    char via[32];
    char v[32];
    numtext(d, sizeof d, json_object_get(e, "diameter_mm"), 4);
    size_t dl = strlen(d);
    snprintf(d + dl, sizeof d - dl, " mm");
    numtext(via, sizeof via, json_object_get(e, "viable_diameter_mm"), 4);
    numtext(v, sizeof v, json_object_get(e, "volume_ml"), 4);
    const char *seg = json_is_string(json_object_get(e, "segment")) ? str(e, "segment") : "-";
    const char *cells[] = {
        str(e, "label"), d, via, v, seg, yes_no(json_object_get(e, "enhancing"))};
    row(s, 6, w, cells, 0, k % 2);
    k++;
  }
  table_end(s);
}

static void section_criteria(sheet *s, const json_t *c) {
  heading(s, "Transplant criteria");
  const json_t *scores = json_object_get(c, "scores");
  static const char *const calcs[] = {"milan", "ucsf", "up-to-seven", "ttv-afp"};
  static const char *const names[] = {"Milan", "UCSF", "Up-to-seven", "TTV/AFP"};
  static const double w[] = {75.0, 70.0, 305.0, 61.0};
  static const char *const head[] = {"Criterion", "Result", "Why", "Computed"};
  table_begin(s, 4, w, head);
  for (size_t k = 0; k < sizeof calcs / sizeof calcs[0]; k++) {
    const char *date = "";
    const json_t *r = latest_score(scores, calcs[k], &date);
    const char *res = "not computed";
    const char *why = "no stored result (carm board stage)";
    if (r != NULL) {
      res = json_is_true(json_object_get(r, "within")) ? "within" : "beyond";
      why = str(r, "driver");
    }
    const char *cells[] = {names[k], res, why, date};
    row(s, 4, w, cells, 0, (int)(k % 2));
  }
  table_end(s);
}

static void section_bclc(sheet *s, const json_t *c) {
  heading(s, "Stage and options (BCLC 2022)");
  const char *date = "";
  const json_t *r = latest_score(json_object_get(c, "scores"), "bclc", &date);
  if (r == NULL) {
    para(s, 0.0, "Not staged: no stored BCLC result (carm board stage).", BODY, 0);
    return;
  }
  char t[512];
  snprintf(t, sizeof t, "BCLC stage %s - liver function %s (Child-Pugh %s) - computed %s",
           str(r, "stage"), str(r, "liver_function"), str(r, "child_pugh_class"), date);
  para(s, 0.0, t, 11.0, 1);
  if (str(r, "driver")[0] != '\0') {
    field(s, "Why this stage", str(r, "driver"));
  }
  s->y += 3.0;
  static const double w[] = {130.0, 75.0, 306.0};
  static const char *const head[] = {"Option", "Role", "Reason"};
  table_begin(s, 3, w, head);
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(r, "options"), i, e) {
    const char *cells[] = {str(e, "option"), str(e, "role"), str(e, "reason")};
    row(s, 3, w, cells, 0, (int)(i % 2));
  }
  table_end(s);
  json_array_foreach(json_object_get(r, "notes"), i, e) {
    char note[1024];
    snprintf(note, sizeof note, "Note: %s",
             json_string_value(e) != NULL ? json_string_value(e) : "");
    para(s, 10.0, note, SMALL, 0);
  }
}

static void section_pictures(sheet *s, const picture *pics, int n) {
  heading(s, "Pictures");
  if (n == 0) {
    para(s, 0.0, "No picture attached to this case (carm board picture, or --picture).", BODY, 0);
    return;
  }
  for (int i = 0; i < n; i++) {
    double pw = cairo_image_surface_get_width(pics[i].surface);
    double ph = cairo_image_surface_get_height(pics[i].surface);
    double scale = fmin(CONTENT_W / pw, 280.0 / ph);
    double w = pw * scale;
    double h = ph * scale;
    ensure(s, h + 22.0);
    double x = MARGIN + (CONTENT_W - w) / 2.0;
    cairo_save(s->cr);
    cairo_translate(s->cr, x, s->y);
    cairo_scale(s->cr, scale, scale);
    cairo_set_source_surface(s->cr, pics[i].surface, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(s->cr), CAIRO_FILTER_GOOD);
    cairo_paint(s->cr);
    cairo_restore(s->cr);
    s->y += h + 11.0;
    char cap[300];
    snprintf(cap, sizeof cap, "Figure %d. %s", i + 1, pics[i].caption);
    para(s, 0.0, cap, SMALL, 0);
    s->y += 6.0;
  }
}

static void section_decisions(sheet *s, const json_t *c) {
  heading(s, "Decision of the board");
  const json_t *ds = json_object_get(c, "decisions");
  if (json_array_size(ds) == 0) {
    para(s, 0.0, "No decision recorded.", 11.0, 1);
    para(s, 0.0,
         "Decisions are recorded with carm board decide (or the board page) and are never "
         "changed afterwards: a correction is a new amendment.",
         SMALL, 0);
    return;
  }
  para(s, 0.0,
       "Decisions are append-only: each is printed as recorded, in order; an amendment is a "
       "new record that names the decision it amends.",
       SMALL, 0);
  size_t i;
  json_t *d;
  json_array_foreach(ds, i, d) {
    char t[512];
    json_int_t id = json_integer_value(json_object_get(d, "id"));
    json_int_t amends = json_integer_value(json_object_get(d, "amends"));
    json_int_t by = json_integer_value(json_object_get(d, "amended_by"));
    if (amends != 0) {
      snprintf(t, sizeof t, "Amendment #%lld (amends decision #%lld) - meeting #%lld of %s",
               (long long)id, (long long)amends,
               (long long)json_integer_value(json_object_get(d, "meeting_id")), str(d, "held_on"));
    } else {
      snprintf(t, sizeof t, "Decision #%lld - meeting #%lld of %s", (long long)id,
               (long long)json_integer_value(json_object_get(d, "meeting_id")), str(d, "held_on"));
    }
    ensure(s, 60.0);
    s->y += 4.0;
    para(s, 0.0, t, 10.0, 1);
    if (by != 0) {
      snprintf(t, sizeof t, "Superseded: amended by #%lld (below).", (long long)by);
      para(s, 10.0, t, BODY, 1);
    }
    field(s, "Chosen option", str(d, "chosen_option"));
    field(s, "Guideline option",
          json_is_string(json_object_get(d, "guideline_option")) ? str(d, "guideline_option")
                                                                 : "not given");
    if (json_is_string(json_object_get(d, "deviation"))) {
      field(s, "Deviation (why)", str(d, "deviation"));
    }
    field(s, "Rationale", str(d, "rationale"));
    if (json_is_string(json_object_get(d, "follow_up")) ||
        json_is_string(json_object_get(d, "follow_up_on"))) {
      snprintf(t, sizeof t, "%s%s%s", str(d, "follow_up"),
               json_is_string(json_object_get(d, "follow_up_on")) &&
                       json_is_string(json_object_get(d, "follow_up"))
                   ? " - on "
                   : (json_is_string(json_object_get(d, "follow_up_on")) ? "on " : ""),
               str(d, "follow_up_on"));
      field(s, "Follow-up", t);
    }
    snprintf(t, sizeof t, "%s, %s", str(d, "decided_by"), str(d, "created_at"));
    field(s, "Recorded by", t);
  }
}

static void meeting_block(sheet *s, const json_t *m) {
  char t[256];
  json_int_t n = json_integer_value(json_object_get(m, "specialties"));
  json_int_t need = json_integer_value(json_object_get(m, "quorum_needed"));
  snprintf(t, sizeof t, "Meeting #%lld of %s: %lld specialt%s - %s (at least %lld)",
           (long long)json_integer_value(json_object_get(m, "id")), str(m, "held_on"), (long long)n,
           n == 1 ? "y" : "ies",
           json_is_true(json_object_get(m, "quorum")) ? "quorum met" : "NO QUORUM",
           (long long)need);
  ensure(s, 50.0);
  para(s, 0.0, t, 10.0, 1);
  static const double w[] = {255.5, 255.5};
  static const char *const head[] = {"Attendee", "Specialty"};
  table_begin(s, 2, w, head);
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(m, "attendees"), i, a) {
    const char *cells[] = {str(a, "name"), str(a, "specialty")};
    row(s, 2, w, cells, 0, (int)(i % 2));
  }
  table_end(s);
}

static void section_meetings(sheet *s, const json_t *c, const json_t *extra) {
  heading(s, "Meeting: attendees and quorum");
  const json_t *ms = json_object_get(c, "meetings");
  int shown = 0;
  json_int_t extra_id = extra != NULL ? json_integer_value(json_object_get(extra, "id")) : 0;
  size_t i;
  json_t *m;
  json_array_foreach(ms, i, m) {
    meeting_block(s, m);
    shown++;
    if (json_integer_value(json_object_get(m, "id")) == extra_id) {
      extra = NULL;
    }
  }
  if (extra != NULL) {
    meeting_block(s, extra);
    shown++;
  }
  if (shown == 0) {
    para(s, 0.0, "No meeting recorded for this case yet.", BODY, 0);
  }
}

/* ---- the document -------------------------------------------------------------- */

static cairo_status_t write_file(void *closure, const unsigned char *data, unsigned int length) {
  FILE *f = closure;
  return fwrite(data, 1, length, f) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static cairo_status_t write_nothing(void *closure, const unsigned char *data, unsigned int length) {
  (void)closure;
  (void)data;
  (void)length;
  return CAIRO_STATUS_SUCCESS;
}

/* Render the whole sheet on `surface`; returns the number of pages. */
static int render(cairo_surface_t *surface, const json_t *c, const json_t *extra_meeting,
                  const picture *pics, int n_pics, const char *generated_on, int total_pages) {
  sheet s;
  memset(&s, 0, sizeof s);
  s.cr = cairo_create(surface);
  s.pseudonym = str(c, "pseudonym");
  s.generated_on = generated_on;
  s.total_pages = total_pages;
  new_page(&s);
  section_identity(&s, c);
  section_summary(&s, c);
  section_state(&s, c);
  section_liver(&s, c);
  section_tumours(&s, c);
  section_criteria(&s, c);
  section_bclc(&s, c);
  section_pictures(&s, pics, n_pics);
  section_decisions(&s, c);
  section_meetings(&s, c, extra_meeting);
  footer(&s);
  cairo_show_page(s.cr);
  cairo_destroy(s.cr);
  return s.page;
}

typedef struct png_reader {
  const unsigned char *data;
  size_t size;
  size_t at;
} png_reader;

static cairo_status_t read_png(void *closure, unsigned char *data, unsigned int length) {
  png_reader *r = closure;
  if (r->size - r->at < length) {
    return CAIRO_STATUS_READ_ERROR;
  }
  memcpy(data, r->data + r->at, length);
  r->at += length;
  return CAIRO_STATUS_SUCCESS;
}

/* Load the stored pictures of the case and the extra files. */
static carm_status load_pictures(carm_board *db, const json_t *c, const carm_board_sheet_opts *o,
                                 picture *pics, int *n) {
  *n = 0;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(c, "pictures"), i, e) {
    if (*n >= MAX_PICTURES) {
      break;
    }
    void *data = NULL;
    size_t size = 0;
    carm_status st = carm_board_picture_png(
        db, (int64_t)json_integer_value(json_object_get(e, "id")), &data, &size);
    if (st != CARM_OK) {
      return st;
    }
    png_reader r = {data, size, 0};
    cairo_surface_t *surf = cairo_image_surface_create_from_png_stream(read_png, &r);
    free(data);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
      cairo_surface_destroy(surf);
      return carm_error(CARM_ERR_FORMAT, "board sheet: stored picture %lld is not a readable PNG",
                        (long long)json_integer_value(json_object_get(e, "id")));
    }
    pics[*n].surface = surf;
    snprintf(pics[*n].caption, sizeof pics[*n].caption, "%s%s(%s)", str(e, "caption"),
             str(e, "caption")[0] != '\0' ? " " : "", str(e, "file_name"));
    (*n)++;
  }
  for (int k = 0; o != NULL && k < o->n_pictures; k++) {
    if (*n >= MAX_PICTURES) {
      return carm_error(CARM_ERR_RANGE, "board sheet: more than %d pictures", MAX_PICTURES);
    }
    const char *path = o->picture_paths[k];
    cairo_surface_t *surf = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
      cairo_surface_destroy(surf);
      return carm_error(CARM_ERR_FORMAT, "board sheet: cannot read PNG %s", path);
    }
    pics[*n].surface = surf;
    const char *cap = o->picture_captions != NULL ? o->picture_captions[k] : NULL;
    const char *base = strrchr(path, '/');
    snprintf(pics[*n].caption, sizeof pics[*n].caption, "%s%s(%s)", cap != NULL ? cap : "",
             cap != NULL ? " " : "", base != NULL ? base + 1 : path);
    (*n)++;
  }
  return CARM_OK;
}

carm_status carm_board_sheet(carm_board *db, const char *pseudonym,
                             const carm_board_sheet_opts *opts, const char *path) {
  carm_board_sheet_opts defaults = CARM_BOARD_SHEET_INIT;
  const carm_board_sheet_opts *o = opts != NULL ? opts : &defaults;
  if (db == NULL || path == NULL || path[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "board sheet: missing store or output path");
  }
  if (o->version != 1 || o->n_pictures < 0 || (o->n_pictures > 0 && o->picture_paths == NULL)) {
    return carm_error(CARM_ERR_INVALID, "board sheet: bad options (version 1, picture list)");
  }
  carm_status chk = carm_output_check(path);
  if (chk != CARM_OK) {
    return chk;
  }
  char *text = NULL;
  carm_status st = carm_board_show(db, pseudonym, &text);
  if (st != CARM_OK) {
    return st;
  }
  json_t *c = json_loads(text, 0, NULL);
  free(text);
  if (c == NULL) {
    return carm_error(CARM_ERR_INTERNAL, "board sheet: cannot read the case JSON");
  }
  json_t *extra = NULL;
  if (o->meeting_id != 0) {
    char *mt = NULL;
    st = carm_board_meeting_show(db, o->meeting_id, &mt);
    if (st == CARM_OK) {
      extra = json_loads(mt, 0, NULL);
      free(mt);
    }
  }
  picture pics[MAX_PICTURES];
  int n_pics = 0;
  memset(pics, 0, sizeof pics);
  if (st == CARM_OK) {
    st = load_pictures(db, c, o, pics, &n_pics);
  }
  char today[16];
  if (o->generated_on != NULL) {
    snprintf(today, sizeof today, "%.10s", o->generated_on);
  } else {
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(today, sizeof today, "%Y-%m-%d", &tmv);
  }
  if (st == CARM_OK) {
    /* counting pass: the total for "page N of M" */
    cairo_surface_t *count =
        cairo_pdf_surface_create_for_stream(write_nothing, NULL, PAGE_W, PAGE_H);
    int pages = render(count, c, extra, pics, n_pics, today, 0);
    cairo_surface_destroy(count);
    carm_output *dst = NULL;
    st = carm_output_open(&dst, path);
    if (st == CARM_OK) {
      cairo_surface_t *pdf =
          cairo_pdf_surface_create_for_stream(write_file, carm_output_file(dst), PAGE_W, PAGE_H);
      char title[128];
      char ps[96];
      clean(ps, sizeof ps, str(c, "pseudonym"));
      snprintf(title, sizeof title, "Tumour board sheet, case %s", ps);
      cairo_pdf_surface_set_metadata(pdf, CAIRO_PDF_METADATA_TITLE, title);
      cairo_pdf_surface_set_metadata(pdf, CAIRO_PDF_METADATA_CREATOR, "carm");
      render(pdf, c, extra, pics, n_pics, today, pages);
      cairo_surface_finish(pdf);
      cairo_status_t cs = cairo_surface_status(pdf);
      cairo_surface_destroy(pdf);
      if (cs != CAIRO_STATUS_SUCCESS) {
        carm_output_discard(dst);
        st = carm_error(CARM_ERR_IO, "board sheet: cannot write %s (%s)", path,
                        cairo_status_to_string(cs));
      } else {
        st = carm_output_commit(dst);
      }
    }
  }
  for (int i = 0; i < n_pics; i++) {
    cairo_surface_destroy(pics[i].surface);
  }
  json_decref(extra);
  json_decref(c);
  return st;
}
