/**
 * @file board.h
 * @brief carm tumour-board case store (SQLite): patients under a
 * pseudonymous identifier, labs with dates and units, clinical state,
 * studies and tumour measurements, computed scores, meetings with
 * attendees, and append-only decisions, with an audit log.
 *
 * Schema: versioned migrations recorded in PRAGMA user_version (see
 * docs/clinical.md); opening a store upgrades it to
 * CARM_BOARD_SCHEMA_VERSION inside one transaction. The file is in WAL mode
 * with a busy timeout, so several processes may write at once; each call
 * below is one transaction (all or nothing) and writes its audit row in the
 * same transaction. Decisions and audit rows cannot be updated or deleted:
 * triggers abort any attempt; an amendment is a new decision that points at
 * the one it amends.
 *
 * Names stay out of the store: a patient is known only by a pseudonym of
 * 1–64 characters [A-Za-z0-9_-] chosen outside carm.
 *
 * Thread safety: one carm_board handle per thread; distinct handles (in one
 * or several processes) on the same file are safe.
 */
#ifndef CARM_BOARD_H
#define CARM_BOARD_H

#include "carm/clinical.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The schema version this carm writes (PRAGMA user_version). */
#define CARM_BOARD_SCHEMA_VERSION 3

/** Busy timeout of every handle, milliseconds. */
#define CARM_BOARD_BUSY_TIMEOUT_MS 10000

typedef struct carm_board carm_board;

/** Open (creating when absent) the store at `path`, upgrading its schema to
 * CARM_BOARD_SCHEMA_VERSION. `actor` (non-empty, ≤ 64 characters) is who
 * the audit log names for every change through this handle. Fails with
 * CARM_ERR_FORMAT for a file that is not a carm store or one from a newer
 * carm, CARM_ERR_IO when it cannot be opened. */
carm_status carm_board_open(carm_board **out, const char *path, const char *actor);

/** Create a new store at an older schema version (1 ≤ version ≤ current),
 * for migration tests and tools. Fails if `path` exists. */
carm_status carm_board_create_version(const char *path, int version);

/** Close a store. NULL-safe. */
void carm_board_close(carm_board *db);

/** The schema version of the open store. */
int carm_board_schema_version(const carm_board *db);

/** Add a patient; *out_id is its row id. CARM_ERR_INVALID for a bad
 * pseudonym or one already present. */
carm_status carm_board_add_patient(carm_board *db, const char *pseudonym, int64_t *out_id);

/** Record a lab value taken on `date` (YYYY-MM-DD); the value is checked
 * as carm_clinical_lab_check does and stored with its unit as given. */
carm_status carm_board_add_lab(carm_board *db, const char *pseudonym, const char *date,
                               carm_clinical_analyte analyte, const carm_clinical_lab *lab,
                               int64_t *out_id);

/** Record several lab values taken on one date in one transaction (all or
 * none); out_ids (may be NULL) receives the n row ids. */
carm_status carm_board_add_labs(carm_board *db, const char *pseudonym, const char *date, int n,
                                const carm_clinical_analyte *analytes,
                                const carm_clinical_lab *labs, int64_t *out_ids);

/** Clinical state observed on a date. Unset fields are stored as NULL. */
typedef struct carm_board_state {
  int ecog_ps; /**< 0–4, -1 not given */
  carm_ascites ascites;
  carm_encephalopathy encephalopathy;
  carm_clinical_flag portal_hypertension;
  carm_clinical_flag vascular_invasion;
  carm_clinical_flag extrahepatic;
} carm_board_state;

#define CARM_BOARD_STATE_INIT                                                                      \
  { -1, CARM_ASCITES_UNSET, CARM_HE_UNSET, CARM_FLAG_UNSET, CARM_FLAG_UNSET, CARM_FLAG_UNSET }

carm_status carm_board_set_state(carm_board *db, const char *pseudonym, const char *date,
                                 const carm_board_state *state, int64_t *out_id);

/** A study (imaging) and the tumours carm measured in it. */
typedef struct carm_board_tumour {
  const char *label;         /**< "T1" */
  double diameter_mm;        /**< longest diameter, > 0 */
  double viable_diameter_mm; /**< enhancing part (mRECIST), NaN unknown */
  double volume_ml;          /**< NaN unknown */
  const char *segment;       /**< Couinaud segment ("8"), NULL unknown */
  carm_clinical_flag enhancing;
} carm_board_tumour;

carm_status carm_board_add_study(carm_board *db, const char *pseudonym, const char *date,
                                 const char *modality, const carm_board_tumour *tumours,
                                 int n_tumours, int64_t *out_id);

/** Store a calculator's result (the JSON of `carm board calc`). */
carm_status carm_board_add_score(carm_board *db, const char *pseudonym, const char *date,
                                 const char *calculator, const char *result_json, int64_t *out_id);

/** Record a meeting held on `date` with its attendees (name, specialty). */
carm_status carm_board_add_meeting(carm_board *db, const char *date, const char *const *names,
                                   const char *const *specialties, int n_attendees,
                                   int64_t *out_id);

/** Minimum number of distinct specialties for a quorate meeting. */
#define CARM_BOARD_QUORUM 3

/** Number of distinct specialties at a meeting. */
carm_status carm_board_meeting_specialties(carm_board *db, int64_t meeting_id, int *out_n);

/** A decision. `guideline_option` is the guideline's recommended option
 * (may be NULL; "a or b" lists several), or "bclc" for the recommended
 * options of the patient's latest stored BCLC result (stored resolved);
 * when `chosen_option` is not among them, `deviation` must say why. `amends` is the id of the
 * decision this one amends (0: none); it must be the same patient's. */
typedef struct carm_board_decision {
  const char *pseudonym;
  int64_t meeting_id;
  const char *chosen_option;
  const char *guideline_option;
  const char *deviation;
  const char *rationale;
  const char *follow_up;    /**< free text, may be NULL */
  const char *follow_up_on; /**< YYYY-MM-DD or NULL (schema v2) */
  int64_t amends;
} carm_board_decision;

/** Append a decision. Refused (CARM_ERR_INVALID) when the meeting lacks a
 * quorum of CARM_BOARD_QUORUM specialties, when a required text is empty,
 * or when the amended decision does not exist or is another patient's. */
carm_status carm_board_decide(carm_board *db, const carm_board_decision *d, int64_t *out_id);

/** The patient's case as a JSON text (patient, labs, state, studies with
 * tumours, scores, decisions with their amendment chain, pictures without
 * their bytes, and the meetings of the decisions with their attendees and
 * quorum); *out_json is
 * allocated with malloc and belongs to the caller. */
carm_status carm_board_show(carm_board *db, const char *pseudonym, char **out_json);

/** The case list as JSON: {"schema_version", "cases": [{pseudonym, stage,
 * child_pugh_class, child_pugh_score, meld, meld_na, meld3, albi_grade
 * (each from the latest stored result of its calculator, null when none),
 * tumours and largest_mm (the latest study with tumours), decisions (count),
 * last_option, decided_at (meeting ids)}], "meetings": [{id, held_on,
 * specialties, quorum, quorum_needed, attendees: [{name, specialty}]}]}.
 * *out_json is malloc'd and belongs to the caller. */
carm_status carm_board_list(carm_board *db, char **out_json);

/** One meeting as JSON {id, held_on, specialties, quorum, quorum_needed,
 * attendees}; CARM_ERR_NOTFOUND when there is none with that id. */
carm_status carm_board_meeting_show(carm_board *db, int64_t meeting_id, char **out_json);

/** Largest PNG a case may hold, bytes. */
#define CARM_BOARD_PICTURE_MAX_BYTES (16 << 20)

/** Attach a picture (a PNG file, decoded to check it, at most
 * CARM_BOARD_PICTURE_MAX_BYTES; its bytes are kept in the store) to the
 * patient's case, optionally to one of the patient's studies (study_id 0:
 * none), with a caption (may be NULL, ≤ 200 characters). Schema v3. */
carm_status carm_board_add_picture(carm_board *db, const char *pseudonym, int64_t study_id,
                                   const char *png_path, const char *caption, int64_t *out_id);

/** The PNG bytes of a stored picture; *out_data is malloc'd and belongs to
 * the caller. CARM_ERR_NOTFOUND for an unknown id. */
carm_status carm_board_picture_png(carm_board *db, int64_t picture_id, void **out_data,
                                   size_t *out_size);

/* ---- the board sheet (PDF) ----------------------------------------------- */

/** Options of the board sheet; start with CARM_BOARD_SHEET_INIT. */
typedef struct carm_board_sheet_opts {
  int version;        /**< must be 1 */
  int64_t meeting_id; /**< a meeting to show besides those of the decisions (0: none) */
  int n_pictures;     /**< extra PNG files to include (besides the stored ones) */
  const char *const *picture_paths;
  const char *const *picture_captions; /**< may be NULL, or hold NULLs */
  const char *generated_on;            /**< date printed on the sheet; NULL: today (UTC) */
} carm_board_sheet_opts;

#define CARM_BOARD_SHEET_INIT                                                                      \
  { 1, 0, 0, NULL, NULL, NULL }

/** Write the board sheet of a case as an A4 PDF at `path`, atomically
 * (a temporary file in the same folder renamed over `path`; nothing is
 * left behind on failure): the pseudonym, clinical state and labs, the
 * latest stored result of each liver-function calculator with its inputs,
 * the tumour burden table of the latest study, the transplant criteria,
 * the BCLC stage with the options and their reasons, the pictures, every
 * decision in order (amendments shown as such; "no decision recorded"
 * when there is none) and the meetings with their attendees and quorum.
 * CARM_ERR_NOTFOUND for an unknown patient (no file is written),
 * CARM_ERR_FORMAT for an unreadable picture, CARM_ERR_IO when the file
 * cannot be written. `opts` NULL = defaults. */
carm_status carm_board_sheet(carm_board *db, const char *pseudonym,
                             const carm_board_sheet_opts *opts, const char *path);

/** What the store knows of a case as of a date: the latest value of each
 * lab, the latest clinical state and the tumours of the latest study with
 * tumours, each on or before `as_of`. */
typedef struct carm_board_case {
  carm_clinical_lab labs[6]; /**< indexed by carm_clinical_analyte; unit NONE: none */
  char lab_dates[6][11];
  int has_state;
  carm_board_state state;
  char state_date[11];
  int64_t study_id; /**< 0: no study with tumours */
  char study_date[11];
  int n_tumours;
  double diameters_mm[64];
  double volumes_ml[64]; /**< NaN where unknown */
} carm_board_case;

/** Gather the case of `pseudonym` as of `as_of` (YYYY-MM-DD). */
carm_status carm_board_case_get(carm_board *db, const char *pseudonym, const char *as_of,
                                carm_board_case *out);

/* ---- pseudonyms ---------------------------------------------------------- */

/** Size of a pseudonym buffer: "P-" + 20 hex digits + NUL. */
#define CARM_BOARD_PSEUDONYM_SIZE 23

/** A stable pseudonym for a hospital identifier: "P-" and the first 80
 * bits of HMAC-SHA-256(key, identifier) in hex. `key` is the site's secret
 * (≥ 16 bytes, kept outside the store); the same identifier and key always
 * give the same pseudonym, and the identifier cannot be recovered from it
 * without the key. */
carm_status carm_board_pseudonym(char out[CARM_BOARD_PSEUDONYM_SIZE], const void *key,
                                 size_t key_len, const char *identifier);

/** SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), exposed for tests. */
void carm_board_sha256(uint8_t out[32], const void *data, size_t size);
void carm_board_hmac_sha256(uint8_t out[32], const void *key, size_t key_len, const void *data,
                            size_t size);

/** Count the rows of one table (for tests and `carm board show`):
 * "patients", "labs", "clinical_state", "studies", "tumours", "scores",
 * "meetings", "attendees", "decisions", "audit", "pictures". */
carm_status carm_board_count(carm_board *db, const char *table, int64_t *out_n);

/** PRAGMA integrity_check and foreign_key_check; CARM_ERR_FORMAT with the
 * first problem when either reports one. */
carm_status carm_board_check(carm_board *db);

#ifdef __cplusplus
}
#endif

#endif
