/* The tumour-board case store: schema and migrations, append-only
 * decisions, quorum, audit, two processes writing at once, a writer killed
 * in the middle of a transaction. */
#include "carm/board.h"
#include "clin_test.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char g_dir[256];

static void path_in(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", g_dir, name);
}

static int64_t count(carm_board *db, const char *table) {
  int64_t n = -1;
  if (carm_board_count(db, table, &n) != CARM_OK) {
    return -1;
  }
  return n;
}

/* One integer from raw SQL on the file. */
static int64_t raw_int(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  int64_t v = -1;
  if (sqlite3_open(path, &db) == SQLITE_OK) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return v;
}

/* Run raw SQL; returns the SQLite code and copies the message. */
static int raw_exec(const char *path, const char *sql, char *msg, size_t size) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open(path, &db);
  if (rc == SQLITE_OK) {
    char *m = NULL;
    rc = sqlite3_exec(db, sql, NULL, NULL, &m);
    snprintf(msg, size, "%s", m != NULL ? m : "");
    sqlite3_free(m);
  }
  sqlite3_close(db);
  return rc;
}

static int64_t quorate_meeting(carm_board *db) {
  const char *names[] = {"Dr A", "Dr B", "Dr C", "Dr D"};
  const char *spec[] = {"Hepatology", "surgery", "interventional radiology", "hepatology "};
  int64_t id = 0;
  CHECK(carm_board_add_meeting(db, "2026-11-20", names, spec, 4, &id) == CARM_OK);
  return id;
}

static void writer(const char *path, const char *patient, int n) {
  carm_board *db = NULL;
  if (carm_board_open(&db, path, patient) != CARM_OK) {
    _exit(3);
  }
  for (int i = 0; i < n; i++) {
    carm_clinical_lab lab = L(1.0 + 0.01 * i, MG);
    if (carm_board_add_lab(db, patient, "2026-11-01", CARM_LAB_BILIRUBIN, &lab, NULL) != CARM_OK) {
      fprintf(stderr, "writer %s: %s\n", patient, carm_last_error());
      _exit(4);
    }
  }
  carm_board_close(db);
  _exit(0);
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "%s", "/tmp/carm-board-XXXXXX");
  if (mkdtemp(g_dir) == NULL) {
    return 1;
  }
  char path[300];
  char msg[256];
  path_in(path, sizeof path, "case.db");

  /* ---- open, patients ---- */
  carm_board *db = NULL;
  CHECK(carm_board_open(&db, path, "") == CARM_ERR_INVALID); /* an actor is required */
  CHECK(carm_board_open(&db, path, "tester") == CARM_OK);
  CHECK(carm_board_schema_version(db) == CARM_BOARD_SCHEMA_VERSION);
  CHECK(raw_int(path, "PRAGMA user_version") == CARM_BOARD_SCHEMA_VERSION);
  int64_t id = 0;
  CHECK(carm_board_add_patient(db, "HCC-0001", &id) == CARM_OK && id > 0);
  CHECK(carm_board_add_patient(db, "HCC-0001", NULL) == CARM_ERR_INVALID);
  CHECK(detail_has("already exists"));
  CHECK(carm_board_add_patient(db, "John Smith", NULL) == CARM_ERR_INVALID); /* space */
  CHECK(carm_board_add_patient(db, "", NULL) == CARM_ERR_INVALID);
  CHECK(carm_board_add_patient(db, "HCC-0002", NULL) == CARM_OK);

  /* ---- labs, state, study, score ---- */
  carm_clinical_lab bili = L(43.0, UMOL);
  CHECK(carm_board_add_lab(db, "HCC-0001", "2026-11-18", CARM_LAB_BILIRUBIN, &bili, NULL) ==
        CARM_OK);
  carm_clinical_lab alb = L(30.0, GL);
  CHECK(carm_board_add_lab(db, "HCC-0001", "2026-11-18", CARM_LAB_ALBUMIN, &alb, NULL) == CARM_OK);
  CHECK(carm_board_add_lab(db, "HCC-0001", "2026-13-01", CARM_LAB_ALBUMIN, &alb, NULL) ==
        CARM_ERR_INVALID); /* month 13 */
  CHECK(carm_board_add_lab(db, "HCC-9999", "2026-11-18", CARM_LAB_ALBUMIN, &alb, NULL) ==
        CARM_ERR_NOTFOUND);
  carm_clinical_lab bad = L(-1.0, MG);
  CHECK(carm_board_add_lab(db, "HCC-0001", "2026-11-18", CARM_LAB_BILIRUBIN, &bad, NULL) ==
        CARM_ERR_RANGE);
  /* A batch is all or nothing: a bad second value stores neither. */
  carm_clinical_analyte batch_a[2] = {CARM_LAB_INR, CARM_LAB_SODIUM};
  carm_clinical_lab batch_v[2] = {L(1.2, RATIO), L(300.0, MMOL)};
  int64_t batch_ids[2] = {0, 0};
  CHECK(carm_board_add_labs(db, "HCC-0001", "2026-11-18", 2, batch_a, batch_v, batch_ids) ==
        CARM_ERR_RANGE);
  CHECK(count(db, "labs") == 2);
  batch_v[1] = L(135.0, MMOL);
  CHECK(carm_board_add_labs(db, "HCC-0001", "2026-11-18", 2, batch_a, batch_v, batch_ids) ==
        CARM_OK);
  CHECK(count(db, "labs") == 4 && batch_ids[1] == batch_ids[0] + 1);
  CHECK(raw_int(path, "SELECT unit = 'umol/L' AND value = 43 FROM labs WHERE "
                      "analyte = 'bilirubin'") == 1);
  carm_board_state state = CARM_BOARD_STATE_INIT;
  state.ecog_ps = 0;
  state.ascites = CARM_ASCITES_MILD;
  state.portal_hypertension = CARM_FLAG_NO;
  CHECK(carm_board_set_state(db, "HCC-0001", "2026-11-18", &state, NULL) == CARM_OK);
  CHECK(raw_int(path, "SELECT count(*) FROM clinical_state WHERE ecog = 0 AND ascites = 'mild' "
                      "AND encephalopathy IS NULL AND portal_hypertension = 0") == 1);
  carm_board_tumour t[2] = {{"T1", 25.0, 20.0, 8.2, "8", CARM_FLAG_YES},
                            {"T2", 18.0, NAN, NAN, NULL, CARM_FLAG_UNSET}};
  CHECK(carm_board_add_study(db, "HCC-0001", "2026-11-17", "CBCT", t, 2, NULL) == CARM_OK);
  t[1].diameter_mm = 0.0;
  CHECK(carm_board_add_study(db, "HCC-0001", "2026-11-17", "CBCT", t, 2, NULL) == CARM_ERR_RANGE);
  CHECK(count(db, "tumours") == 2);
  CHECK(carm_board_add_score(db, "HCC-0001", "2026-11-18", "child-pugh",
                             "{\"score\": 8, \"class\": \"B\"}", NULL) == CARM_OK);
  CHECK(carm_board_add_score(db, "HCC-0001", "2026-11-18", "child-pugh", "{not json", NULL) ==
        CARM_ERR_INVALID);

  /* ---- meetings and quorum ---- */
  const char *two_names[] = {"Dr A", "Dr B", "Dr C"};
  const char *two_spec[] = {"surgery", "Surgery", "oncology"}; /* 2 distinct */
  int64_t small = 0;
  CHECK(carm_board_add_meeting(db, "2026-11-20", two_names, two_spec, 3, &small) == CARM_OK);
  int nspec = 0;
  CHECK(carm_board_meeting_specialties(db, small, &nspec) == CARM_OK && nspec == 2);
  int64_t meeting = quorate_meeting(db);
  CHECK(carm_board_meeting_specialties(db, meeting, &nspec) == CARM_OK && nspec == 3);
  CHECK(carm_board_meeting_specialties(db, 999, &nspec) == CARM_ERR_NOTFOUND);

  /* ---- decisions ---- */
  carm_board_decision d = {"HCC-0001",         small,        "ablation",
                           "ablation",         NULL,         "BCLC A, not a transplant candidate",
                           "CBCT in 3 months", "2027-02-20", 0};
  CHECK(carm_board_decide(db, &d, &id) == CARM_ERR_INVALID && detail_has("quorum"));
  d.meeting_id = meeting;
  int64_t first = 0;
  CHECK(carm_board_decide(db, &d, &first) == CARM_OK);
  /* Deviation from the guideline needs a reason. */
  carm_board_decision dev = d;
  dev.chosen_option = "TACE";
  dev.amends = first;
  CHECK(carm_board_decide(db, &dev, &id) == CARM_ERR_INVALID && detail_has("deviat"));
  dev.deviation = "nodule abutting the gallbladder: ablation unsafe";
  int64_t second = 0;
  CHECK(carm_board_decide(db, &dev, &second) == CARM_OK && second > first);
  CHECK(raw_int(path, "SELECT amends FROM decisions ORDER BY id DESC LIMIT 1") == first);
  /* Amending a missing decision, or another patient's. */
  dev.amends = 9999;
  CHECK(carm_board_decide(db, &dev, &id) == CARM_ERR_INVALID && detail_has("does not exist"));
  carm_board_decision other = d;
  other.pseudonym = "HCC-0002";
  other.amends = first;
  CHECK(carm_board_decide(db, &other, &id) == CARM_ERR_INVALID && detail_has("another"));
  carm_board_decision empty = d;
  empty.rationale = "";
  CHECK(carm_board_decide(db, &empty, &id) == CARM_ERR_INVALID);
  CHECK(count(db, "decisions") == 2);
  /* guideline "bclc": needs a stored BCLC result; several recommended
   * options (stage C) are each acceptable without a deviation. */
  carm_board_decision g = d;
  g.guideline_option = "bclc";
  g.chosen_option = "durvalumab-tremelimumab";
  CHECK(carm_board_decide(db, &g, &id) == CARM_ERR_INVALID && detail_has("no BCLC result"));
  CHECK(
      carm_board_add_score(db, "HCC-0001", "2026-11-19", "bclc",
                           "{\"stage\": \"C\", \"options\": ["
                           "{\"option\": \"atezolizumab-bevacizumab\", \"role\": \"recommended\"},"
                           "{\"option\": \"durvalumab-tremelimumab\", \"role\": \"recommended\"},"
                           "{\"option\": \"sorafenib\", \"role\": \"alternative\"}]}",
                           NULL) == CARM_OK);
  CHECK(carm_board_decide(db, &g, &id) == CARM_OK);
  CHECK(raw_int(path, "SELECT count(*) FROM decisions WHERE guideline_option = "
                      "'atezolizumab-bevacizumab or durvalumab-tremelimumab'") == 1);
  g.chosen_option = "sorafenib";
  CHECK(carm_board_decide(db, &g, &id) == CARM_ERR_INVALID && detail_has("deviates"));
  g.deviation = "autoimmune disease: no immunotherapy";
  CHECK(carm_board_decide(db, &g, &id) == CARM_OK);
  CHECK(count(db, "decisions") == 4);

  /* A decision cannot be modified or deleted in place, nor the audit log. */
  CHECK(raw_exec(path, "UPDATE decisions SET chosen_option = 'resection' WHERE id = 1", msg,
                 sizeof msg) != SQLITE_OK);
  CHECK(strstr(msg, "append-only") != NULL);
  CHECK(raw_exec(path, "DELETE FROM decisions", msg, sizeof msg) != SQLITE_OK);
  CHECK(strstr(msg, "append-only") != NULL);
  CHECK(raw_exec(path, "UPDATE audit SET actor = 'someone else'", msg, sizeof msg) != SQLITE_OK);
  CHECK(raw_exec(path, "DELETE FROM audit", msg, sizeof msg) != SQLITE_OK);
  CHECK(raw_int(path, "SELECT count(*) FROM decisions WHERE id = 1 AND chosen_option = "
                      "'ablation'") == 1);

  /* The audit log: one row per successful change, with the actor. 2
   * patients + 4 labs + 1 state + 1 study + 2 scores + 2 meetings + 4
   * decisions = 16. */
  CHECK(count(db, "audit") == 16);
  CHECK(raw_int(path, "SELECT count(*) FROM audit WHERE actor = 'tester'") == 16);
  CHECK(raw_int(path, "SELECT count(*) FROM audit WHERE action = 'amend-decision'") == 1);

  /* show: the case as JSON, the amendment chain visible. */
  char *json = NULL;
  CHECK(carm_board_show(db, "HCC-0001", &json) == CARM_OK);
  CHECK(json != NULL && strstr(json, "\"amended_by\": 2") != NULL);
  CHECK(json != NULL && strstr(json, "\"class\": \"B\"") != NULL);
  CHECK(json != NULL && strstr(json, "\"stage\": \"C\"") != NULL);
  CHECK(json != NULL && strstr(json, "\"segment\": \"8\"") != NULL);
  free(json);
  CHECK(carm_board_show(db, "HCC-4242", &json) == CARM_ERR_NOTFOUND);
  CHECK(carm_board_check(db) == CARM_OK);
  carm_board_close(db);
  carm_board_close(NULL);

  /* ---- migrations: a version-1 file is upgraded, its data kept ---- */
  char old[300];
  path_in(old, sizeof old, "old.db");
  CHECK(carm_board_create_version(old, 1) == CARM_OK);
  CHECK(carm_board_create_version(old, 1) == CARM_ERR_INVALID); /* exists */
  CHECK(raw_int(old, "PRAGMA user_version") == 1);
  CHECK(raw_int(old, "SELECT count(*) FROM sqlite_schema WHERE name = 'scores'") == 0);
  CHECK(raw_exec(old,
                 "INSERT INTO patients (pseudonym, created_at) VALUES ('OLD-1', '2025-01-01');"
                 "INSERT INTO labs (patient_id, taken_on, analyte, value, unit, created_at) "
                 "VALUES (1, '2025-01-01', 'albumin', 3.9, 'g/dL', '2025-01-01');",
                 msg, sizeof msg) == SQLITE_OK);
  CHECK(carm_board_open(&db, old, "tester") == CARM_OK);
  CHECK(carm_board_schema_version(db) == CARM_BOARD_SCHEMA_VERSION);
  CHECK(raw_int(old, "PRAGMA user_version") == CARM_BOARD_SCHEMA_VERSION);
  CHECK(count(db, "labs") == 1);
  CHECK(carm_board_add_score(db, "OLD-1", "2026-11-18", "albi", "{\"grade\": 1}", NULL) == CARM_OK);
  int64_t m2 = quorate_meeting(db);
  carm_board_decision od = {"OLD-1",     m2,   "surveillance", NULL, NULL,
                            "no tumour", NULL, "2027-05-01",   0};
  CHECK(carm_board_decide(db, &od, NULL) == CARM_OK);
  CHECK(raw_int(old, "SELECT count(*) FROM decisions WHERE follow_up_on = '2027-05-01'") == 1);
  CHECK(carm_board_check(db) == CARM_OK);
  carm_board_close(db);
  /* A migration that fails half-way leaves the file at its old version
   * with its data: in a v1 file where someone made an index named
   * labs_by_patient, migration 2 creates `scores`, adds
   * decisions.follow_up_on, then fails on its last statement; both earlier
   * changes must be rolled back. */
  char broken[300];
  path_in(broken, sizeof broken, "broken.db");
  CHECK(carm_board_create_version(broken, 1) == CARM_OK);
  CHECK(raw_exec(broken,
                 "INSERT INTO patients (pseudonym, created_at) VALUES ('KEEP', 'x');"
                 "CREATE INDEX labs_by_patient ON labs(value);",
                 msg, sizeof msg) == SQLITE_OK);
  CHECK(carm_board_open(&db, broken, "tester") == CARM_ERR_IO);
  CHECK(raw_int(broken, "PRAGMA user_version") == 1);
  CHECK(raw_int(broken, "SELECT count(*) FROM patients WHERE pseudonym = 'KEEP'") == 1);
  CHECK(raw_int(broken, "SELECT count(*) FROM pragma_table_info('decisions') WHERE name = "
                        "'follow_up_on'") == 0);
  CHECK(raw_int(broken, "SELECT count(*) FROM sqlite_schema WHERE name = 'scores'") == 0);
  /* Once the stray index is gone, the upgrade goes through. */
  CHECK(raw_exec(broken, "DROP INDEX labs_by_patient", msg, sizeof msg) == SQLITE_OK);
  CHECK(carm_board_open(&db, broken, "tester") == CARM_OK);
  CHECK(carm_board_schema_version(db) == CARM_BOARD_SCHEMA_VERSION);
  carm_board_close(db);

  /* A newer schema, or an SQLite file that is not a store, is refused. */
  CHECK(raw_exec(old, "PRAGMA user_version = 99", msg, sizeof msg) == SQLITE_OK);
  CHECK(carm_board_open(&db, old, "tester") == CARM_ERR_FORMAT && detail_has("newer"));
  char foreign[300];
  path_in(foreign, sizeof foreign, "foreign.db");
  CHECK(raw_exec(foreign, "CREATE TABLE x (a)", msg, sizeof msg) == SQLITE_OK);
  CHECK(carm_board_open(&db, foreign, "tester") == CARM_ERR_FORMAT);

  /* ---- two processes writing at once lose nothing ---- */
  char shared[300];
  path_in(shared, sizeof shared, "shared.db");
  CHECK(carm_board_open(&db, shared, "setup") == CARM_OK);
  CHECK(carm_board_add_patient(db, "P-A", NULL) == CARM_OK);
  CHECK(carm_board_add_patient(db, "P-B", NULL) == CARM_OK);
  carm_board_close(db);
  enum { PER_WRITER = 150 };
  pid_t a = fork();
  if (a == 0) {
    writer(shared, "P-A", PER_WRITER);
  }
  pid_t b = fork();
  if (b == 0) {
    writer(shared, "P-B", PER_WRITER);
  }
  int sa = -1;
  int sb = -1;
  waitpid(a, &sa, 0);
  waitpid(b, &sb, 0);
  CHECK(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
  CHECK(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
  CHECK(raw_int(shared, "SELECT count(*) FROM labs") == 2 * PER_WRITER);
  CHECK(raw_int(shared, "SELECT count(*) FROM audit WHERE action = 'add-lab'") == 2 * PER_WRITER);
  CHECK(raw_int(shared, "SELECT count(DISTINCT value) FROM labs l JOIN patients p ON "
                        "p.id = l.patient_id WHERE p.pseudonym = 'P-B'") == PER_WRITER);

  /* ---- a writer killed in the middle of a transaction ---- */
  /* (1) Killed with its transaction open: nothing of it remains. */
  pid_t k = fork();
  if (k == 0) {
    sqlite3 *raw = NULL;
    sqlite3_open(shared, &raw);
    sqlite3_exec(raw,
                 "BEGIN IMMEDIATE;"
                 "INSERT INTO patients (pseudonym, created_at) VALUES ('GHOST', 'x');"
                 "INSERT INTO audit (at, actor, action, tbl) VALUES ('x', 'k', 'add-patient',"
                 " 'patients');",
                 NULL, NULL, NULL);
    raise(SIGKILL);
    _exit(9);
  }
  int sk = 0;
  waitpid(k, &sk, 0);
  CHECK(WIFSIGNALED(sk) && WTERMSIG(sk) == SIGKILL);
  CHECK(carm_board_open(&db, shared, "checker") == CARM_OK);
  CHECK(carm_board_check(db) == CARM_OK);
  CHECK(raw_int(shared, "SELECT count(*) FROM patients WHERE pseudonym = 'GHOST'") == 0);
  /* The lock is gone: a new write goes through. */
  CHECK(carm_board_add_patient(db, "AFTER-KILL", NULL) == CARM_OK);
  carm_board_close(db);
  /* (2) A library writer killed at a random point of a stream of writes:
   * every lab row still has its audit row (same transaction). */
  int pipefd[2];
  CHECK(pipe(pipefd) == 0);
  pid_t w = fork();
  if (w == 0) {
    close(pipefd[0]);
    carm_board *wd = NULL;
    if (carm_board_open(&wd, shared, "doomed") != CARM_OK) {
      _exit(3);
    }
    for (int i = 0;; i++) {
      carm_clinical_lab lab = L(2.0 + 0.001 * (i % 1000), MG);
      carm_board_add_lab(wd, "P-A", "2026-11-02", CARM_LAB_BILIRUBIN, &lab, NULL);
      if (i == 5) {
        ssize_t wr = write(pipefd[1], "x", 1);
        (void)wr;
      }
    }
  }
  close(pipefd[1]);
  char c = 0;
  CHECK(read(pipefd[0], &c, 1) == 1); /* the writer is well under way */
  nanosleep(&(struct timespec){0, 30000000}, NULL);
  kill(w, SIGKILL);
  int sw = 0;
  waitpid(w, &sw, 0);
  close(pipefd[0]);
  CHECK(WIFSIGNALED(sw));
  CHECK(carm_board_open(&db, shared, "checker") == CARM_OK);
  CHECK(carm_board_check(db) == CARM_OK);
  int64_t labs_n = count(db, "labs");
  int64_t audit_n = raw_int(shared, "SELECT count(*) FROM audit WHERE action = 'add-lab'");
  CHECK_MSG(labs_n == audit_n, "labs %lld, add-lab audit rows %lld", (long long)labs_n,
            (long long)audit_n);
  CHECK(labs_n > 2 * PER_WRITER + 5);
  printf("killed writer: %lld labs committed before SIGKILL\n",
         (long long)(labs_n - 2 * PER_WRITER));
  carm_board_close(db);

  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) {
    fprintf(stderr, "could not remove %s\n", g_dir);
  }
  return check_done();
}
