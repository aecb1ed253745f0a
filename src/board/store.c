/* The tumour-board case store on SQLite: migrations, append-only decisions,
 * audit log. See include/carm/board.h and docs/clinical.md. */
#include "carm/board.h"
#include "carm/render.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct carm_board {
  sqlite3 *db;
  char actor[65];
  int version;
};

/* ---- schema migrations: migrations[i] takes version i to i + 1 ------------ */

static const char migration_1[] =
    "CREATE TABLE patients ("
    "  id INTEGER PRIMARY KEY,"
    "  pseudonym TEXT NOT NULL UNIQUE CHECK (length(pseudonym) BETWEEN 1 AND 64),"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE labs ("
    "  id INTEGER PRIMARY KEY,"
    "  patient_id INTEGER NOT NULL REFERENCES patients(id),"
    "  taken_on TEXT NOT NULL,"
    "  analyte TEXT NOT NULL,"
    "  value REAL NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE clinical_state ("
    "  id INTEGER PRIMARY KEY,"
    "  patient_id INTEGER NOT NULL REFERENCES patients(id),"
    "  observed_on TEXT NOT NULL,"
    "  ecog INTEGER CHECK (ecog BETWEEN 0 AND 4),"
    "  ascites TEXT, encephalopathy TEXT,"
    "  portal_hypertension INTEGER, vascular_invasion INTEGER, extrahepatic INTEGER,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE studies ("
    "  id INTEGER PRIMARY KEY,"
    "  patient_id INTEGER NOT NULL REFERENCES patients(id),"
    "  study_date TEXT NOT NULL,"
    "  modality TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE tumours ("
    "  id INTEGER PRIMARY KEY,"
    "  study_id INTEGER NOT NULL REFERENCES studies(id),"
    "  label TEXT NOT NULL,"
    "  diameter_mm REAL NOT NULL CHECK (diameter_mm > 0),"
    "  viable_diameter_mm REAL, volume_ml REAL, segment TEXT, enhancing INTEGER);"
    "CREATE TABLE meetings ("
    "  id INTEGER PRIMARY KEY,"
    "  held_on TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE attendees ("
    "  id INTEGER PRIMARY KEY,"
    "  meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    "  name TEXT NOT NULL,"
    "  specialty TEXT NOT NULL);"
    "CREATE TABLE decisions ("
    "  id INTEGER PRIMARY KEY,"
    "  patient_id INTEGER NOT NULL REFERENCES patients(id),"
    "  meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    "  amends INTEGER REFERENCES decisions(id),"
    "  chosen_option TEXT NOT NULL,"
    "  guideline_option TEXT,"
    "  deviation TEXT,"
    "  rationale TEXT NOT NULL,"
    "  follow_up TEXT,"
    "  decided_by TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  tbl TEXT NOT NULL,"
    "  row_id INTEGER,"
    "  detail TEXT);"
    "CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions BEGIN"
    "  SELECT RAISE(ABORT, 'decisions are append-only: record an amendment instead'); END;"
    "CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions BEGIN"
    "  SELECT RAISE(ABORT, 'decisions are append-only: they cannot be deleted'); END;"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
    "  SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
    "  SELECT RAISE(ABORT, 'the audit log is append-only'); END;";

/* v2: computed scores, a follow-up date on decisions, an index for labs. */
static const char migration_2[] = "CREATE TABLE scores ("
                                  "  id INTEGER PRIMARY KEY,"
                                  "  patient_id INTEGER NOT NULL REFERENCES patients(id),"
                                  "  computed_on TEXT NOT NULL,"
                                  "  calculator TEXT NOT NULL,"
                                  "  result_json TEXT NOT NULL CHECK (json_valid(result_json)),"
                                  "  created_at TEXT NOT NULL);"
                                  "ALTER TABLE decisions ADD COLUMN follow_up_on TEXT;"
                                  "CREATE INDEX labs_by_patient ON labs(patient_id, taken_on);";

/* v3: pictures attached to a case (PNG bytes kept in the store, so a board
 * sheet can be made wherever the store is), for the board sheet. */
static const char migration_3[] = "CREATE TABLE pictures ("
                                  "  id INTEGER PRIMARY KEY,"
                                  "  patient_id INTEGER NOT NULL REFERENCES patients(id),"
                                  "  study_id INTEGER REFERENCES studies(id),"
                                  "  caption TEXT NOT NULL,"
                                  "  file_name TEXT NOT NULL,"
                                  "  width INTEGER NOT NULL CHECK (width > 0),"
                                  "  height INTEGER NOT NULL CHECK (height > 0),"
                                  "  png BLOB NOT NULL,"
                                  "  created_at TEXT NOT NULL);"
                                  "CREATE INDEX pictures_by_patient ON pictures(patient_id);";

static const char *const migrations[] = {migration_1, migration_2, migration_3};

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

static carm_status db_err(sqlite3 *db, const char *what) {
  return carm_error(CARM_ERR_IO, "board store: %s: %s", what, sqlite3_errmsg(db));
}

static carm_status exec(sqlite3 *db, const char *sql, const char *what) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    carm_status st = carm_error(CARM_ERR_IO, "board store: %s: %s", what,
                                msg != NULL ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return st;
  }
  return CARM_OK;
}

static int user_version(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  return v;
}

/* Bring the schema from its version to `target` in one transaction. */
static carm_status migrate(sqlite3 *db, int target) {
  carm_status st = exec(db, "BEGIN IMMEDIATE", "begin migration");
  if (st != CARM_OK) {
    return st;
  }
  int v = user_version(db);
  if (v < 0) {
    st = db_err(db, "read schema version");
    goto cleanup;
  }
  if (v > CARM_BOARD_SCHEMA_VERSION) {
    st =
        carm_error(CARM_ERR_FORMAT, "board store: schema version %d is newer than this carm's (%d)",
                   v, CARM_BOARD_SCHEMA_VERSION);
    goto cleanup;
  }
  if (v == 0) {
    /* A new file must be empty; anything else is not a carm store. */
    sqlite3_stmt *q = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      n = sqlite3_column_int(q, 0);
    }
    sqlite3_finalize(q);
    if (n != 0) {
      st = carm_error(CARM_ERR_FORMAT, "board store: the file is an SQLite database but not a "
                                       "carm store (user_version 0 and tables present)");
      goto cleanup;
    }
  }
  for (; v < target; v++) {
    st = exec(db, migrations[v], "migration");
    if (st != CARM_OK) {
      goto cleanup;
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
    st = exec(db, sql, "set schema version");
    if (st != CARM_OK) {
      goto cleanup;
    }
  }
  st = exec(db, "COMMIT", "commit migration");
cleanup:
  if (st != CARM_OK) {
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  }
  return st;
}

static carm_status open_raw(sqlite3 **out, const char *path) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    carm_status st = carm_error(CARM_ERR_IO, "board store: cannot open %s: %s", path,
                                db != NULL ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return st;
  }
  sqlite3_busy_timeout(db, CARM_BOARD_BUSY_TIMEOUT_MS);
  carm_status st = exec(db, "PRAGMA foreign_keys = ON", "enable foreign keys");
  if (st == CARM_OK) {
    /* journal_mode returns a row; exec ignores it. WAL survives reopening. */
    st = exec(db, "PRAGMA journal_mode = WAL", "enable WAL");
  }
  if (st == CARM_OK) {
    st = exec(db, "PRAGMA synchronous = FULL", "set synchronous");
  }
  if (st != CARM_OK) {
    sqlite3_close(db);
    return st;
  }
  *out = db;
  return CARM_OK;
}

carm_status carm_board_create_version(const char *path, int version) {
  if (path == NULL || version < 1 || version > CARM_BOARD_SCHEMA_VERSION) {
    return carm_error(CARM_ERR_INVALID, "board store: version %d (1 to %d)", version,
                      CARM_BOARD_SCHEMA_VERSION);
  }
  struct stat sb;
  if (stat(path, &sb) == 0) {
    return carm_error(CARM_ERR_INVALID, "board store: %s exists", path);
  }
  sqlite3 *db = NULL;
  carm_status st = open_raw(&db, path);
  if (st != CARM_OK) {
    return st;
  }
  st = migrate(db, version);
  sqlite3_close(db);
  return st;
}

static int valid_actor(const char *actor) {
  return actor != NULL && actor[0] != '\0' && strlen(actor) <= 64;
}

carm_status carm_board_open(carm_board **out, const char *path, const char *actor) {
  if (out == NULL || path == NULL || path[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "board store: missing path");
  }
  if (!valid_actor(actor)) {
    return carm_error(CARM_ERR_INVALID, "board store: the actor (who makes the changes) must be "
                                        "1-64 characters");
  }
  sqlite3 *db = NULL;
  carm_status st = open_raw(&db, path);
  if (st != CARM_OK) {
    return st;
  }
  st = migrate(db, CARM_BOARD_SCHEMA_VERSION);
  if (st != CARM_OK) {
    sqlite3_close(db);
    return st;
  }
  carm_board *b = calloc(1, sizeof *b);
  if (b == NULL) {
    sqlite3_close(db);
    return carm_error(CARM_ERR_NOMEM, "board store: out of memory");
  }
  b->db = db;
  snprintf(b->actor, sizeof b->actor, "%s", actor);
  b->version = user_version(db);
  *out = b;
  return CARM_OK;
}

void carm_board_close(carm_board *db) {
  if (db == NULL) {
    return;
  }
  sqlite3_close(db->db);
  free(db);
}

int carm_board_schema_version(const carm_board *db) { return db != NULL ? db->version : -1; }

/* ---- helpers ---------------------------------------------------------------- */

static int valid_pseudonym(const char *p) {
  if (p == NULL) {
    return 0;
  }
  size_t n = strlen(p);
  if (n < 1 || n > 64) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    if (!ok) {
      return 0;
    }
  }
  return 1;
}

/* YYYY-MM-DD naming a real calendar day (Gregorian, leap years). */
static int valid_date(const char *d) {
  if (d == NULL || strlen(d) != 10 || d[4] != '-' || d[7] != '-') {
    return 0;
  }
  for (int i = 0; i < 10; i++) {
    if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9')) {
      return 0;
    }
  }
  int year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
  int month = (d[5] - '0') * 10 + (d[6] - '0');
  int day = (d[8] - '0') * 10 + (d[9] - '0');
  if (month < 1 || month > 12 || day < 1) {
    return 0;
  }
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= days[month - 1] + (month == 2 && leap);
}

static int empty(const char *s) { return s == NULL || s[0] == '\0'; }

static carm_status begin(carm_board *b) { return exec(b->db, "BEGIN IMMEDIATE", "begin"); }

static carm_status finish(carm_board *b, carm_status st) {
  if (st == CARM_OK) {
    st = exec(b->db, "COMMIT", "commit");
  }
  if (st != CARM_OK) {
    sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
  }
  return st;
}

/* Prepare, bind text/int64/double/null by a tiny format ("t", "i", "d",
 * "n" = null), step to DONE; *rowid (may be NULL) gets the new row id. */
static carm_status run_sql(carm_board *b, const char *sql, const char *types,
                           const void *const *args, int64_t *rowid) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(b->db, sql, -1, &s, NULL) != SQLITE_OK) {
    return db_err(b->db, "prepare");
  }
  for (int i = 0; types[i] != '\0'; i++) {
    int rc = SQLITE_OK;
    switch (types[i]) {
    case 't': rc = sqlite3_bind_text(s, i + 1, (const char *)args[i], -1, SQLITE_TRANSIENT); break;
    case 'i': rc = sqlite3_bind_int64(s, i + 1, *(const int64_t *)args[i]); break;
    case 'd': rc = sqlite3_bind_double(s, i + 1, *(const double *)args[i]); break;
    default: rc = sqlite3_bind_null(s, i + 1); break;
    }
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s);
      return db_err(b->db, "bind");
    }
  }
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) {
    if (rc == SQLITE_CONSTRAINT) {
      return carm_error(CARM_ERR_INVALID, "board store: %s", sqlite3_errmsg(b->db));
    }
    return db_err(b->db, "write");
  }
  if (rowid != NULL) {
    *rowid = sqlite3_last_insert_rowid(b->db);
  }
  return CARM_OK;
}

static carm_status audit(carm_board *b, const char *action, const char *tbl, int64_t row,
                         const char *detail) {
  const void *args[] = {b->actor, action, tbl, &row, detail};
  return run_sql(b,
                 "INSERT INTO audit (at, actor, action, tbl, row_id, detail) VALUES (" NOW_SQL
                 ", ?, ?, ?, ?, ?)",
                 detail != NULL ? "tttit" : "tttin", args, NULL);
}

/* Row id of a patient, CARM_ERR_NOTFOUND when absent. */
static carm_status patient_id(carm_board *b, const char *pseudonym, int64_t *out) {
  if (!valid_pseudonym(pseudonym)) {
    return carm_error(CARM_ERR_INVALID,
                      "board store: pseudonym must be 1-64 characters of A-Z a-z 0-9 _ -");
  }
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(b->db, "SELECT id FROM patients WHERE pseudonym = ?", -1, &s, NULL) !=
      SQLITE_OK) {
    return db_err(b->db, "prepare");
  }
  sqlite3_bind_text(s, 1, pseudonym, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(s);
  carm_status st = CARM_OK;
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(s, 0);
  } else if (rc == SQLITE_DONE) {
    st = carm_error(CARM_ERR_NOTFOUND, "board store: no patient '%s'", pseudonym);
  } else {
    st = db_err(b->db, "find patient");
  }
  sqlite3_finalize(s);
  return st;
}

/* ---- writes ----------------------------------------------------------------- */

carm_status carm_board_add_patient(carm_board *b, const char *pseudonym, int64_t *out_id) {
  if (b == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL handle");
  }
  if (!valid_pseudonym(pseudonym)) {
    return carm_error(CARM_ERR_INVALID,
                      "board store: pseudonym must be 1-64 characters of A-Z a-z 0-9 _ -");
  }
  carm_status st = begin(b);
  if (st != CARM_OK) {
    return st;
  }
  int64_t id = 0;
  const void *args[] = {pseudonym};
  st = run_sql(b, "INSERT INTO patients (pseudonym, created_at) VALUES (?, " NOW_SQL ")", "t", args,
               &id);
  if (st == CARM_ERR_INVALID) {
    st = carm_error(CARM_ERR_INVALID, "board store: patient '%s' already exists", pseudonym);
  }
  if (st == CARM_OK) {
    st = audit(b, "add-patient", "patients", id, pseudonym);
  }
  st = finish(b, st);
  if (st == CARM_OK && out_id != NULL) {
    *out_id = id;
  }
  return st;
}

carm_status carm_board_add_labs(carm_board *b, const char *pseudonym, const char *date, int n,
                                const carm_clinical_analyte *analytes,
                                const carm_clinical_lab *labs, int64_t *out_ids) {
  if (b == NULL || n < 1 || n > 64 || analytes == NULL || labs == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: 1-64 lab values expected");
  }
  if (!valid_date(date)) {
    return carm_error(CARM_ERR_INVALID, "board store: date must be YYYY-MM-DD");
  }
  for (int i = 0; i < n; i++) {
    carm_status st = carm_clinical_lab_check(analytes[i], &labs[i]);
    if (st != CARM_OK) {
      return st;
    }
  }
  carm_status st = begin(b);
  if (st != CARM_OK) {
    return st;
  }
  int64_t pid = 0;
  int64_t ids[64];
  st = patient_id(b, pseudonym, &pid);
  for (int i = 0; i < n && st == CARM_OK; i++) {
    const char *name = carm_clinical_analyte_name(analytes[i]);
    const char *unit = carm_clinical_unit_name(labs[i].unit);
    const void *args[] = {&pid, date, name, &labs[i].value, unit};
    st = run_sql(b,
                 "INSERT INTO labs (patient_id, taken_on, analyte, value, unit, created_at) "
                 "VALUES (?, ?, ?, ?, ?, " NOW_SQL ")",
                 "ittdt", args, &ids[i]);
    if (st == CARM_OK) {
      char detail[96];
      snprintf(detail, sizeof detail, "%s %g %s on %s", name, labs[i].value, unit, date);
      st = audit(b, "add-lab", "labs", ids[i], detail);
    }
  }
  st = finish(b, st);
  if (st == CARM_OK && out_ids != NULL) {
    memcpy(out_ids, ids, (size_t)n * sizeof ids[0]);
  }
  return st;
}

carm_status carm_board_add_lab(carm_board *b, const char *pseudonym, const char *date,
                               carm_clinical_analyte analyte, const carm_clinical_lab *lab,
                               int64_t *out_id) {
  if (lab == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL lab");
  }
  return carm_board_add_labs(b, pseudonym, date, 1, &analyte, lab, out_id);
}

static const char *ascites_text(carm_ascites a) {
  return a == CARM_ASCITES_NONE       ? "none"
         : a == CARM_ASCITES_MILD     ? "mild"
         : a == CARM_ASCITES_MODERATE ? "moderate"
                                      : NULL;
}

static const char *he_text(carm_encephalopathy e) {
  return e == CARM_HE_NONE        ? "none"
         : e == CARM_HE_GRADE_1_2 ? "grade1-2"
         : e == CARM_HE_GRADE_3_4 ? "grade3-4"
                                  : NULL;
}

carm_status carm_board_set_state(carm_board *b, const char *pseudonym, const char *date,
                                 const carm_board_state *s, int64_t *out_id) {
  if (b == NULL || s == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL argument");
  }
  if (!valid_date(date)) {
    return carm_error(CARM_ERR_INVALID, "board store: date must be YYYY-MM-DD");
  }
  if (s->ecog_ps < -1 || s->ecog_ps > 4) {
    return carm_error(CARM_ERR_RANGE, "board store: ecog %d (0-4)", s->ecog_ps);
  }
  carm_status st = begin(b);
  if (st != CARM_OK) {
    return st;
  }
  int64_t pid = 0;
  int64_t id = 0;
  st = patient_id(b, pseudonym, &pid);
  if (st == CARM_OK) {
    int64_t ecog = s->ecog_ps;
    int64_t ph = s->portal_hypertension == CARM_FLAG_YES;
    int64_t vi = s->vascular_invasion == CARM_FLAG_YES;
    int64_t eh = s->extrahepatic == CARM_FLAG_YES;
    const char *asc = ascites_text(s->ascites);
    const char *he = he_text(s->encephalopathy);
    const void *args[] = {&pid, date, &ecog, asc, he, &ph, &vi, &eh};
    char types[9] = "it??????";
    types[2] = s->ecog_ps >= 0 ? 'i' : 'n';
    types[3] = asc != NULL ? 't' : 'n';
    types[4] = he != NULL ? 't' : 'n';
    types[5] = s->portal_hypertension != CARM_FLAG_UNSET ? 'i' : 'n';
    types[6] = s->vascular_invasion != CARM_FLAG_UNSET ? 'i' : 'n';
    types[7] = s->extrahepatic != CARM_FLAG_UNSET ? 'i' : 'n';
    st = run_sql(b,
                 "INSERT INTO clinical_state (patient_id, observed_on, ecog, ascites, "
                 "encephalopathy, portal_hypertension, vascular_invasion, extrahepatic, "
                 "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, " NOW_SQL ")",
                 types, args, &id);
  }
  if (st == CARM_OK) {
    st = audit(b, "set-state", "clinical_state", id, date);
  }
  st = finish(b, st);
  if (st == CARM_OK && out_id != NULL) {
    *out_id = id;
  }
  return st;
}

carm_status carm_board_add_study(carm_board *b, const char *pseudonym, const char *date,
                                 const char *modality, const carm_board_tumour *tumours,
                                 int n_tumours, int64_t *out_id) {
  if (b == NULL || (n_tumours > 0 && tumours == NULL) || n_tumours < 0 || n_tumours > 64) {
    return carm_error(CARM_ERR_INVALID, "board store: bad study arguments (0-64 tumours)");
  }
  if (!valid_date(date) || empty(modality)) {
    return carm_error(CARM_ERR_INVALID, "board store: a study needs a date (YYYY-MM-DD) and a "
                                        "modality");
  }
  for (int i = 0; i < n_tumours; i++) {
    const carm_board_tumour *t = &tumours[i];
    if (empty(t->label) || !isfinite(t->diameter_mm) || t->diameter_mm <= 0.0 ||
        t->diameter_mm > 300.0) {
      return carm_error(CARM_ERR_RANGE,
                        "board store: tumour %d needs a label and a diameter "
                        "0 < d <= 300 mm",
                        i + 1);
    }
  }
  carm_status st = begin(b);
  if (st != CARM_OK) {
    return st;
  }
  int64_t pid = 0;
  int64_t id = 0;
  st = patient_id(b, pseudonym, &pid);
  if (st == CARM_OK) {
    const void *args[] = {&pid, date, modality};
    st = run_sql(b,
                 "INSERT INTO studies (patient_id, study_date, modality, created_at) VALUES "
                 "(?, ?, ?, " NOW_SQL ")",
                 "itt", args, &id);
  }
  for (int i = 0; i < n_tumours && st == CARM_OK; i++) {
    const carm_board_tumour *t = &tumours[i];
    int64_t enh = t->enhancing == CARM_FLAG_YES;
    const void *args[] = {
        &id, t->label, &t->diameter_mm, &t->viable_diameter_mm, &t->volume_ml, t->segment, &enh};
    char types[8] = "itd????";
    types[3] = isfinite(t->viable_diameter_mm) ? 'd' : 'n';
    types[4] = isfinite(t->volume_ml) ? 'd' : 'n';
    types[5] = t->segment != NULL ? 't' : 'n';
    types[6] = t->enhancing != CARM_FLAG_UNSET ? 'i' : 'n';
    st = run_sql(b,
                 "INSERT INTO tumours (study_id, label, diameter_mm, viable_diameter_mm, "
                 "volume_ml, segment, enhancing) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 types, args, NULL);
  }
  if (st == CARM_OK) {
    char detail[64];
    snprintf(detail, sizeof detail, "%s on %s, %d tumours", modality, date, n_tumours);
    st = audit(b, "add-study", "studies", id, detail);
  }
  st = finish(b, st);
  if (st == CARM_OK && out_id != NULL) {
    *out_id = id;
  }
  return st;
}

carm_status carm_board_add_score(carm_board *b, const char *pseudonym, const char *date,
                                 const char *calculator, const char *result_json, int64_t *out_id) {
  if (b == NULL || empty(calculator) || empty(result_json)) {
    return carm_error(CARM_ERR_INVALID, "board store: a score needs a calculator and its JSON");
  }
  if (!valid_date(date)) {
    return carm_error(CARM_ERR_INVALID, "board store: date must be YYYY-MM-DD");
  }
  carm_status st = begin(b);
  if (st != CARM_OK) {
    return st;
  }
  int64_t pid = 0;
  int64_t id = 0;
  st = patient_id(b, pseudonym, &pid);
  if (st == CARM_OK) {
    const void *args[] = {&pid, date, calculator, result_json};
    st = run_sql(b,
                 "INSERT INTO scores (patient_id, computed_on, calculator, result_json, "
                 "created_at) VALUES (?, ?, ?, ?, " NOW_SQL ")",
                 "ittt", args, &id);
  }
  if (st == CARM_OK) {
    st = audit(b, "add-score", "scores", id, calculator);
  }
  st = finish(b, st);
  if (st == CARM_OK && out_id != NULL) {
    *out_id = id;
  }
  return st;
}

carm_status carm_board_add_meeting(carm_board *b, const char *date, const char *const *names,
                                   const char *const *specialties, int n, int64_t *out_id) {
  if (b == NULL || n < 1 || n > 100 || names == NULL || specialties == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: a meeting needs 1-100 attendees");
  }
  if (!valid_date(date)) {
    return carm_error(CARM_ERR_INVALID, "board store: date must be YYYY-MM-DD");
  }
  for (int i = 0; i < n; i++) {
    if (empty(names[i]) || empty(specialties[i])) {
      return carm_error(CARM_ERR_INVALID, "board store: attendee %d needs a name and a specialty",
                        i + 1);
    }
  }
  carm_status st = begin(b);
  if (st != CARM_OK) {
    return st;
  }
  int64_t id = 0;
  const void *args[] = {date};
  st = run_sql(b, "INSERT INTO meetings (held_on, created_at) VALUES (?, " NOW_SQL ")", "t", args,
               &id);
  for (int i = 0; i < n && st == CARM_OK; i++) {
    const void *a2[] = {&id, names[i], specialties[i]};
    st = run_sql(b,
                 "INSERT INTO attendees (meeting_id, name, specialty) VALUES (?, ?, "
                 "lower(trim(?)))",
                 "itt", a2, NULL);
  }
  if (st == CARM_OK) {
    char detail[64];
    snprintf(detail, sizeof detail, "%s, %d attendees", date, n);
    st = audit(b, "add-meeting", "meetings", id, detail);
  }
  st = finish(b, st);
  if (st == CARM_OK && out_id != NULL) {
    *out_id = id;
  }
  return st;
}

static carm_status query_int(carm_board *b, const char *sql, int64_t arg, int64_t *out) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(b->db, sql, -1, &s, NULL) != SQLITE_OK) {
    return db_err(b->db, "prepare");
  }
  sqlite3_bind_int64(s, 1, arg);
  int rc = sqlite3_step(s);
  carm_status st = CARM_OK;
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(s, 0);
  } else if (rc == SQLITE_DONE) {
    st = CARM_ERR_NOTFOUND;
  } else {
    st = db_err(b->db, "query");
  }
  sqlite3_finalize(s);
  return st;
}

carm_status carm_board_meeting_specialties(carm_board *b, int64_t meeting_id, int *out_n) {
  if (b == NULL || out_n == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL argument");
  }
  int64_t exists = 0;
  carm_status st = query_int(b, "SELECT id FROM meetings WHERE id = ?", meeting_id, &exists);
  if (st == CARM_ERR_NOTFOUND) {
    return carm_error(CARM_ERR_NOTFOUND, "board store: no meeting %lld", (long long)meeting_id);
  }
  if (st != CARM_OK) {
    return st;
  }
  int64_t n = 0;
  st = query_int(b, "SELECT count(DISTINCT specialty) FROM attendees WHERE meeting_id = ?",
                 meeting_id, &n);
  if (st != CARM_OK) {
    return st;
  }
  *out_n = (int)n;
  return CARM_OK;
}

/* Whether `chosen` is one of the options in `list` ("a or b or c"),
 * case-insensitively. */
static int option_among(const char *chosen, const char *list) {
  const char *p = list;
  size_t n = strlen(chosen);
  while (*p != '\0') {
    const char *e = strstr(p, " or ");
    size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
    if (len == n && strncasecmp(p, chosen, n) == 0) {
      return 1;
    }
    if (e == NULL) {
      break;
    }
    p = e + 4;
  }
  return 0;
}

/* The recommended options of the latest stored BCLC result, " or "-joined. */
static carm_status latest_bclc_options(carm_board *b, int64_t pid, char *out, size_t size) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(b->db,
                         "SELECT result_json FROM scores WHERE patient_id = ? AND calculator = "
                         "'bclc' ORDER BY computed_on DESC, id DESC LIMIT 1",
                         -1, &s, NULL) != SQLITE_OK) {
    return db_err(b->db, "prepare");
  }
  sqlite3_bind_int64(s, 1, pid);
  carm_status st = CARM_OK;
  json_t *j = NULL;
  if (sqlite3_step(s) == SQLITE_ROW) {
    j = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
  } else {
    st = carm_error(CARM_ERR_INVALID, "board store: guideline=bclc but no BCLC result is stored "
                                      "for this patient (run `carm board stage` first)");
  }
  sqlite3_finalize(s);
  if (st != CARM_OK) {
    return st;
  }
  out[0] = '\0';
  json_t *opts = json_object_get(j, "options");
  for (size_t i = 0; i < json_array_size(opts); i++) {
    json_t *o = json_array_get(opts, i);
    const char *role = json_string_value(json_object_get(o, "role"));
    const char *name = json_string_value(json_object_get(o, "option"));
    if (role != NULL && name != NULL && strcmp(role, "recommended") == 0) {
      size_t len = strlen(out);
      snprintf(out + len, size - len, "%s%s", len > 0 ? " or " : "", name);
    }
  }
  json_decref(j);
  if (out[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "board store: the stored BCLC result names no "
                                        "recommended option");
  }
  return CARM_OK;
}

carm_status carm_board_decide(carm_board *b, const carm_board_decision *d, int64_t *out_id) {
  if (b == NULL || d == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL argument");
  }
  if (empty(d->chosen_option) || empty(d->rationale)) {
    return carm_error(CARM_ERR_INVALID, "board store: a decision needs the chosen option and "
                                        "its rationale");
  }
  if (d->follow_up_on != NULL && !valid_date(d->follow_up_on)) {
    return carm_error(CARM_ERR_INVALID, "board store: follow-up date must be YYYY-MM-DD");
  }
  carm_status st = begin(b);
  if (st != CARM_OK) {
    return st;
  }
  int64_t pid = 0;
  int64_t id = 0;
  st = patient_id(b, d->pseudonym, &pid);
  if (st == CARM_OK) {
    int n = 0;
    st = carm_board_meeting_specialties(b, d->meeting_id, &n);
    if (st == CARM_OK && n < CARM_BOARD_QUORUM) {
      st = carm_error(CARM_ERR_INVALID,
                      "board store: meeting %lld has %d specialt%s: no quorum (at least %d)",
                      (long long)d->meeting_id, n, n == 1 ? "y" : "ies", CARM_BOARD_QUORUM);
    }
  }
  /* The guideline option: as given, or "bclc" for the recommended options
   * of the patient's latest stored BCLC result. */
  char guideline[512] = "";
  if (st == CARM_OK && !empty(d->guideline_option)) {
    if (strcasecmp(d->guideline_option, "bclc") == 0) {
      st = latest_bclc_options(b, pid, guideline, sizeof guideline);
    } else {
      snprintf(guideline, sizeof guideline, "%s", d->guideline_option);
    }
  }
  if (st == CARM_OK && guideline[0] != '\0' && !option_among(d->chosen_option, guideline) &&
      empty(d->deviation)) {
    st = carm_error(CARM_ERR_INVALID,
                    "board store: the chosen option '%s' deviates from the guideline option "
                    "'%s': say why (deviation)",
                    d->chosen_option, guideline);
  }
  if (st == CARM_OK && d->amends != 0) {
    int64_t owner = 0;
    carm_status q =
        query_int(b, "SELECT patient_id FROM decisions WHERE id = ?", d->amends, &owner);
    if (q == CARM_ERR_NOTFOUND) {
      st = carm_error(CARM_ERR_INVALID, "board store: decision %lld to amend does not exist",
                      (long long)d->amends);
    } else if (q != CARM_OK) {
      st = q;
    } else if (owner != pid) {
      st = carm_error(CARM_ERR_INVALID, "board store: decision %lld is another patient's",
                      (long long)d->amends);
    }
  }
  if (st == CARM_OK) {
    const void *args[] = {&pid,      &d->meeting_id, &d->amends,   d->chosen_option,
                          guideline, d->deviation,   d->rationale, d->follow_up,
                          b->actor,  d->follow_up_on};
    char types[11] = "iiitttttt?";
    types[2] = d->amends != 0 ? 'i' : 'n';
    types[4] = guideline[0] != '\0' ? 't' : 'n';
    types[5] = !empty(d->deviation) ? 't' : 'n';
    types[7] = !empty(d->follow_up) ? 't' : 'n';
    types[9] = d->follow_up_on != NULL ? 't' : 'n';
    st = run_sql(b,
                 "INSERT INTO decisions (patient_id, meeting_id, amends, chosen_option, "
                 "guideline_option, deviation, rationale, follow_up, decided_by, follow_up_on, "
                 "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " NOW_SQL ")",
                 types, args, &id);
  }
  if (st == CARM_OK) {
    char detail[160];
    if (d->amends != 0) {
      snprintf(detail, sizeof detail, "amends %lld: %s", (long long)d->amends, d->chosen_option);
    } else {
      snprintf(detail, sizeof detail, "%s", d->chosen_option);
    }
    st = audit(b, d->amends != 0 ? "amend-decision" : "decide", "decisions", id, detail);
  }
  st = finish(b, st);
  if (st == CARM_OK && out_id != NULL) {
    *out_id = id;
  }
  return st;
}

/* ---- reads ------------------------------------------------------------------ */

static carm_clinical_unit unit_from_name(const char *name) {
  for (int u = CARM_UNIT_MG_DL; u <= CARM_UNIT_RATIO; u++) {
    if (strcmp(name, carm_clinical_unit_name((carm_clinical_unit)u)) == 0) {
      return (carm_clinical_unit)u;
    }
  }
  return CARM_UNIT_NONE;
}

static void copy_date(char dst[11], const unsigned char *src) {
  snprintf(dst, 11, "%s", src != NULL ? (const char *)src : "");
}

static carm_clinical_flag flag_from(sqlite3_stmt *s, int col) {
  if (sqlite3_column_type(s, col) == SQLITE_NULL) {
    return CARM_FLAG_UNSET;
  }
  return sqlite3_column_int(s, col) != 0 ? CARM_FLAG_YES : CARM_FLAG_NO;
}

carm_status carm_board_case_get(carm_board *b, const char *pseudonym, const char *as_of,
                                carm_board_case *out) {
  if (b == NULL || out == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL argument");
  }
  if (!valid_date(as_of)) {
    return carm_error(CARM_ERR_INVALID, "board store: date must be YYYY-MM-DD");
  }
  carm_board_case c;
  memset(&c, 0, sizeof c);
  carm_board_state init = CARM_BOARD_STATE_INIT;
  c.state = init;
  carm_status st = exec(b->db, "BEGIN", "begin read");
  if (st != CARM_OK) {
    return st;
  }
  int64_t pid = 0;
  st = patient_id(b, pseudonym, &pid);
  sqlite3_stmt *q = NULL;
  for (int a = 0; a < 6 && st == CARM_OK; a++) {
    if (sqlite3_prepare_v2(b->db,
                           "SELECT value, unit, taken_on FROM labs WHERE patient_id = ? AND "
                           "analyte = ? AND taken_on <= ? ORDER BY taken_on DESC, id DESC "
                           "LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK) {
      st = db_err(b->db, "prepare");
      break;
    }
    sqlite3_bind_int64(q, 1, pid);
    sqlite3_bind_text(q, 2, carm_clinical_analyte_name((carm_clinical_analyte)a), -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, as_of, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q) == SQLITE_ROW) {
      c.labs[a].value = sqlite3_column_double(q, 0);
      c.labs[a].unit = unit_from_name((const char *)sqlite3_column_text(q, 1));
      copy_date(c.lab_dates[a], sqlite3_column_text(q, 2));
    }
    sqlite3_finalize(q);
    q = NULL;
  }
  if (st == CARM_OK) {
    if (sqlite3_prepare_v2(b->db,
                           "SELECT ecog, ascites, encephalopathy, portal_hypertension, "
                           "vascular_invasion, extrahepatic, observed_on FROM clinical_state "
                           "WHERE patient_id = ? AND observed_on <= ? ORDER BY observed_on "
                           "DESC, id DESC LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK) {
      st = db_err(b->db, "prepare");
    } else {
      sqlite3_bind_int64(q, 1, pid);
      sqlite3_bind_text(q, 2, as_of, -1, SQLITE_TRANSIENT);
      if (sqlite3_step(q) == SQLITE_ROW) {
        c.has_state = 1;
        if (sqlite3_column_type(q, 0) != SQLITE_NULL) {
          c.state.ecog_ps = sqlite3_column_int(q, 0);
        }
        const char *asc = (const char *)sqlite3_column_text(q, 1);
        if (asc != NULL) {
          c.state.ascites = strcmp(asc, "none") == 0   ? CARM_ASCITES_NONE
                            : strcmp(asc, "mild") == 0 ? CARM_ASCITES_MILD
                                                       : CARM_ASCITES_MODERATE;
        }
        const char *he = (const char *)sqlite3_column_text(q, 2);
        if (he != NULL) {
          c.state.encephalopathy = strcmp(he, "none") == 0       ? CARM_HE_NONE
                                   : strcmp(he, "grade1-2") == 0 ? CARM_HE_GRADE_1_2
                                                                 : CARM_HE_GRADE_3_4;
        }
        c.state.portal_hypertension = flag_from(q, 3);
        c.state.vascular_invasion = flag_from(q, 4);
        c.state.extrahepatic = flag_from(q, 5);
        copy_date(c.state_date, sqlite3_column_text(q, 6));
      }
      sqlite3_finalize(q);
      q = NULL;
    }
  }
  if (st == CARM_OK) {
    if (sqlite3_prepare_v2(b->db,
                           "SELECT s.id, s.study_date, t.diameter_mm, t.volume_ml FROM tumours t "
                           "JOIN studies s ON s.id = t.study_id WHERE s.id = (SELECT s2.id FROM "
                           "studies s2 WHERE s2.patient_id = ? AND s2.study_date <= ? AND "
                           "EXISTS (SELECT 1 FROM tumours t2 WHERE t2.study_id = s2.id) ORDER "
                           "BY s2.study_date DESC, s2.id DESC LIMIT 1) ORDER BY t.id",
                           -1, &q, NULL) != SQLITE_OK) {
      st = db_err(b->db, "prepare");
    } else {
      sqlite3_bind_int64(q, 1, pid);
      sqlite3_bind_text(q, 2, as_of, -1, SQLITE_TRANSIENT);
      while (sqlite3_step(q) == SQLITE_ROW && c.n_tumours < 64) {
        c.study_id = sqlite3_column_int64(q, 0);
        copy_date(c.study_date, sqlite3_column_text(q, 1));
        c.diameters_mm[c.n_tumours] = sqlite3_column_double(q, 2);
        c.volumes_ml[c.n_tumours] =
            sqlite3_column_type(q, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 3);
        c.n_tumours++;
      }
      sqlite3_finalize(q);
    }
  }
  sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
  if (st == CARM_OK) {
    *out = c;
  }
  return st;
}

static const char *const tables[] = {"patients",  "labs",   "clinical_state", "studies",
                                     "tumours",   "scores", "meetings",       "attendees",
                                     "decisions", "audit",  "pictures"};

carm_status carm_board_count(carm_board *b, const char *table, int64_t *out_n) {
  if (b == NULL || table == NULL || out_n == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL argument");
  }
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
    if (strcmp(table, tables[i]) == 0) {
      char sql[64];
      snprintf(sql, sizeof sql, "SELECT count(*) + 0 * ? FROM %s", tables[i]);
      return query_int(b, sql, 0, out_n);
    }
  }
  return carm_error(CARM_ERR_INVALID, "board store: unknown table '%s'", table);
}

carm_status carm_board_check(carm_board *b) {
  if (b == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL handle");
  }
  const char *checks[] = {"PRAGMA integrity_check", "PRAGMA foreign_key_check"};
  for (int c = 0; c < 2; c++) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(b->db, checks[c], -1, &s, NULL) != SQLITE_OK) {
      return db_err(b->db, "prepare check");
    }
    int rc = sqlite3_step(s);
    carm_status st = CARM_OK;
    if (c == 0) {
      const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
      if (t == NULL || strcmp((const char *)t, "ok") != 0) {
        st = carm_error(CARM_ERR_FORMAT, "board store: integrity check: %s",
                        t != NULL ? (const char *)t : sqlite3_errmsg(b->db));
      }
    } else if (rc == SQLITE_ROW) {
      st = carm_error(CARM_ERR_FORMAT, "board store: foreign key violation in %s",
                      (const char *)sqlite3_column_text(s, 0));
    } else if (rc != SQLITE_DONE) {
      st = db_err(b->db, "foreign key check");
    }
    sqlite3_finalize(s);
    if (st != CARM_OK) {
      return st;
    }
  }
  return CARM_OK;
}

/* Run `sql` (one int64 parameter) and append each row as an object with the
 * column names as keys to a new JSON array. */
static json_t *rows_json(carm_board *b, const char *sql, int64_t arg) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(b->db, sql, -1, &s, NULL) != SQLITE_OK) {
    return NULL;
  }
  sqlite3_bind_int64(s, 1, arg);
  json_t *arr = json_array();
  int rc = sqlite3_step(s);
  for (; rc == SQLITE_ROW; rc = sqlite3_step(s)) {
    json_t *o = json_object();
    for (int c = 0; c < sqlite3_column_count(s); c++) {
      const char *name = sqlite3_column_name(s, c);
      json_t *v = NULL;
      switch (sqlite3_column_type(s, c)) {
      case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(s, c)); break;
      case SQLITE_FLOAT: v = json_real(sqlite3_column_double(s, c)); break;
      case SQLITE_TEXT:
        if (strcmp(name, "result") == 0 || strcmp(name, "decided_at") == 0) {
          v = json_loads((const char *)sqlite3_column_text(s, c), 0, NULL);
        } else {
          v = json_string((const char *)sqlite3_column_text(s, c));
        }
        break;
      default: v = json_null(); break;
      }
      json_object_set_new(o, name, v != NULL ? v : json_null());
    }
    json_array_append_new(arr, o);
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) {
    json_decref(arr);
    return NULL;
  }
  return arr;
}

/* Add `attendees` [{name, specialty}] and `quorum` to a meeting object that
 * holds `id` and `specialties`. */
static carm_status meeting_fill(carm_board *b, json_t *m) {
  json_int_t id = json_integer_value(json_object_get(m, "id"));
  json_t *att = rows_json(b,
                          "SELECT name, specialty FROM attendees WHERE meeting_id = ? ORDER BY "
                          "specialty, name, id",
                          (int64_t)id);
  if (att == NULL) {
    return db_err(b->db, "attendees");
  }
  json_object_set_new(m, "attendees", att);
  json_int_t n = json_integer_value(json_object_get(m, "specialties"));
  json_object_set_new(m, "quorum", json_boolean(n >= CARM_BOARD_QUORUM));
  json_object_set_new(m, "quorum_needed", json_integer(CARM_BOARD_QUORUM));
  return CARM_OK;
}

static carm_status dump(json_t *o, char **out_json) {
  char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(o);
  if (text == NULL) {
    return carm_error(CARM_ERR_NOMEM, "board store: cannot format JSON");
  }
  *out_json = text;
  return CARM_OK;
}

carm_status carm_board_meeting_show(carm_board *b, int64_t meeting_id, char **out_json) {
  if (b == NULL || out_json == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL argument");
  }
  carm_status st = exec(b->db, "BEGIN", "begin read");
  if (st != CARM_OK) {
    return st;
  }
  json_t *rows = rows_json(b,
                           "SELECT m.id, m.held_on, (SELECT count(DISTINCT a.specialty) FROM "
                           "attendees a WHERE a.meeting_id = m.id) AS specialties FROM meetings "
                           "m WHERE m.id = ?",
                           meeting_id);
  if (rows == NULL) {
    st = db_err(b->db, "meeting");
  } else if (json_array_size(rows) == 0) {
    st = carm_error(CARM_ERR_NOTFOUND, "board store: no meeting %lld", (long long)meeting_id);
  } else {
    st = meeting_fill(b, json_array_get(rows, 0));
  }
  sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
  json_t *m = st == CARM_OK ? json_incref(json_array_get(rows, 0)) : NULL;
  json_decref(rows);
  if (st != CARM_OK) {
    return st;
  }
  return dump(m, out_json);
}

/* The key figures of every case: the latest stored result of each
 * calculator and the tumours of the latest study with tumours. */
#define LATEST(calc, path)                                                                         \
  "(SELECT json_extract(result_json, '" path "') FROM scores WHERE patient_id = p.id AND "         \
  "calculator = '" calc "' ORDER BY computed_on DESC, id DESC LIMIT 1)"
#define LATEST_STUDY                                                                               \
  "(SELECT s.id FROM studies s WHERE s.patient_id = p.id AND EXISTS (SELECT 1 FROM tumours t "     \
  "WHERE t.study_id = s.id) ORDER BY s.study_date DESC, s.id DESC LIMIT 1)"
/* clang-format off */
static const char list_sql[] =
    "SELECT p.pseudonym, "
    LATEST("bclc", "$.stage") " AS stage, "
    LATEST("child-pugh", "$.class") " AS child_pugh_class, "
    LATEST("child-pugh", "$.score") " AS child_pugh_score, "
    LATEST("meld", "$.score") " AS meld, "
    LATEST("meld-na", "$.score") " AS meld_na, "
    LATEST("meld3", "$.score") " AS meld3, "
    LATEST("albi", "$.grade") " AS albi_grade, "
    "(SELECT count(*) FROM tumours t WHERE t.study_id = " LATEST_STUDY ") AS tumours, "
    "(SELECT max(t.diameter_mm) FROM tumours t WHERE t.study_id = " LATEST_STUDY ") AS largest_mm, "
    "(SELECT count(*) FROM decisions d WHERE d.patient_id = p.id) AS decisions, "
    "(SELECT d.chosen_option FROM decisions d WHERE d.patient_id = p.id "
    "ORDER BY d.id DESC LIMIT 1) AS last_option, "
    "(SELECT json_group_array(DISTINCT d.meeting_id) FROM decisions d "
    "WHERE d.patient_id = p.id) AS decided_at "
    "FROM patients p WHERE ? IS NOT NULL ORDER BY p.pseudonym";
/* clang-format on */
#undef LATEST
#undef LATEST_STUDY

carm_status carm_board_list(carm_board *b, char **out_json) {
  if (b == NULL || out_json == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL argument");
  }
  carm_status st = exec(b->db, "BEGIN", "begin read");
  if (st != CARM_OK) {
    return st;
  }
  /* rows_json binds one int64; `? IS NOT NULL` uses it harmlessly. */
  json_t *cases = rows_json(b, list_sql, 0);
  json_t *meetings = rows_json(b,
                               "SELECT m.id, m.held_on, (SELECT count(DISTINCT a.specialty) FROM "
                               "attendees a WHERE a.meeting_id = m.id) AS specialties FROM "
                               "meetings m WHERE ? IS NOT NULL ORDER BY m.held_on DESC, m.id DESC",
                               0);
  if (cases == NULL || meetings == NULL) {
    st = db_err(b->db, "list");
  }
  for (size_t i = 0; st == CARM_OK && i < json_array_size(meetings); i++) {
    st = meeting_fill(b, json_array_get(meetings, i));
  }
  sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
  if (st != CARM_OK) {
    json_decref(cases);
    json_decref(meetings);
    return st;
  }
  json_t *o = json_object();
  json_object_set_new(o, "schema_version", json_integer(b->version));
  json_object_set_new(o, "cases", cases);
  json_object_set_new(o, "meetings", meetings);
  return dump(o, out_json);
}

carm_status carm_board_add_picture(carm_board *b, const char *pseudonym, int64_t study_id,
                                   const char *png_path, const char *caption, int64_t *out_id) {
  if (b == NULL || png_path == NULL || png_path[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "board store: a picture needs a PNG file");
  }
  if (caption != NULL && strlen(caption) > 200) {
    return carm_error(CARM_ERR_RANGE, "board store: caption longer than 200 characters");
  }
  FILE *f = fopen(png_path, "rb");
  if (f == NULL) {
    return carm_error(CARM_ERR_IO, "board store: cannot read picture %s", png_path);
  }
  unsigned char *data = malloc(CARM_BOARD_PICTURE_MAX_BYTES + 1);
  size_t size = data != NULL ? fread(data, 1, CARM_BOARD_PICTURE_MAX_BYTES + 1, f) : 0;
  fclose(f);
  if (data == NULL) {
    return carm_error(CARM_ERR_NOMEM, "board store: out of memory");
  }
  if (size > CARM_BOARD_PICTURE_MAX_BYTES) {
    free(data);
    return carm_error(CARM_ERR_RANGE, "board store: picture %s is over %d MiB", png_path,
                      CARM_BOARD_PICTURE_MAX_BYTES >> 20);
  }
  /* A whole, decodable PNG only (carm_picture_read_png decodes it). */
  carm_picture *pic = NULL;
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size < 8 || memcmp(data, sig, 8) != 0 || carm_picture_read_png(&pic, png_path) != CARM_OK) {
    free(data);
    return carm_error(CARM_ERR_FORMAT, "board store: %s is not a readable PNG", png_path);
  }
  int64_t w = pic->width;
  int64_t h = pic->height;
  carm_picture_destroy(pic);
  const char *base = strrchr(png_path, '/');
  base = base != NULL ? base + 1 : png_path;
  carm_status st = begin(b);
  if (st != CARM_OK) {
    free(data);
    return st;
  }
  int64_t pid = 0;
  int64_t id = 0;
  st = patient_id(b, pseudonym, &pid);
  if (st == CARM_OK && study_id != 0) {
    int64_t owner = 0;
    carm_status q = query_int(b, "SELECT patient_id FROM studies WHERE id = ?", study_id, &owner);
    if (q == CARM_ERR_NOTFOUND || (q == CARM_OK && owner != pid)) {
      st = carm_error(CARM_ERR_INVALID, "board store: study %lld is not one of '%s'",
                      (long long)study_id, pseudonym);
    } else {
      st = q;
    }
  }
  if (st == CARM_OK) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(b->db,
                           "INSERT INTO pictures (patient_id, study_id, caption, file_name, "
                           "width, height, png, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, " NOW_SQL
                           ")",
                           -1, &s, NULL) != SQLITE_OK) {
      st = db_err(b->db, "prepare");
    } else {
      sqlite3_bind_int64(s, 1, pid);
      if (study_id != 0) {
        sqlite3_bind_int64(s, 2, study_id);
      } else {
        sqlite3_bind_null(s, 2);
      }
      sqlite3_bind_text(s, 3, caption != NULL ? caption : "", -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(s, 4, base, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(s, 5, w);
      sqlite3_bind_int64(s, 6, h);
      sqlite3_bind_blob(s, 7, data, (int)size, SQLITE_TRANSIENT);
      if (sqlite3_step(s) != SQLITE_DONE) {
        st = db_err(b->db, "add picture");
      } else {
        id = sqlite3_last_insert_rowid(b->db);
      }
      sqlite3_finalize(s);
    }
  }
  free(data);
  if (st == CARM_OK) {
    char detail[160];
    snprintf(detail, sizeof detail, "%.100s %lldx%lld", base, (long long)w, (long long)h);
    st = audit(b, "add-picture", "pictures", id, detail);
  }
  st = finish(b, st);
  if (st == CARM_OK && out_id != NULL) {
    *out_id = id;
  }
  return st;
}

carm_status carm_board_picture_png(carm_board *b, int64_t picture_id, void **out_data,
                                   size_t *out_size) {
  if (b == NULL || out_data == NULL || out_size == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL argument");
  }
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(b->db, "SELECT png FROM pictures WHERE id = ?", -1, &s, NULL) !=
      SQLITE_OK) {
    return db_err(b->db, "prepare");
  }
  sqlite3_bind_int64(s, 1, picture_id);
  carm_status st = CARM_OK;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    size_t n = (size_t)sqlite3_column_bytes(s, 0);
    void *d = malloc(n > 0 ? n : 1);
    if (d == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "board store: out of memory");
    } else {
      if (n > 0) {
        memcpy(d, sqlite3_column_blob(s, 0), n);
      }
      *out_data = d;
      *out_size = n;
    }
  } else if (rc == SQLITE_DONE) {
    st = carm_error(CARM_ERR_NOTFOUND, "board store: no picture %lld", (long long)picture_id);
  } else {
    st = db_err(b->db, "read picture");
  }
  sqlite3_finalize(s);
  return st;
}

carm_status carm_board_show(carm_board *b, const char *pseudonym, char **out_json) {
  if (b == NULL || out_json == NULL) {
    return carm_error(CARM_ERR_INVALID, "board store: NULL argument");
  }
  /* One read transaction: a consistent snapshot. */
  carm_status st = exec(b->db, "BEGIN", "begin read");
  if (st != CARM_OK) {
    return st;
  }
  int64_t pid = 0;
  st = patient_id(b, pseudonym, &pid);
  json_t *o = NULL;
  if (st == CARM_OK) {
    o = json_object();
    json_object_set_new(o, "pseudonym", json_string(pseudonym));
    json_object_set_new(o, "schema_version", json_integer(b->version));
    struct {
      const char *key;
      const char *sql;
    } parts[] = {
        {"labs", "SELECT id, taken_on, analyte, value, unit FROM labs WHERE patient_id = ? "
                 "ORDER BY taken_on, id"},
        {"state", "SELECT id, observed_on, ecog, ascites, encephalopathy, portal_hypertension, "
                  "vascular_invasion, extrahepatic FROM clinical_state WHERE patient_id = ? "
                  "ORDER BY observed_on, id"},
        {"studies", "SELECT s.id AS study, s.study_date, s.modality, t.label, t.diameter_mm, "
                    "t.viable_diameter_mm, t.volume_ml, t.segment, t.enhancing FROM studies s "
                    "LEFT JOIN tumours t ON t.study_id = s.id WHERE s.patient_id = ? "
                    "ORDER BY s.study_date, s.id, t.id"},
        {"scores", "SELECT id, computed_on, calculator, result_json AS result FROM scores "
                   "WHERE patient_id = ? ORDER BY computed_on, id"},
        {"decisions",
         "SELECT d.id, d.meeting_id, m.held_on, d.amends, (SELECT max(a.id) FROM decisions a "
         "WHERE a.amends = d.id) AS amended_by, d.chosen_option, d.guideline_option, "
         "d.deviation, d.rationale, d.follow_up, d.follow_up_on, d.decided_by, d.created_at "
         "FROM decisions d JOIN meetings m ON m.id = d.meeting_id WHERE d.patient_id = ? "
         "ORDER BY d.id"},
        {"pictures", "SELECT id, study_id, caption, file_name, width, height, length(png) AS "
                     "bytes, created_at FROM pictures WHERE patient_id = ? ORDER BY id"},
        {"meetings", "SELECT m.id, m.held_on, (SELECT count(DISTINCT a.specialty) FROM attendees "
                     "a WHERE a.meeting_id = m.id) AS specialties FROM meetings m WHERE m.id IN "
                     "(SELECT meeting_id FROM decisions WHERE patient_id = ?) ORDER BY m.id"},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && st == CARM_OK; i++) {
      json_t *arr = rows_json(b, parts[i].sql, pid);
      if (arr == NULL) {
        st = db_err(b->db, parts[i].key);
      } else {
        json_object_set_new(o, parts[i].key, arr);
      }
    }
  }
  /* Each meeting with its attendees and whether it was quorate. */
  json_t *meetings = json_object_get(o, "meetings");
  for (size_t i = 0; st == CARM_OK && i < json_array_size(meetings); i++) {
    st = meeting_fill(b, json_array_get(meetings, i));
  }
  sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
  if (st != CARM_OK) {
    json_decref(o);
    return st;
  }
  return dump(o, out_json);
}
