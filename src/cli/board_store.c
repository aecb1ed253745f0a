/* carm board's case-store subcommands: add-patient, labs, state, study,
 * score, meeting, decide, show. Each is a thin wrapper over one
 * carm_board_* call (include/carm/board.h). */
#include "carm/board.h"
#include "carm/render.h"
#include "cli/board.h"
#include "cli/cli.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_ITEMS 64

typedef struct store_args {
  const char *cmd;
  const char *db;
  const char *actor;
  const char *positional[4];
  int n_positional;
  const char *key[MAX_ITEMS];
  const char *val[MAX_ITEMS];
  size_t key_len[MAX_ITEMS];
  int n;
  int rest; /* index in argv of the first argument left for `score` */
} store_args;

/* Parse --db, --actor, positionals and key=value (only keys in `keys`,
 * space separated; `repeat` lists those that may repeat). With
 * stop_after_positionals > 0, stop after that many positionals plus the
 * keys in `keys` (for `score`, whose tail belongs to the calculator). */
static int parse(store_args *a, int argc, char **argv, const char *keys, const char *repeat,
                 int stop_after_positionals) {
  memset(a, 0, sizeof *a);
  a->cmd = argv[0];
  a->db = getenv("CARM_BOARD_DB");
  a->actor = getenv("CARM_ACTOR");
  if (a->actor == NULL || a->actor[0] == '\0') {
    a->actor = getenv("USER");
  }
  int i = 1;
  for (; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "--db") == 0 || strcmp(s, "--actor") == 0) {
      if (i + 1 >= argc) {
        return cli_fail(CLI_USAGE, "board", "%s: %s needs a value", a->cmd, s);
      }
      if (s[2] == 'd') {
        a->db = argv[++i];
      } else {
        a->actor = argv[++i];
      }
      continue;
    }
    const char *eq = strchr(s, '=');
    if (eq == NULL) {
      if (stop_after_positionals > 0 && a->n_positional == stop_after_positionals) {
        break;
      }
      if (a->n_positional >= 4) {
        return cli_fail(CLI_USAGE, "board", "%s: unexpected argument '%s'", a->cmd, s);
      }
      a->positional[a->n_positional++] = s;
      continue;
    }
    size_t len = (size_t)(eq - s);
    int allowed = 0;
    int repeatable = 0;
    for (int pass = 0; pass < 2; pass++) {
      const char *list = pass == 0 ? keys : repeat;
      const char *p = list;
      while (p != NULL && *p != '\0') {
        const char *e = strchr(p, ' ');
        size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
        if (l == len && strncmp(p, s, len) == 0) {
          allowed = 1;
          repeatable |= pass == 1;
        }
        p = e != NULL ? e + 1 : p + l;
      }
    }
    if (!allowed) {
      return cli_fail(CLI_USAGE, "board", "%s: unknown key '%.*s' (expected: %s%s%s)", a->cmd,
                      (int)len, s, keys, repeat != NULL ? " " : "", repeat != NULL ? repeat : "");
    }
    for (int j = 0; j < a->n && !repeatable; j++) {
      if (a->key_len[j] == len && strncmp(a->key[j], s, len) == 0) {
        return cli_fail(CLI_USAGE, "board", "%s: key '%.*s' given twice", a->cmd, (int)len, s);
      }
    }
    if (a->n >= MAX_ITEMS) {
      return cli_fail(CLI_USAGE, "board", "%s: too many arguments", a->cmd);
    }
    a->key[a->n] = s;
    a->key_len[a->n] = len;
    a->val[a->n] = eq + 1;
    a->n++;
  }
  a->rest = i;
  if (a->db == NULL || a->db[0] == '\0') {
    return cli_fail(CLI_USAGE, "board", "%s: missing --db FILE (or $CARM_BOARD_DB)", a->cmd);
  }
  if (a->actor == NULL || a->actor[0] == '\0') {
    return cli_fail(CLI_USAGE, "board", "%s: missing --actor NAME (or $CARM_ACTOR)", a->cmd);
  }
  return CLI_OK;
}

/* parse() for a read-only command when no actor is in the environment. */
static int parse_reader(store_args *a, int argc, char **argv) {
  int has_actor = 0;
  for (int i = 1; i < argc; i++) {
    has_actor |= strcmp(argv[i], "--actor") == 0;
  }
  if (has_actor) {
    return parse(a, argc, argv, "", NULL, 0);
  }
  char *args[16];
  if (argc > 13) {
    return cli_fail(CLI_USAGE, "board", "%s: too many arguments", argv[0]);
  }
  char actor_flag[] = "--actor";
  char actor_name[] = "reader";
  for (int i = 0; i < argc; i++) {
    args[i] = argv[i];
  }
  args[argc] = actor_flag;
  args[argc + 1] = actor_name;
  return parse(a, argc + 2, args, "", NULL, 0);
}

static const char *get(const store_args *a, const char *key) {
  for (int i = 0; i < a->n; i++) {
    if (strlen(key) == a->key_len[i] && strncmp(a->key[i], key, a->key_len[i]) == 0) {
      return a->val[i];
    }
  }
  return NULL;
}

static int need(const store_args *a, const char *key, const char **out) {
  *out = get(a, key);
  if (*out == NULL || (*out)[0] == '\0') {
    return cli_fail(CLI_USAGE, "board", "%s: missing %s=...", a->cmd, key);
  }
  return CLI_OK;
}

static int need_pseudonym(const store_args *a) {
  if (a->n_positional != 1) {
    return cli_fail(CLI_USAGE, "board", "%s: expected one PSEUDONYM", a->cmd);
  }
  return CLI_OK;
}

/* Library status → exit code: bad input 2, otherwise 1. */
static int lib_fail(const store_args *a, carm_status st) {
  fprintf(stderr, "carm board %s: %s (%s)\n", a->cmd, carm_last_error(), carm_strerror(st));
  return st == CARM_ERR_INVALID || st == CARM_ERR_RANGE ? CLI_USAGE : CLI_FAIL;
}

static int open_db(const store_args *a, carm_board **db) {
  carm_status st = carm_board_open(db, a->db, a->actor);
  return st == CARM_OK ? CLI_OK : lib_fail(a, st);
}

static int yes_no(const store_args *a, const char *key, carm_clinical_flag *out) {
  const char *v = get(a, key);
  if (v == NULL) {
    return CLI_OK;
  }
  if (strcasecmp(v, "yes") == 0) {
    *out = CARM_FLAG_YES;
  } else if (strcasecmp(v, "no") == 0) {
    *out = CARM_FLAG_NO;
  } else {
    return cli_fail(CLI_USAGE, "board", "%s: %s '%s': expected yes or no", a->cmd, key, v);
  }
  return CLI_OK;
}

int board_add_patient(int argc, char **argv) {
  store_args a;
  int rc = parse(&a, argc, argv, "", NULL, 0);
  if (rc == CLI_OK) {
    rc = need_pseudonym(&a);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  carm_board *db = NULL;
  rc = open_db(&a, &db);
  if (rc != CLI_OK) {
    return rc;
  }
  int64_t id = 0;
  carm_status st = carm_board_add_patient(db, a.positional[0], &id);
  carm_board_close(db);
  if (st != CARM_OK) {
    return lib_fail(&a, st);
  }
  printf("{\"patient\": %lld, \"pseudonym\": \"%s\"}\n", (long long)id, a.positional[0]);
  return CLI_OK;
}

int board_labs(int argc, char **argv) {
  static const char *const names[] = {"bilirubin", "albumin", "creatinine", "sodium", "inr", "afp"};
  static const carm_clinical_analyte an[] = {CARM_LAB_BILIRUBIN,  CARM_LAB_ALBUMIN,
                                             CARM_LAB_CREATININE, CARM_LAB_SODIUM,
                                             CARM_LAB_INR,        CARM_LAB_AFP};
  store_args a;
  int rc = parse(&a, argc, argv, "date bilirubin albumin creatinine sodium inr afp", NULL, 0);
  const char *date = NULL;
  if (rc == CLI_OK) {
    rc = need_pseudonym(&a);
  }
  if (rc == CLI_OK) {
    rc = need(&a, "date", &date);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  /* Parse every value before writing any. */
  carm_clinical_lab labs[6];
  int given[6] = {0};
  int n_given = 0;
  for (int i = 0; i < 6; i++) {
    const char *v = get(&a, names[i]);
    if (v == NULL) {
      continue;
    }
    carm_status st = carm_clinical_lab_parse(&labs[i], an[i], v);
    if (st != CARM_OK) {
      return lib_fail(&a, st);
    }
    given[i] = 1;
    n_given++;
  }
  if (n_given == 0) {
    return cli_fail(CLI_USAGE, "board",
                    "labs: give at least one of bilirubin albumin creatinine sodium inr afp");
  }
  carm_board *db = NULL;
  rc = open_db(&a, &db);
  if (rc != CLI_OK) {
    return rc;
  }
  carm_clinical_analyte which[6];
  carm_clinical_lab values[6];
  int n = 0;
  for (int i = 0; i < 6; i++) {
    if (given[i]) {
      which[n] = an[i];
      values[n] = labs[i];
      n++;
    }
  }
  int64_t ids[6];
  carm_status st = carm_board_add_labs(db, a.positional[0], date, n, which, values, ids);
  carm_board_close(db);
  if (st != CARM_OK) {
    return lib_fail(&a, st);
  }
  printf("{\"pseudonym\": \"%s\", \"labs\": [", a.positional[0]);
  for (int i = 0; i < n; i++) {
    printf("%s{\"id\": %lld, \"analyte\": \"%s\", \"value\": %.10g, \"unit\": \"%s\"}",
           i > 0 ? ", " : "", (long long)ids[i], carm_clinical_analyte_name(which[i]),
           values[i].value, carm_clinical_unit_name(values[i].unit));
  }
  printf("]}\n");
  return CLI_OK;
}

int board_state(int argc, char **argv) {
  store_args a;
  int rc = parse(&a, argc, argv,
                 "date ecog ascites encephalopathy portal_hypertension vascular_invasion "
                 "extrahepatic",
                 NULL, 0);
  const char *date = NULL;
  if (rc == CLI_OK) {
    rc = need_pseudonym(&a);
  }
  if (rc == CLI_OK) {
    rc = need(&a, "date", &date);
  }
  carm_board_state s = CARM_BOARD_STATE_INIT;
  if (rc == CLI_OK) {
    rc = yes_no(&a, "portal_hypertension", &s.portal_hypertension);
  }
  if (rc == CLI_OK) {
    rc = yes_no(&a, "vascular_invasion", &s.vascular_invasion);
  }
  if (rc == CLI_OK) {
    rc = yes_no(&a, "extrahepatic", &s.extrahepatic);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  const char *v = get(&a, "ecog");
  if (v != NULL) {
    int64_t e = 0;
    if (cli_parse_int64(v, &e) != 0 || e < 0 || e > 4) {
      return cli_fail(CLI_USAGE, "board", "state: ecog '%s': expected 0-4", v);
    }
    s.ecog_ps = (int)e;
  }
  v = get(&a, "ascites");
  if (v != NULL) {
    s.ascites = strcasecmp(v, "none") == 0       ? CARM_ASCITES_NONE
                : strcasecmp(v, "mild") == 0     ? CARM_ASCITES_MILD
                : strcasecmp(v, "moderate") == 0 ? CARM_ASCITES_MODERATE
                                                 : CARM_ASCITES_UNSET;
    if (s.ascites == CARM_ASCITES_UNSET) {
      return cli_fail(CLI_USAGE, "board", "state: ascites '%s': expected none|mild|moderate", v);
    }
  }
  v = get(&a, "encephalopathy");
  if (v != NULL) {
    s.encephalopathy = strcasecmp(v, "none") == 0       ? CARM_HE_NONE
                       : strcasecmp(v, "grade1-2") == 0 ? CARM_HE_GRADE_1_2
                       : strcasecmp(v, "grade3-4") == 0 ? CARM_HE_GRADE_3_4
                                                        : CARM_HE_UNSET;
    if (s.encephalopathy == CARM_HE_UNSET) {
      return cli_fail(CLI_USAGE, "board",
                      "state: encephalopathy '%s': expected none|grade1-2|grade3-4", v);
    }
  }
  carm_board *db = NULL;
  rc = open_db(&a, &db);
  if (rc != CLI_OK) {
    return rc;
  }
  int64_t id = 0;
  carm_status st = carm_board_set_state(db, a.positional[0], date, &s, &id);
  carm_board_close(db);
  if (st != CARM_OK) {
    return lib_fail(&a, st);
  }
  printf("{\"state\": %lld}\n", (long long)id);
  return CLI_OK;
}

static void split_picture(const char *arg, char *path, size_t path_size, const char **caption);

int board_study(int argc, char **argv) {
  store_args a;
  int rc = parse(&a, argc, argv, "date modality", "tumour picture", 0);
  const char *date = NULL;
  const char *modality = NULL;
  if (rc == CLI_OK) {
    rc = need_pseudonym(&a);
  }
  if (rc == CLI_OK) {
    rc = need(&a, "date", &date);
  }
  if (rc == CLI_OK) {
    rc = need(&a, "modality", &modality);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  for (int i = 0; i < a.n; i++) {
    if (a.key_len[i] == 7 && strncmp(a.key[i], "picture", 7) == 0) {
      char path[4096];
      const char *caption = NULL;
      split_picture(a.val[i], path, sizeof path, &caption);
      carm_picture *pic = NULL;
      if (carm_picture_read_png(&pic, path) != CARM_OK) {
        return cli_fail(CLI_USAGE, "board", "study: picture '%s' is not a readable PNG", path);
      }
      carm_picture_destroy(pic);
    }
  }
  carm_board_tumour t[MAX_ITEMS];
  char buf[MAX_ITEMS][128];
  int n = 0;
  for (int i = 0; i < a.n; i++) {
    if (a.key_len[i] != 6 || strncmp(a.key[i], "tumour", 6) != 0) {
      continue;
    }
    snprintf(buf[n], sizeof buf[n], "%s", a.val[i]);
    char *parts[4] = {NULL, NULL, NULL, NULL};
    int np = 0;
    char *p = buf[n];
    while (p != NULL && np < 4) {
      parts[np++] = p;
      p = strchr(p, ':');
      if (p != NULL) {
        *p++ = '\0';
      }
    }
    double d = 0.0;
    double vol = NAN;
    if (np < 2 || parts[0][0] == '\0' || cli_parse_double(parts[1], &d) != 0 ||
        (np >= 4 && cli_parse_double(parts[3], &vol) != 0)) {
      return cli_fail(CLI_USAGE, "board",
                      "study: tumour '%s': expected LABEL:DIAMETER_MM[:SEGMENT[:VOLUME_ML]]",
                      a.val[i]);
    }
    carm_board_tumour x = {
        parts[0], d, NAN, vol, np >= 3 && parts[2][0] != '\0' ? parts[2] : NULL, CARM_FLAG_UNSET};
    t[n++] = x;
  }
  carm_board *db = NULL;
  rc = open_db(&a, &db);
  if (rc != CLI_OK) {
    return rc;
  }
  int64_t id = 0;
  carm_status st = carm_board_add_study(db, a.positional[0], date, modality, t, n, &id);
  carm_board_close(db);
  if (st != CARM_OK) {
    return lib_fail(&a, st);
  }
  const char *pics[MAX_ITEMS];
  int n_pics = 0;
  for (int i = 0; i < a.n; i++) {
    if (a.key_len[i] == 7 && strncmp(a.key[i], "picture", 7) == 0) {
      pics[n_pics++] = a.val[i];
    }
  }
  rc = board_study_pictures(a.db, a.actor, a.positional[0], id, n_pics, pics);
  if (rc != CLI_OK) {
    return rc;
  }
  printf("{\"study\": %lld, \"tumours\": %d, \"pictures\": %d}\n", (long long)id, n, n_pics);
  return CLI_OK;
}

int board_score(int argc, char **argv) {
  store_args a;
  /* score --db F PSEUDONYM date=D NAME key=value...: stop at NAME. */
  int rc = parse(&a, argc, argv, "date", NULL, 1);
  const char *date = NULL;
  if (rc == CLI_OK) {
    rc = need_pseudonym(&a);
  }
  if (rc == CLI_OK) {
    rc = need(&a, "date", &date);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  if (a.rest >= argc) {
    return cli_fail(CLI_USAGE, "board", "score: missing calculator NAME key=value ...");
  }
  /* board_calc_json wants argv[0] = "calc", argv[1] = NAME. */
  char **cargv = &argv[a.rest - 1];
  char *saved = cargv[0];
  char calc_word[] = "calc";
  cargv[0] = calc_word;
  char *text = NULL;
  rc = board_calc_json(argc - a.rest + 1, cargv, &text);
  cargv[0] = saved;
  if (rc != CLI_OK) {
    return rc;
  }
  carm_board *db = NULL;
  rc = open_db(&a, &db);
  if (rc != CLI_OK) {
    free(text);
    return rc;
  }
  int64_t id = 0;
  carm_status st = carm_board_add_score(db, a.positional[0], date, argv[a.rest], text, &id);
  carm_board_close(db);
  if (st != CARM_OK) {
    free(text);
    return lib_fail(&a, st);
  }
  fputs(text, stdout);
  fputc('\n', stdout);
  free(text);
  return CLI_OK;
}

int board_meeting(int argc, char **argv) {
  store_args a;
  int rc = parse(&a, argc, argv, "date", "attendee", 0);
  const char *date = NULL;
  if (rc == CLI_OK) {
    rc = need(&a, "date", &date);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  if (a.n_positional != 0) {
    return cli_fail(CLI_USAGE, "board", "meeting: unexpected argument '%s'", a.positional[0]);
  }
  const char *names[MAX_ITEMS];
  const char *specs[MAX_ITEMS];
  char buf[MAX_ITEMS][160];
  int n = 0;
  for (int i = 0; i < a.n; i++) {
    if (a.key_len[i] != 8 || strncmp(a.key[i], "attendee", 8) != 0) {
      continue;
    }
    snprintf(buf[n], sizeof buf[n], "%s", a.val[i]);
    char *colon = strrchr(buf[n], ':');
    if (colon == NULL || colon == buf[n] || colon[1] == '\0') {
      return cli_fail(CLI_USAGE, "board", "meeting: attendee '%s': expected NAME:SPECIALTY",
                      a.val[i]);
    }
    *colon = '\0';
    names[n] = buf[n];
    specs[n] = colon + 1;
    n++;
  }
  if (n == 0) {
    return cli_fail(CLI_USAGE, "board",
                    "meeting: give attendee=NAME:SPECIALTY (at least %d "
                    "specialties for a quorum)",
                    CARM_BOARD_QUORUM);
  }
  carm_board *db = NULL;
  rc = open_db(&a, &db);
  if (rc != CLI_OK) {
    return rc;
  }
  int64_t id = 0;
  int nspec = 0;
  carm_status st = carm_board_add_meeting(db, date, names, specs, n, &id);
  if (st == CARM_OK) {
    st = carm_board_meeting_specialties(db, id, &nspec);
  }
  carm_board_close(db);
  if (st != CARM_OK) {
    return lib_fail(&a, st);
  }
  printf("{\"meeting\": %lld, \"attendees\": %d, \"specialties\": %d, \"quorum\": %s}\n",
         (long long)id, n, nspec, nspec >= CARM_BOARD_QUORUM ? "true" : "false");
  return CLI_OK;
}

int board_decide(int argc, char **argv) {
  store_args a;
  int rc =
      parse(&a, argc, argv,
            "meeting option rationale guideline deviation follow_up follow_up_on amends", NULL, 0);
  const char *meeting = NULL;
  carm_board_decision d;
  memset(&d, 0, sizeof d);
  if (rc == CLI_OK) {
    rc = need_pseudonym(&a);
  }
  if (rc == CLI_OK) {
    rc = need(&a, "meeting", &meeting);
  }
  if (rc == CLI_OK) {
    rc = need(&a, "option", &d.chosen_option);
  }
  if (rc == CLI_OK) {
    rc = need(&a, "rationale", &d.rationale);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  if (cli_parse_int64(meeting, &d.meeting_id) != 0 || d.meeting_id < 1) {
    return cli_fail(CLI_USAGE, "board", "decide: meeting '%s': expected a meeting id", meeting);
  }
  const char *amends = get(&a, "amends");
  if (amends != NULL && (cli_parse_int64(amends, &d.amends) != 0 || d.amends < 1)) {
    return cli_fail(CLI_USAGE, "board", "decide: amends '%s': expected a decision id", amends);
  }
  d.pseudonym = a.positional[0];
  d.guideline_option = get(&a, "guideline");
  d.deviation = get(&a, "deviation");
  d.follow_up = get(&a, "follow_up");
  d.follow_up_on = get(&a, "follow_up_on");
  carm_board *db = NULL;
  rc = open_db(&a, &db);
  if (rc != CLI_OK) {
    return rc;
  }
  int64_t id = 0;
  carm_status st = carm_board_decide(db, &d, &id);
  carm_board_close(db);
  if (st != CARM_OK) {
    return lib_fail(&a, st);
  }
  printf("{\"decision\": %lld, \"amends\": %lld}\n", (long long)id, (long long)d.amends);
  return CLI_OK;
}

int board_show(int argc, char **argv) {
  store_args a;
  /* Reading changes nothing, so no actor is needed. */
  char *actor = getenv("CARM_ACTOR");
  char *user = getenv("USER");
  int rc = (actor == NULL || actor[0] == '\0') && (user == NULL || user[0] == '\0')
               ? parse_reader(&a, argc, argv)
               : parse(&a, argc, argv, "", NULL, 0);
  if (rc == CLI_OK) {
    rc = need_pseudonym(&a);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  carm_board *db = NULL;
  rc = open_db(&a, &db);
  if (rc != CLI_OK) {
    return rc;
  }
  char *json = NULL;
  carm_status st = carm_board_show(db, a.positional[0], &json);
  carm_board_close(db);
  if (st != CARM_OK) {
    return lib_fail(&a, st);
  }
  fputs(json, stdout);
  fputc('\n', stdout);
  free(json);
  return CLI_OK;
}

/* ---- stage: every calculator on the stored case ---------------------------- */

#define N_KEYS 20

typedef struct stage_keys {
  const char *name[N_KEYS];
  char text[N_KEYS][600];
  int n;
} stage_keys;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
key_set(stage_keys *k, const char *name, const char *fmt, ...) {
  if (k->n >= N_KEYS) {
    return;
  }
  int len = snprintf(k->text[k->n], sizeof k->text[k->n], "%s=", name);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(k->text[k->n] + len, sizeof k->text[k->n] - (size_t)len, fmt, ap);
  va_end(ap);
  k->name[k->n] = name;
  k->n++;
}

static char *key_get(stage_keys *k, const char *name) {
  for (int i = 0; i < k->n; i++) {
    if (strcmp(k->name[i], name) == 0) {
      return k->text[i];
    }
  }
  return NULL;
}

static const char *flag_word(carm_clinical_flag f) { return f == CARM_FLAG_YES ? "yes" : "no"; }

int board_stage(int argc, char **argv) {
  store_args a;
  int rc = parse(&a, argc, argv, "date sex dialysis transplant_candidate pattern ps_cancer_related",
                 NULL, 0);
  const char *date = NULL;
  if (rc == CLI_OK) {
    rc = need_pseudonym(&a);
  }
  if (rc == CLI_OK) {
    rc = need(&a, "date", &date);
  }
  if (rc != CLI_OK) {
    return rc;
  }
  carm_board *db = NULL;
  rc = open_db(&a, &db);
  if (rc != CLI_OK) {
    return rc;
  }
  carm_board_case c;
  carm_status st = carm_board_case_get(db, a.positional[0], date, &c);
  if (st != CARM_OK) {
    carm_board_close(db);
    return lib_fail(&a, st);
  }

  /* The stored facts as calculator keys (values with their units). */
  stage_keys k;
  memset(&k, 0, sizeof k);
  static const char *const lab_keys[] = {"bilirubin", "albumin", "creatinine",
                                         "sodium",    "inr",     "afp"};
  for (int i = 0; i < 6; i++) {
    if (c.labs[i].unit == CARM_UNIT_NONE) {
      continue;
    }
    key_set(&k, lab_keys[i], "%.10g%s", c.labs[i].value,
            c.labs[i].unit == CARM_UNIT_RATIO ? "" : carm_clinical_unit_name(c.labs[i].unit));
  }
  if (c.has_state) {
    if (c.state.ecog_ps >= 0) {
      key_set(&k, "ecog", "%d", c.state.ecog_ps);
    }
    if (c.state.ascites != CARM_ASCITES_UNSET) {
      key_set(&k, "ascites", "%s",
              c.state.ascites == CARM_ASCITES_NONE   ? "none"
              : c.state.ascites == CARM_ASCITES_MILD ? "mild"
                                                     : "moderate");
    }
    if (c.state.encephalopathy != CARM_HE_UNSET) {
      key_set(&k, "encephalopathy", "%s",
              c.state.encephalopathy == CARM_HE_NONE        ? "none"
              : c.state.encephalopathy == CARM_HE_GRADE_1_2 ? "grade1-2"
                                                            : "grade3-4");
    }
    if (c.state.portal_hypertension != CARM_FLAG_UNSET) {
      key_set(&k, "portal_hypertension", "%s", flag_word(c.state.portal_hypertension));
    }
    if (c.state.vascular_invasion != CARM_FLAG_UNSET) {
      key_set(&k, "vascular_invasion", "%s", flag_word(c.state.vascular_invasion));
    }
    if (c.state.extrahepatic != CARM_FLAG_UNSET) {
      key_set(&k, "extrahepatic", "%s", flag_word(c.state.extrahepatic));
    }
  }
  if (c.n_tumours > 0) {
    char list[560] = "";
    char vols[560] = "";
    int all_vols = 1;
    for (int i = 0; i < c.n_tumours; i++) {
      size_t len = strlen(list);
      snprintf(list + len, sizeof list - len, "%s%.6g", i > 0 ? "," : "", c.diameters_mm[i]);
      len = strlen(vols);
      snprintf(vols + len, sizeof vols - len, "%s%.6g", i > 0 ? "," : "", c.volumes_ml[i]);
      all_vols &= isfinite(c.volumes_ml[i]) != 0;
    }
    key_set(&k, "sizes", "%smm", list);
    if (all_vols) {
      key_set(&k, "volumes", "%s", vols);
    }
  }
  static const char *const extra[] = {"sex", "dialysis", "transplant_candidate", "pattern",
                                      "ps_cancer_related"};
  for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
    if (get(&a, extra[i]) != NULL) {
      key_set(&k, extra[i], "%s", get(&a, extra[i]));
    }
  }

  /* Each calculator: the keys it needs, then those it may use. */
  static const struct {
    const char *name;
    const char *need;
    const char *may;
  } plan[] = {
      {"child-pugh", "bilirubin albumin inr ascites encephalopathy", ""},
      {"albi", "bilirubin albumin", ""},
      {"meld", "bilirubin inr creatinine dialysis", ""},
      {"meld-na", "bilirubin inr creatinine sodium dialysis", ""},
      {"meld3", "bilirubin inr creatinine sodium albumin sex dialysis", ""},
      {"milan", "sizes vascular_invasion extrahepatic", ""},
      {"ucsf", "sizes vascular_invasion extrahepatic", ""},
      {"up-to-seven", "sizes vascular_invasion extrahepatic", ""},
      {"ttv-afp", "sizes afp vascular_invasion extrahepatic", "volumes"},
      {"bclc", "sizes ecog vascular_invasion extrahepatic",
       "bilirubin albumin inr ascites encephalopathy portal_hypertension transplant_candidate "
       "ps_cancer_related pattern afp volumes"},
  };
  json_t *out = json_object();
  json_object_set_new(out, "pseudonym", json_string(a.positional[0]));
  json_object_set_new(out, "as_of", json_string(date));
  json_t *from = json_object();
  for (int i = 0; i < 6; i++) {
    if (c.labs[i].unit != CARM_UNIT_NONE) {
      json_object_set_new(from, lab_keys[i], json_string(c.lab_dates[i]));
    }
  }
  if (c.has_state) {
    json_object_set_new(from, "state", json_string(c.state_date));
  }
  if (c.study_id != 0) {
    json_object_set_new(from, "study", json_integer(c.study_id));
    json_object_set_new(from, "study_date", json_string(c.study_date));
  }
  json_object_set_new(out, "from", from);
  json_t *results = json_object();
  json_t *skipped = json_object();
  board_calc_quiet(1);
  for (size_t p = 0; p < sizeof plan / sizeof plan[0] && rc == CLI_OK; p++) {
    char *cargv[N_KEYS + 2];
    char calc_word[] = "calc";
    char name[32];
    snprintf(name, sizeof name, "%s", plan[p].name);
    cargv[0] = calc_word;
    cargv[1] = name;
    int n = 2;
    char missing[256] = "";
    for (int pass = 0; pass < 2; pass++) {
      const char *list = pass == 0 ? plan[p].need : plan[p].may;
      while (*list != '\0') {
        const char *e = strchr(list, ' ');
        size_t len = e != NULL ? (size_t)(e - list) : strlen(list);
        char key[40];
        snprintf(key, sizeof key, "%.*s", (int)len, list);
        char *kv = key_get(&k, key);
        if (kv != NULL) {
          cargv[n++] = kv;
        } else if (pass == 0) {
          size_t ml = strlen(missing);
          snprintf(missing + ml, sizeof missing - ml, "%s%s", ml > 0 ? " " : "", key);
        }
        list = e != NULL ? e + 1 : list + len;
      }
    }
    if (missing[0] != '\0') {
      char why[300];
      snprintf(why, sizeof why, "missing: %s", missing);
      json_object_set_new(skipped, plan[p].name, json_string(why));
      continue;
    }
    char *text = NULL;
    int crc = board_calc_json(n, cargv, &text);
    if (crc != CLI_OK) {
      json_object_set_new(skipped, plan[p].name, json_string(carm_last_error()));
      continue;
    }
    st = carm_board_add_score(db, a.positional[0], date, plan[p].name, text, NULL);
    if (st != CARM_OK) {
      free(text);
      rc = lib_fail(&a, st);
      break;
    }
    json_t *obj = json_loads(text, 0, NULL);
    free(text);
    json_object_set_new(results, plan[p].name, obj != NULL ? obj : json_null());
  }
  board_calc_quiet(0);
  carm_board_close(db);
  json_object_set_new(out, "results", results);
  json_object_set_new(out, "skipped", skipped);
  if (rc == CLI_OK) {
    char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text != NULL) {
      fputs(text, stdout);
      fputc('\n', stdout);
      free(text);
    }
  }
  json_decref(out);
  return rc;
}

/* ---- pseudonym: a keyed pseudonym for a hospital identifier ---------------- */

int board_pseudonym(int argc, char **argv) {
  const char *key_file = NULL;
  const char *ident = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc) {
      key_file = argv[++i];
    } else if (ident == NULL && argv[i][0] != '\0' &&
               (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
      ident = argv[i];
    } else {
      return cli_fail(CLI_USAGE, "board", "pseudonym: unexpected argument '%s'", argv[i]);
    }
  }
  if (key_file == NULL || ident == NULL) {
    return cli_fail(CLI_USAGE, "board",
                    "pseudonym: usage: carm board pseudonym --key-file FILE IDENTIFIER|-");
  }
  unsigned char key[4096];
  FILE *f = fopen(key_file, "rb");
  if (f == NULL) {
    return cli_fail(CLI_FAIL, "board", "pseudonym: cannot read key file %s", key_file);
  }
  size_t key_len = fread(key, 1, sizeof key, f);
  fclose(f);
  if (key_len > 0 && key[key_len - 1] == '\n') {
    key_len--; /* `echo secret > key` writes a newline that is not part of the key */
  }
  char line[300];
  if (strcmp(ident, "-") == 0) {
    if (fgets(line, sizeof line, stdin) == NULL) {
      return cli_fail(CLI_USAGE, "board", "pseudonym: no identifier on standard input");
    }
    line[strcspn(line, "\r\n")] = '\0';
    ident = line;
  }
  char p[CARM_BOARD_PSEUDONYM_SIZE];
  carm_status st = carm_board_pseudonym(p, key, key_len, ident);
  memset(key, 0, sizeof key);
  if (st != CARM_OK) {
    fprintf(stderr, "carm board pseudonym: %s\n", carm_last_error());
    return CLI_USAGE;
  }
  printf("{\"pseudonym\": \"%s\"}\n", p);
  return CLI_OK;
}

/* ---- pictures and the board sheet --------------------------------------------- */

/* Split "PATH.png:CAPTION" (the caption is optional) into its parts. */
static void split_picture(const char *arg, char *path, size_t path_size, const char **caption) {
  const char *p = arg;
  const char *cut = NULL;
  for (; *p != '\0'; p++) {
    if (strncasecmp(p, ".png:", 5) == 0) {
      cut = p + 4;
      break;
    }
  }
  if (cut == NULL) {
    snprintf(path, path_size, "%s", arg);
    *caption = NULL;
  } else {
    snprintf(path, path_size, "%.*s", (int)(cut - arg), arg);
    *caption = cut + 1;
  }
}

/* carm board picture --db F PSEUDONYM FILE.png [caption=..] [study=ID] */
int board_picture(int argc, char **argv) {
  store_args a;
  int rc = parse(&a, argc, argv, "caption study", NULL, 0);
  if (rc != CLI_OK) {
    return rc;
  }
  if (a.n_positional != 2) {
    return cli_fail(CLI_USAGE, "board", "picture: expected PSEUDONYM FILE.png");
  }
  int64_t study = 0;
  const char *sv = get(&a, "study");
  if (sv != NULL && (cli_parse_int64(sv, &study) != 0 || study < 1)) {
    return cli_fail(CLI_USAGE, "board", "picture: study '%s': expected a study id", sv);
  }
  carm_board *db = NULL;
  rc = open_db(&a, &db);
  if (rc != CLI_OK) {
    return rc;
  }
  int64_t id = 0;
  carm_status st =
      carm_board_add_picture(db, a.positional[0], study, a.positional[1], get(&a, "caption"), &id);
  carm_board_close(db);
  if (st != CARM_OK) {
    return lib_fail(&a, st);
  }
  printf("{\"picture\": %lld}\n", (long long)id);
  return CLI_OK;
}

/* Attach study pictures (`picture=PATH.png[:CAPTION]` keys of `study`). */
int board_study_pictures(const char *db_path, const char *actor, const char *pseudonym,
                         int64_t study, int n, const char *const *args) {
  if (n == 0) {
    return CLI_OK;
  }
  carm_board *db = NULL;
  carm_status st = carm_board_open(&db, db_path, actor);
  for (int i = 0; i < n && st == CARM_OK; i++) {
    char path[4096];
    const char *caption = NULL;
    split_picture(args[i], path, sizeof path, &caption);
    st = carm_board_add_picture(db, pseudonym, study, path, caption, NULL);
  }
  carm_board_close(db);
  if (st != CARM_OK) {
    fprintf(stderr, "carm board study: %s (%s)\n", carm_last_error(), carm_strerror(st));
    return st == CARM_ERR_INVALID || st == CARM_ERR_RANGE || st == CARM_ERR_FORMAT ? CLI_USAGE
                                                                                   : CLI_FAIL;
  }
  return CLI_OK;
}

/* carm board sheet --db F PSEUDONYM -o sheet.pdf [--picture F.png[:CAPTION]]...
 * [--meeting ID] [--date YYYY-MM-DD] */
int board_sheet(int argc, char **argv) {
  const char *db_path = getenv("CARM_BOARD_DB");
  const char *out = NULL;
  const char *pseudonym = NULL;
  const char *date = NULL;
  int64_t meeting = 0;
  char paths[32][4096];
  const char *paths_ptr[32];
  const char *captions[32];
  int n_pics = 0;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if ((strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) && v != NULL) {
      out = v;
      i++;
    } else if (strcmp(s, "--db") == 0 && v != NULL) {
      db_path = v;
      i++;
    } else if (strcmp(s, "--actor") == 0 && v != NULL) {
      i++; /* reading changes nothing: accepted and unused */
    } else if (strcmp(s, "--picture") == 0 && v != NULL) {
      if (n_pics >= 32) {
        return cli_fail(CLI_USAGE, "board", "sheet: at most 32 --picture");
      }
      split_picture(v, paths[n_pics], sizeof paths[n_pics], &captions[n_pics]);
      paths_ptr[n_pics] = paths[n_pics];
      n_pics++;
      i++;
    } else if (strcmp(s, "--meeting") == 0 && v != NULL) {
      if (cli_parse_int64(v, &meeting) != 0 || meeting < 1) {
        return cli_fail(CLI_USAGE, "board", "sheet: --meeting '%s': expected a meeting id", v);
      }
      i++;
    } else if (strcmp(s, "--date") == 0 && v != NULL) {
      date = v;
      i++;
    } else if (s[0] == '-') {
      return cli_fail(CLI_USAGE, "board", "sheet: unknown or incomplete option '%s'", s);
    } else if (pseudonym == NULL) {
      pseudonym = s;
    } else {
      return cli_fail(CLI_USAGE, "board", "sheet: unexpected argument '%s'", s);
    }
  }
  if (pseudonym == NULL || out == NULL) {
    return cli_fail(CLI_USAGE, "board",
                    "sheet: usage: carm board sheet --db FILE PSEUDONYM -o SHEET.pdf "
                    "[--picture FILE.png[:CAPTION]] [--meeting ID] [--date YYYY-MM-DD]");
  }
  if (db_path == NULL || db_path[0] == '\0') {
    return cli_fail(CLI_USAGE, "board", "sheet: missing --db FILE (or $CARM_BOARD_DB)");
  }
  if (access(db_path, R_OK) != 0) {
    return cli_fail(CLI_FAIL, "board", "sheet: no case store at %s", db_path);
  }
  const char *inputs[33];
  inputs[0] = db_path;
  for (int k = 0; k < n_pics; k++) {
    inputs[k + 1] = paths_ptr[k];
  }
  int chk = cli_check_output("board sheet", out, inputs, n_pics + 1);
  if (chk != CLI_OK) {
    return chk;
  }
  carm_board *db = NULL;
  carm_status st = carm_board_open(&db, db_path, "reader");
  if (st == CARM_OK) {
    carm_board_sheet_opts o = CARM_BOARD_SHEET_INIT;
    o.meeting_id = meeting;
    o.n_pictures = n_pics;
    o.picture_paths = paths_ptr;
    o.picture_captions = captions;
    o.generated_on = date;
    st = carm_board_sheet(db, pseudonym, &o, out);
  }
  carm_board_close(db);
  if (st != CARM_OK) {
    fprintf(stderr, "carm board sheet: %s (%s)\n", carm_last_error(), carm_strerror(st));
    return st == CARM_ERR_INVALID || st == CARM_ERR_RANGE ? CLI_USAGE : CLI_FAIL;
  }
  /* through jansson: a path may hold quotes, backslashes or control bytes */
  json_t *ans = json_pack("{s:s%, s:s}", "sheet", out, strlen(out), "pseudonym", pseudonym);
  if (ans == NULL) { /* not UTF-8: print the name with '?' for bytes >= 0x80 */
    char shown[4096];
    snprintf(shown, sizeof shown, "%s", out);
    for (char *p = shown; *p != '\0'; p++) {
      *p = (unsigned char)*p >= 0x80 ? '?' : *p;
    }
    ans = json_pack("{s:s, s:s}", "sheet", shown, "pseudonym", pseudonym);
  }
  char *text = ans != NULL ? json_dumps(ans, JSON_ENSURE_ASCII) : NULL;
  json_decref(ans);
  if (text == NULL) {
    return cli_fail(CLI_FAIL, "board", "sheet: wrote %s, but cannot print it as JSON", out);
  }
  printf("%s\n", text);
  free(text);
  return CLI_OK;
}
