/* Pieces of `carm board` shared between cmd_board.c (the dispatcher and
 * the calculators) and board_store.c (the case store subcommands). */
#ifndef CARM_CLI_BOARD_H
#define CARM_CLI_BOARD_H

#include <stdint.h>

/** Run `calc NAME key=value ...` (argv[0] = "calc", argv[1] = NAME) and
 * return its JSON object as text (malloc'd, caller frees). Prints errors to
 * stderr; returns CLI_OK, CLI_USAGE or CLI_FAIL. */
int board_calc_json(int argc, char **argv, char **out_text);

/** Silence board_calc_json's messages (they stay in carm_last_error()). */
void board_calc_quiet(int quiet);

/* The case-store subcommands (board_store.c); argv[0] is the name. */
int board_add_patient(int argc, char **argv);
int board_labs(int argc, char **argv);
int board_state(int argc, char **argv);
int board_study(int argc, char **argv);
int board_score(int argc, char **argv);
int board_meeting(int argc, char **argv);
int board_decide(int argc, char **argv);
int board_show(int argc, char **argv);
int board_stage(int argc, char **argv);
int board_pseudonym(int argc, char **argv);
int board_picture(int argc, char **argv);
int board_sheet(int argc, char **argv);

/** Attach `n` pictures ("PATH.png[:CAPTION]") to a new study. */
int board_study_pictures(const char *db_path, const char *actor, const char *pseudonym,
                         int64_t study, int n, const char *const *args);

/* Usage lines for the store subcommands, spliced into `carm board --help`. */
#define BOARD_STORE_USAGE                                                                          \
  "  add-patient --db FILE PSEUDONYM             a patient under a pseudonymous id\n"              \
  "  labs --db FILE PSEUDONYM date=YYYY-MM-DD bilirubin=.. albumin=.. inr=.. creatinine=..\n"      \
  "       sodium=.. afp=..                        lab values with their units\n"                   \
  "  state --db FILE PSEUDONYM date=.. ecog=.. ascites=.. encephalopathy=..\n"                     \
  "       portal_hypertension=.. vascular_invasion=.. extrahepatic=..\n"                           \
  "  study --db FILE PSEUDONYM date=.. modality=CBCT tumour=LABEL:DIAM_MM[:SEGMENT[:VOL_ML]] ..\n" \
  "       [picture=FILE.png[:CAPTION]] ..       pictures of the study, kept in the store\n"        \
  "  picture --db FILE PSEUDONYM FILE.png [caption=..] [study=ID]   attach a PNG to the case\n"    \
  "  score --db FILE PSEUDONYM date=.. NAME key=value ...   run a calculator, store its JSON\n"    \
  "  meeting --db FILE date=.. attendee=NAME:SPECIALTY ...  (quorum: 3 specialties)\n"             \
  "  decide --db FILE PSEUDONYM meeting=ID option=.. rationale=.. [guideline=..]\n"                \
  "       [deviation=..] [follow_up=..] [follow_up_on=YYYY-MM-DD] [amends=ID]\n"                   \
  "  show --db FILE PSEUDONYM                    the case as JSON\n"                               \
  "  stage --db FILE PSEUDONYM date=YYYY-MM-DD [sex=..] [dialysis=..] [transplant_candidate=..]\n" \
  "       [pattern=..] [ps_cancer_related=..]   every calculator on the stored case, stored\n"     \
  "  pseudonym --key-file FILE IDENTIFIER|-      keyed pseudonym (HMAC-SHA-256) for add-patient\n" \
  "  sheet --db FILE PSEUDONYM -o SHEET.pdf [--picture FILE.png[:CAPTION]] [--meeting ID]\n"       \
  "       [--date YYYY-MM-DD]                    the board sheet (A4 PDF), written atomically\n"   \
  "  (store options: --db FILE or $CARM_BOARD_DB; --actor NAME or $CARM_ACTOR / $USER)\n"

/* Rows spliced into the dispatcher table of cmd_board.c. */
/* clang-format off */
#define BOARD_STORE_SUBCOMMANDS \
  , {"add-patient", board_add_patient}, {"labs", board_labs}, {"state", board_state}, \
  {"study", board_study}, {"score", board_score}, {"meeting", board_meeting}, \
  {"decide", board_decide}, {"show", board_show}, {"stage", board_stage}, \
  {"pseudonym", board_pseudonym}, {"picture", board_picture}, {"sheet", board_sheet}
/* clang-format on */

#endif
