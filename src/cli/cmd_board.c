/* carm board: the tumour board. A dispatcher over subcommands:
 *   carm board calc NAME key=value ...   one clinical calculator, one JSON object
 * (the case store's add-patient, labs, state, meeting, decide, show, and the
 * sheet come as further rows of the `subcommands` table). */
#include "cli/board.h"
#include "carm/clinical.h"
#include "cli/cli.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char carm_cmd_board_summary[] = "tumour board: clinical calculators, staging, case store";

const char carm_cmd_board_usage[] =
    "usage: carm board SUBCOMMAND ...\n"
    "\n"
    "subcommands:\n"
    "  calc NAME key=value ...   run one calculator, print one JSON object\n" BOARD_STORE_USAGE "\n"
    "calculators and their keys (values with a unit where one applies):\n"
    "  child-pugh   bilirubin albumin inr ascites=none|mild|moderate\n"
    "               encephalopathy=none|grade1-2|grade3-4\n"
    "               [albumin_table=2.8|3.0] [bilirubin_table=standard|cholestatic]\n"
    "  meld         bilirubin inr creatinine dialysis=yes|no\n"
    "  meld-na      bilirubin inr creatinine sodium dialysis=yes|no\n"
    "  meld3        bilirubin inr creatinine sodium albumin sex=female|male dialysis=yes|no\n"
    "               [age=adult|12-17]\n"
    "  albi         bilirubin albumin\n"
    "  milan, ucsf, up-to-seven\n"
    "               sizes=CM,CM,... vascular_invasion=yes|no extrahepatic=yes|no\n"
    "  ttv-afp      sizes=CM,... [volumes=CM3,...] afp=NG/ML vascular_invasion extrahepatic\n"
    "  bclc         sizes ecog=0-4 vascular_invasion extrahepatic\n"
    "               child_pugh=A|B|C or (bilirubin albumin inr ascites encephalopathy)\n"
    "               portal_hypertension=yes|no transplant_candidate=yes|no (when needed)\n"
    "               [bilirubin] [ps_cancer_related=yes|no] [pattern=well-defined|infiltrative]\n"
    "               [child_pugh_b=preserved|end-stage] [extended_criteria=up-to-seven|ucsf|\n"
    "               milan|ttv-afp] [afp] [bilirubin_uln=1.2mg/dL]\n"
    "  recist       baseline=MM nadir=MM current=MM new_lesion=yes|no (sums of diameters)\n"
    "               [all_targets_gone=yes|no: lesions gone, nodes < 10 mm; else sum 0 = CR]\n"
    "  mrecist      baseline=MM nadir=MM current=MM new_lesion=yes|no enhancing=yes|no\n"
    "\n"
    "units: bilirubin mg/dL or umol/L, albumin g/dL or g/L, creatinine mg/dL or umol/L,\n"
    "sodium mmol/L (or mEq/L), afp ng/mL; INR has none; sizes in cm (suffix mm allowed),\n"
    "RECIST sums in mm (suffix cm allowed). Every input must be given: the only\n"
    "defaults are named options (in brackets), reported in the output's notes and rule.\n"
    "Bad or missing keys exit with status 2.\n"
    "\n"
    "examples:\n"
    "  carm board calc child-pugh bilirubin=43umol/L albumin=30g/L inr=1.5 ascites=mild \\\n"
    "      encephalopathy=none\n"
    "  carm board calc meld-na bilirubin=2.5mg/dL inr=1.6 creatinine=1.2mg/dL \\\n"
    "      sodium=130mmol/L dialysis=no\n"
    "  carm board calc bclc sizes=2.5,1.8 ecog=0 child_pugh=A vascular_invasion=no \\\n"
    "      extrahepatic=no transplant_candidate=no\n"
    "  carm board sheet --db case.db HCC-0001 -o sheet.pdf --picture mip.png:\"vessel MIP\"\n";

/* ---- key=value arguments -------------------------------------------------- */

#define MAX_KV 48

typedef struct kv_args {
  int n;
  const char *key[MAX_KV];
  size_t key_len[MAX_KV];
  const char *val[MAX_KV];
} kv_args;

typedef struct calc_spec calc_spec;
typedef int (*calc_fn)(const calc_spec *spec, const kv_args *a, json_t *out);

struct calc_spec {
  const char *name;
  const char *keys; /* space-separated accepted keys */
  calc_fn run;
};

static const char *g_calc = "board calc";
static int g_quiet = 0;

void board_calc_quiet(int quiet) { g_quiet = quiet; }

/* A usage error with the calculator's expected keys; returns CLI_USAGE.
 * The message is also left in carm_last_error() for callers that run quiet. */
static int usage_err(const calc_spec *spec, const char *msg) {
  if (msg != carm_last_error()) {
    carm_error(CARM_ERR_INVALID, "%s", msg);
  }
  if (g_quiet) {
    return CLI_USAGE;
  }
  fprintf(stderr, "carm board calc %s: %s\n", spec->name, msg);
  fprintf(stderr, "  expected keys: %s\n", spec->keys);
  fprintf(stderr, "  (see `carm board --help`)\n");
  return CLI_USAGE;
}

static int lib_err(const calc_spec *spec, carm_status st) {
  if (st == CARM_ERR_INVALID || st == CARM_ERR_RANGE) {
    return usage_err(spec, carm_last_error());
  }
  return cli_status(g_calc, spec->name, st);
}

static const char *get(const kv_args *a, const char *key) {
  for (int i = 0; i < a->n; i++) {
    if (strlen(key) == a->key_len[i] && strncmp(a->key[i], key, a->key_len[i]) == 0) {
      return a->val[i];
    }
  }
  return NULL;
}

static int key_allowed(const char *keys, const char *key, size_t len) {
  const char *p = keys;
  while (*p != '\0') {
    while (*p == ' ') {
      p++;
    }
    const char *e = p;
    while (*e != '\0' && *e != ' ') {
      e++;
    }
    if ((size_t)(e - p) == len && strncmp(p, key, len) == 0) {
      return 1;
    }
    p = e;
  }
  return 0;
}

/* Parse KEY=VALUE arguments, rejecting malformed, unknown and repeated keys. */
static int parse_kv(const calc_spec *spec, int argc, char **argv, kv_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < argc; i++) {
    const char *eq = strchr(argv[i], '=');
    char msg[256];
    if (eq == NULL || eq == argv[i] || eq[1] == '\0') {
      snprintf(msg, sizeof msg, "'%s' is not key=value", argv[i]);
      return usage_err(spec, msg);
    }
    size_t len = (size_t)(eq - argv[i]);
    if (!key_allowed(spec->keys, argv[i], len)) {
      snprintf(msg, sizeof msg, "unknown key '%.*s'", (int)len, argv[i]);
      return usage_err(spec, msg);
    }
    for (int j = 0; j < a->n; j++) {
      if (a->key_len[j] == len && strncmp(a->key[j], argv[i], len) == 0) {
        snprintf(msg, sizeof msg, "key '%.*s' given twice", (int)len, argv[i]);
        return usage_err(spec, msg);
      }
    }
    if (a->n >= MAX_KV) {
      return usage_err(spec, "too many arguments");
    }
    a->key[a->n] = argv[i];
    a->key_len[a->n] = len;
    a->val[a->n] = eq + 1;
    a->n++;
  }
  return CLI_OK;
}

/* Each value parser: absent key → leaves *out untouched and returns OK (the
 * library then reports what is missing); bad value → usage error. */
static int opt_lab(const calc_spec *spec, const kv_args *a, const char *key,
                   carm_clinical_analyte an, carm_clinical_lab *out) {
  const char *v = get(a, key);
  if (v == NULL) {
    return CLI_OK;
  }
  carm_status st = carm_clinical_lab_parse(out, an, v);
  return st == CARM_OK ? CLI_OK : lib_err(spec, st);
}

static int opt_flag(const calc_spec *spec, const kv_args *a, const char *key,
                    carm_clinical_flag *out) {
  const char *v = get(a, key);
  if (v == NULL) {
    return CLI_OK;
  }
  if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0) {
    *out = CARM_FLAG_YES;
    return CLI_OK;
  }
  if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0) {
    *out = CARM_FLAG_NO;
    return CLI_OK;
  }
  char msg[160];
  snprintf(msg, sizeof msg, "%s '%s': expected yes or no", key, v);
  return usage_err(spec, msg);
}

/* One of `words` (|-separated); *out = index + 1. */
static int opt_word(const calc_spec *spec, const kv_args *a, const char *key, const char *words,
                    int *out) {
  const char *v = get(a, key);
  if (v == NULL) {
    return CLI_OK;
  }
  const char *p = words;
  int idx = 0;
  while (*p != '\0') {
    const char *e = strchr(p, '|');
    size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
    idx++;
    if (strlen(v) == len && strncasecmp(v, p, len) == 0) {
      *out = idx;
      return CLI_OK;
    }
    if (e == NULL) {
      break;
    }
    p = e + 1;
  }
  char msg[256];
  snprintf(msg, sizeof msg, "%s '%s': expected %s", key, v, words);
  return usage_err(spec, msg);
}

/* A list of positive numbers with an optional unit suffix on the whole
 * list: `units` maps suffix → factor (e.g. "cm" 1, "mm" 0.1). */
typedef struct suffix {
  const char *text;
  double factor;
} suffix;

static int opt_list(const calc_spec *spec, const kv_args *a, const char *key,
                    const suffix *suffixes, int n_suffixes, double *out, int max, int *n) {
  const char *v = get(a, key);
  if (v == NULL) {
    return CLI_OK;
  }
  char buf[1024];
  char msg[300];
  if (strlen(v) >= sizeof buf) {
    return usage_err(spec, "list too long");
  }
  memcpy(buf, v, strlen(v) + 1);
  double f = 1.0;
  size_t len = strlen(buf);
  for (int s = 0; s < n_suffixes; s++) {
    size_t sl = strlen(suffixes[s].text);
    if (len > sl && strcasecmp(buf + len - sl, suffixes[s].text) == 0) {
      f = suffixes[s].factor;
      buf[len - sl] = '\0';
      break;
    }
  }
  int count = 0;
  char *p = buf;
  while (1) {
    char *comma = strchr(p, ',');
    if (comma != NULL) {
      *comma = '\0';
    }
    double x = 0.0;
    if (cli_parse_double(p, &x) != 0) {
      snprintf(msg, sizeof msg, "%s '%.100s': '%.60s' is not a number", key, v, p);
      return usage_err(spec, msg);
    }
    if (count >= max) {
      snprintf(msg, sizeof msg, "%s: more than %d values", key, max);
      return usage_err(spec, msg);
    }
    out[count++] = x * f;
    if (comma == NULL) {
      break;
    }
    p = comma + 1;
  }
  *n = count;
  return CLI_OK;
}

static int opt_number(const calc_spec *spec, const kv_args *a, const char *key,
                      const suffix *suffixes, int n_suffixes, double *out) {
  int n = 0;
  double v = 0.0;
  const char *s = get(a, key);
  if (s != NULL && strchr(s, ',') != NULL) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s '%s': one number expected", key, s);
    return usage_err(spec, msg);
  }
  int rc = opt_list(spec, a, key, suffixes, n_suffixes, &v, 1, &n);
  if (rc == CLI_OK && n == 1) {
    *out = v;
  }
  return rc;
}

/* ---- JSON helpers --------------------------------------------------------- */

/* A number: integer when it is one (counts, points), null when not finite. */
static json_t *num(double x) {
  if (!isfinite(x)) {
    return json_null();
  }
  if (x == floor(x) && fabs(x) < 1e15) {
    return json_integer((json_int_t)x);
  }
  return json_real(x);
}

static void put_report(json_t *o, const carm_clinical_report *rep) {
  json_object_set_new(o, "rule", json_string(rep->rule));
  json_object_set_new(o, "source", json_string(rep->source));
  json_t *inputs = json_object();
  for (int i = 0; i < rep->n_terms; i++) {
    const carm_clinical_term *t = &rep->terms[i];
    json_t *ti = json_object();
    if (t->text[0] != '\0') {
      json_object_set_new(ti, "value", json_string(t->text));
    } else {
      json_object_set_new(ti, "value", num(t->value));
    }
    if (t->unit[0] != '\0') {
      json_object_set_new(ti, "unit", json_string(t->unit));
    }
    if (isfinite(t->used)) {
      json_object_set_new(ti, "used", num(t->used));
      if (t->used_unit[0] != '\0') {
        json_object_set_new(ti, "used_unit", json_string(t->used_unit));
      }
    }
    if (isfinite(t->points)) {
      json_object_set_new(ti, "points", num(t->points));
    }
    json_object_set_new(inputs, t->name, ti);
  }
  json_object_set_new(o, "inputs", inputs);
  json_object_set_new(o, "driver", json_string(rep->driver));
  json_t *notes = json_array();
  const char *p = rep->notes;
  while (*p != '\0') {
    const char *e = strstr(p, "; ");
    size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
    json_array_append_new(notes, json_stringn(p, len));
    if (e == NULL) {
      break;
    }
    p = e + 2;
  }
  json_object_set_new(o, "notes", notes);
}

/* ---- calculators ---------------------------------------------------------- */

static const suffix cm_suffixes[] = {{"cm", 1.0}, {"mm", 0.1}};
static const suffix mm_suffixes[] = {{"mm", 1.0}, {"cm", 10.0}};
static const suffix cm3_suffixes[] = {{"cm3", 1.0}, {"mL", 1.0}};

static int read_child_pugh(const calc_spec *s, const kv_args *a, carm_child_pugh_input *in) {
  int asc = 0;
  int he = 0;
  int rc = opt_lab(s, a, "bilirubin", CARM_LAB_BILIRUBIN, &in->bilirubin);
  if (rc == CLI_OK) {
    rc = opt_lab(s, a, "albumin", CARM_LAB_ALBUMIN, &in->albumin);
  }
  if (rc == CLI_OK) {
    rc = opt_lab(s, a, "inr", CARM_LAB_INR, &in->inr);
  }
  if (rc == CLI_OK) {
    rc = opt_word(s, a, "ascites", "none|mild|moderate|severe", &asc);
  }
  if (rc == CLI_OK) {
    rc = opt_word(s, a, "encephalopathy", "none|grade1-2|grade3-4", &he);
  }
  in->ascites = asc == 0   ? CARM_ASCITES_UNSET
                : asc >= 3 ? CARM_ASCITES_MODERATE
                           : (carm_ascites)asc;
  in->encephalopathy = (carm_encephalopathy)he;
  return rc;
}

static int run_child_pugh(const calc_spec *s, const kv_args *a, json_t *o) {
  carm_child_pugh_input in;
  memset(&in, 0, sizeof in);
  carm_child_pugh_options opt = CARM_CHILD_PUGH_OPTIONS_INIT;
  int at = 0;
  int bt = 0;
  int rc = read_child_pugh(s, a, &in);
  if (rc == CLI_OK) {
    rc = opt_word(s, a, "albumin_table", "2.8|3.0", &at);
  }
  if (rc == CLI_OK) {
    rc = opt_word(s, a, "bilirubin_table", "standard|cholestatic", &bt);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  opt.albumin_table = at == 2 ? CARM_CP_ALBUMIN_30_35 : CARM_CP_ALBUMIN_28_35;
  opt.bilirubin_table = bt == 2 ? CARM_CP_BILIRUBIN_CHOLESTATIC : CARM_CP_BILIRUBIN_STANDARD;
  carm_child_pugh_result r;
  carm_status st = carm_clinical_child_pugh(&r, &in, &opt);
  if (st != CARM_OK) {
    return lib_err(s, st);
  }
  char cls[2] = {r.cls, '\0'};
  json_object_set_new(o, "score", json_integer(r.score));
  json_object_set_new(o, "class", json_string(cls));
  put_report(o, &r.report);
  return CLI_OK;
}

static int run_meld(const calc_spec *s, const kv_args *a, json_t *o) {
  carm_meld_input in;
  memset(&in, 0, sizeof in);
  int sex = 0;
  int age = 0;
  int rc = opt_lab(s, a, "bilirubin", CARM_LAB_BILIRUBIN, &in.bilirubin);
  if (rc == CLI_OK) {
    rc = opt_lab(s, a, "inr", CARM_LAB_INR, &in.inr);
  }
  if (rc == CLI_OK) {
    rc = opt_lab(s, a, "creatinine", CARM_LAB_CREATININE, &in.creatinine);
  }
  if (rc == CLI_OK) {
    rc = opt_lab(s, a, "sodium", CARM_LAB_SODIUM, &in.sodium);
  }
  if (rc == CLI_OK) {
    rc = opt_lab(s, a, "albumin", CARM_LAB_ALBUMIN, &in.albumin);
  }
  if (rc == CLI_OK) {
    rc = opt_word(s, a, "sex", "female|male", &sex);
  }
  if (rc == CLI_OK) {
    rc = opt_flag(s, a, "dialysis", &in.dialysis);
  }
  if (rc == CLI_OK) {
    rc = opt_word(s, a, "age", "adult|12-17", &age);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  in.sex = (carm_sex)sex;
  carm_meld_result r;
  carm_status st;
  json_t *ignored = json_array();
  if (strcmp(s->name, "meld") == 0) {
    st = carm_clinical_meld(&r, &in);
    const char *unused[] = {"sodium", "albumin", "sex", "age"};
    for (size_t i = 0; i < 4; i++) {
      if (get(a, unused[i]) != NULL) {
        json_array_append_new(ignored, json_string(unused[i]));
      }
    }
  } else if (strcmp(s->name, "meld-na") == 0) {
    st = carm_clinical_meld_na(&r, &in);
    const char *unused[] = {"albumin", "sex", "age"};
    for (size_t i = 0; i < 3; i++) {
      if (get(a, unused[i]) != NULL) {
        json_array_append_new(ignored, json_string(unused[i]));
      }
    }
  } else {
    st = carm_clinical_meld3(&r, &in, age == 2);
  }
  if (st != CARM_OK) {
    json_decref(ignored);
    return lib_err(s, st);
  }
  json_object_set_new(o, "score", json_integer(r.score));
  json_object_set_new(o, strcmp(s->name, "meld3") == 0 ? "unrounded" : "meld_i", num(r.meld_i));
  put_report(o, &r.report);
  if (json_array_size(ignored) > 0) {
    json_object_set_new(o, "ignored", ignored);
  } else {
    json_decref(ignored);
  }
  return CLI_OK;
}

static int run_albi(const calc_spec *s, const kv_args *a, json_t *o) {
  carm_clinical_lab b = {0.0, CARM_UNIT_NONE};
  carm_clinical_lab al = {0.0, CARM_UNIT_NONE};
  int rc = opt_lab(s, a, "bilirubin", CARM_LAB_BILIRUBIN, &b);
  if (rc == CLI_OK) {
    rc = opt_lab(s, a, "albumin", CARM_LAB_ALBUMIN, &al);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  carm_albi_result r;
  carm_status st = carm_clinical_albi(&r, &b, &al);
  if (st != CARM_OK) {
    return lib_err(s, st);
  }
  json_object_set_new(o, "score", json_real(r.score));
  json_object_set_new(o, "grade", json_integer(r.grade));
  put_report(o, &r.report);
  return CLI_OK;
}

typedef struct burden_buf {
  double sizes[CARM_CLINICAL_MAX_NODULES];
  double volumes[CARM_CLINICAL_MAX_NODULES];
  int n_volumes;
} burden_buf;

static int read_burden(const calc_spec *s, const kv_args *a, carm_tumour_burden *b,
                       burden_buf *buf) {
  memset(b, 0, sizeof *b);
  int n = 0;
  int rc = opt_list(s, a, "sizes", cm_suffixes, 2, buf->sizes, CARM_CLINICAL_MAX_NODULES, &n);
  if (rc == CLI_OK) {
    rc = opt_flag(s, a, "vascular_invasion", &b->vascular_invasion);
  }
  if (rc == CLI_OK) {
    rc = opt_flag(s, a, "extrahepatic", &b->extrahepatic);
  }
  if (rc == CLI_OK) {
    rc = opt_lab(s, a, "afp", CARM_LAB_AFP, &b->afp);
  }
  buf->n_volumes = 0;
  if (rc == CLI_OK && get(a, "volumes") != NULL) {
    rc = opt_list(s, a, "volumes", cm3_suffixes, 2, buf->volumes, CARM_CLINICAL_MAX_NODULES,
                  &buf->n_volumes);
    if (rc == CLI_OK && buf->n_volumes != n) {
      return usage_err(s, "volumes must list one value per nodule in sizes");
    }
    b->volumes_cm3 = buf->volumes;
  }
  if (n > 0) {
    b->sizes_cm = buf->sizes;
    b->n_nodules = n;
  }
  return rc;
}

static int run_criterion(const calc_spec *s, const kv_args *a, json_t *o) {
  carm_tumour_burden b;
  burden_buf buf;
  int rc = read_burden(s, a, &b, &buf);
  if (rc != CLI_OK) {
    return rc;
  }
  carm_criterion c = CARM_CRITERION_MILAN;
  if (strcmp(s->name, "ucsf") == 0) {
    c = CARM_CRITERION_UCSF;
  } else if (strcmp(s->name, "up-to-seven") == 0) {
    c = CARM_CRITERION_UP_TO_SEVEN;
  } else if (strcmp(s->name, "ttv-afp") == 0) {
    c = CARM_CRITERION_TTV_AFP;
  }
  carm_criterion_result r;
  carm_status st = carm_clinical_criterion(&r, c, &b);
  if (st != CARM_OK) {
    return lib_err(s, st);
  }
  json_object_set_new(o, "within", json_boolean(r.within));
  json_object_set_new(o, "nodules", json_integer(r.n_nodules));
  json_object_set_new(o, "largest_cm", num(r.largest_cm));
  json_object_set_new(o, "total_cm", num(r.total_cm));
  if (isfinite(r.value)) {
    json_object_set_new(o, c == CARM_CRITERION_TTV_AFP ? "ttv_cm3" : "largest_plus_count",
                        num(r.value));
  }
  put_report(o, &r.report);
  return CLI_OK;
}

static int run_bclc(const calc_spec *s, const kv_args *a, json_t *o) {
  carm_bclc_input in = CARM_BCLC_INPUT_INIT;
  carm_bclc_options opt = CARM_BCLC_OPTIONS_INIT;
  burden_buf buf;
  int rc = read_burden(s, a, &in.burden, &buf);
  if (rc == CLI_OK) {
    rc = read_child_pugh(s, a, &in.liver);
  }
  int cp = 0;
  int pattern = 0;
  int cpb = 0;
  int ext = 0;
  if (rc == CLI_OK) {
    rc = opt_word(s, a, "child_pugh", "A|B|C", &cp);
  }
  if (rc == CLI_OK) {
    rc = opt_flag(s, a, "portal_hypertension", &in.portal_hypertension);
  }
  if (rc == CLI_OK) {
    rc = opt_flag(s, a, "transplant_candidate", &in.transplant_candidate);
  }
  if (rc == CLI_OK) {
    rc = opt_flag(s, a, "ps_cancer_related", &in.ps_cancer_related);
  }
  if (rc == CLI_OK) {
    rc = opt_word(s, a, "pattern", "well-defined|infiltrative", &pattern);
  }
  if (rc == CLI_OK) {
    rc = opt_word(s, a, "child_pugh_b", "preserved|end-stage", &cpb);
  }
  if (rc == CLI_OK) {
    rc = opt_word(s, a, "extended_criteria", "milan|ucsf|up-to-seven|ttv-afp", &ext);
  }
  if (rc == CLI_OK && get(a, "bilirubin_uln") != NULL) {
    carm_clinical_lab uln;
    carm_status st = carm_clinical_lab_parse(&uln, CARM_LAB_BILIRUBIN, get(a, "bilirubin_uln"));
    if (st == CARM_OK) {
      st = carm_clinical_lab_convert(&opt.bilirubin_uln_mg_dl, CARM_LAB_BILIRUBIN, &uln,
                                     CARM_UNIT_MG_DL);
    }
    if (st != CARM_OK) {
      return lib_err(s, st);
    }
  }
  const char *ecog = get(a, "ecog");
  if (rc == CLI_OK && ecog != NULL) {
    int64_t e = 0;
    if (cli_parse_int64(ecog, &e) != 0 || e < 0 || e > 4) {
      return usage_err(s, "ecog: expected an integer 0-4");
    }
    in.ecog_ps = (int)e;
  }
  if (rc != CLI_OK) {
    return rc;
  }
  in.child_pugh_class = cp == 0 ? 0 : "ABC"[cp - 1];
  in.pattern = (carm_bclc_pattern)pattern;
  opt.child_pugh_b = cpb == 2 ? CARM_BCLC_B_END_STAGE : CARM_BCLC_B_PRESERVED;
  if (ext > 0) {
    opt.extended_criteria = (carm_criterion)(ext - 1);
  }
  carm_bclc_result r;
  carm_status st = carm_clinical_bclc(&r, &in, &opt);
  if (st != CARM_OK) {
    return lib_err(s, st);
  }
  char stage[2] = {r.stage, '\0'};
  char cls[2] = {r.child_pugh_class, '\0'};
  json_object_set_new(o, "stage", json_string(stage));
  json_object_set_new(o, "liver_function", json_string(r.liver_function));
  json_object_set_new(o, "child_pugh_class", json_string(cls));
  json_t *opts = json_array();
  for (int i = 0; i < r.n_options; i++) {
    json_t *x = json_object();
    json_object_set_new(x, "option", json_string(r.options[i].name));
    json_object_set_new(x, "role", json_string(r.options[i].role));
    json_object_set_new(x, "reason", json_string(r.options[i].reason));
    json_array_append_new(opts, x);
  }
  json_object_set_new(o, "options", opts);
  put_report(o, &r.report);
  return CLI_OK;
}

static int run_response(const calc_spec *s, const kv_args *a, json_t *o) {
  carm_response_input in = CARM_RESPONSE_INPUT_INIT;
  int rc = opt_number(s, a, "baseline", mm_suffixes, 2, &in.baseline_mm);
  if (rc == CLI_OK) {
    rc = opt_number(s, a, "nadir", mm_suffixes, 2, &in.nadir_mm);
  }
  if (rc == CLI_OK) {
    rc = opt_number(s, a, "current", mm_suffixes, 2, &in.current_mm);
  }
  if (rc == CLI_OK) {
    rc = opt_flag(s, a, "new_lesion", &in.new_lesion);
  }
  if (rc == CLI_OK) {
    rc = opt_flag(s, a, "enhancing", &in.enhancing);
  }
  if (rc == CLI_OK) {
    rc = opt_flag(s, a, "all_targets_gone", &in.all_targets_gone);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  carm_response_result r;
  carm_status st = strcmp(s->name, "recist") == 0 ? carm_clinical_recist(&r, &in)
                                                  : carm_clinical_mrecist(&r, &in);
  if (st != CARM_OK) {
    return lib_err(s, st);
  }
  json_object_set_new(o, "response", json_string(r.response));
  json_object_set_new(o, "change_from_baseline_pct", num(r.change_baseline_pct));
  json_object_set_new(o, "change_from_nadir_pct", num(r.change_nadir_pct));
  json_object_set_new(o, "change_from_nadir_mm", num(r.change_nadir_mm));
  put_report(o, &r.report);
  return CLI_OK;
}

#define CP_KEYS "bilirubin albumin inr ascites encephalopathy"
#define MELD_KEYS "bilirubin inr creatinine sodium albumin sex dialysis age"
#define BURDEN_KEYS "sizes vascular_invasion extrahepatic"

static const calc_spec calcs[] = {
    {"child-pugh", CP_KEYS " albumin_table bilirubin_table", run_child_pugh},
    {"meld", MELD_KEYS, run_meld},
    {"meld-na", MELD_KEYS, run_meld},
    {"meld3", MELD_KEYS, run_meld},
    {"albi", "bilirubin albumin", run_albi},
    {"milan", BURDEN_KEYS, run_criterion},
    {"ucsf", BURDEN_KEYS, run_criterion},
    {"up-to-seven", BURDEN_KEYS, run_criterion},
    {"ttv-afp", BURDEN_KEYS " volumes afp", run_criterion},
    {"bclc",
     BURDEN_KEYS " ecog child_pugh " CP_KEYS
                 " portal_hypertension transplant_candidate ps_cancer_related pattern"
                 " child_pugh_b extended_criteria bilirubin_uln afp volumes",
     run_bclc},
    {"recist", "baseline nadir current new_lesion all_targets_gone", run_response},
    {"mrecist", "baseline nadir current new_lesion enhancing", run_response},
};

static void list_calcs(FILE *f) {
  fprintf(f, "calculators:");
  for (size_t i = 0; i < sizeof calcs / sizeof calcs[0]; i++) {
    fprintf(f, " %s", calcs[i].name);
  }
  fprintf(f, "\n");
}

int board_calc_json(int argc, char **argv, char **out_text) {
  if (argc < 2) {
    fprintf(stderr, "carm board calc: missing calculator name\n");
    list_calcs(stderr);
    return CLI_USAGE;
  }
  const calc_spec *spec = NULL;
  for (size_t i = 0; i < sizeof calcs / sizeof calcs[0]; i++) {
    if (strcmp(argv[1], calcs[i].name) == 0) {
      spec = &calcs[i];
    }
  }
  if (spec == NULL) {
    fprintf(stderr, "carm board calc: unknown calculator '%s'\n", argv[1]);
    list_calcs(stderr);
    return CLI_USAGE;
  }
  kv_args a;
  int rc = parse_kv(spec, argc - 2, argv + 2, &a);
  if (rc != CLI_OK) {
    return rc;
  }
  json_t *o = json_object();
  json_object_set_new(o, "calculator", json_string(spec->name));
  rc = spec->run(spec, &a, o);
  if (rc == CLI_OK) {
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text == NULL) {
      rc = cli_fail(CLI_FAIL, "board calc", "cannot format JSON");
    } else {
      *out_text = text;
    }
  }
  json_decref(o);
  return rc;
}

/* carm board calc NAME key=value ... */
static int board_calc(int argc, char **argv) {
  char *text = NULL;
  int rc = board_calc_json(argc, argv, &text);
  if (rc == CLI_OK) {
    fputs(text, stdout);
    fputc('\n', stdout);
    free(text);
  }
  return rc;
}

/* ---- dispatcher ----------------------------------------------------------- */

typedef struct board_sub {
  const char *name;
  int (*run)(int argc, char **argv);
} board_sub;

static const board_sub subcommands[] = {{"calc", board_calc} BOARD_STORE_SUBCOMMANDS};

int carm_cmd_board(int argc, char **argv) {
  if (argc < 2) {
    fputs(carm_cmd_board_usage, stderr);
    return CLI_USAGE;
  }
  for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
    if (strcmp(argv[1], subcommands[i].name) == 0) {
      return subcommands[i].run(argc - 1, argv + 1);
    }
  }
  fprintf(stderr, "carm board: unknown subcommand '%s' (see `carm board --help`)\n", argv[1]);
  return CLI_USAGE;
}
