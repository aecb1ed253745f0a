/* The tumour board over HTTP: the case list with key figures, a case, its
 * sheet (PDF, made on request into the case folder) and recording a
 * decision. Every read and write goes through the store's public API
 * (include/carm/board.h), one handle per request, so append-only decisions,
 * the quorum and deviation rules and the audit log hold as they do for the
 * CLI. */
#include "server/internal.h"

#include "carm/board.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BOARD_TEXT_MAX 4000

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
set_msg(server_board_reply *r, int status, const char *fmt, ...) {
  r->status = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->message, sizeof r->message, fmt, ap);
  va_end(ap);
}

/* HTTP status for a library status. */
static int http_of(carm_status st) {
  switch (st) {
  case CARM_ERR_INVALID:
  case CARM_ERR_RANGE:
  case CARM_ERR_FORMAT: return 400;
  case CARM_ERR_NOTFOUND: return 404;
  default: return 500;
  }
}

static void lib_msg(server_board_reply *r, carm_status st) {
  set_msg(r, http_of(st), "%s", carm_last_error());
}

static int valid_pseudonym(const char *p) {
  size_t n = strlen(p);
  if (n < 1 || n > 64) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-')) {
      return 0;
    }
  }
  return 1;
}

/* Open the store for one request; a missing file is a 404, never created
 * by a read. */
static carm_board *open_store(carm_server *srv, const char *actor, server_board_reply *r) {
  if (srv->board_db[0] == '\0' || access(srv->board_db, F_OK) != 0) {
    set_msg(r, 404,
            "no board store (start carm serve with --board DB, or put board.db in the "
            "case folder)");
    return NULL;
  }
  carm_board *db = NULL;
  carm_status st = carm_board_open(&db, srv->board_db, actor);
  if (st != CARM_OK) {
    lib_msg(r, st);
    return NULL;
  }
  return db;
}

static json_t *parse_reply(char *text, server_board_reply *r) {
  json_t *doc = json_loads(text, 0, NULL);
  free(text);
  if (doc == NULL) {
    set_msg(r, 500, "cannot read the store's JSON");
  }
  return doc;
}

json_t *server_board_list(carm_server *srv, server_board_reply *r) {
  r->status = 200;
  carm_board *db = open_store(srv, "carm-serve", r);
  if (db == NULL) {
    return NULL;
  }
  char *text = NULL;
  carm_status st = carm_board_list(db, &text);
  carm_board_close(db);
  if (st != CARM_OK) {
    lib_msg(r, st);
    return NULL;
  }
  return parse_reply(text, r);
}

json_t *server_board_case(carm_server *srv, const char *pseudonym, server_board_reply *r) {
  r->status = 200;
  if (!valid_pseudonym(pseudonym)) {
    set_msg(r, 400, "a pseudonym is 1-64 characters of A-Z a-z 0-9 _ -");
    return NULL;
  }
  carm_board *db = open_store(srv, "carm-serve", r);
  if (db == NULL) {
    return NULL;
  }
  char *text = NULL;
  carm_status st = carm_board_show(db, pseudonym, &text);
  carm_board_close(db);
  if (st != CARM_OK) {
    lib_msg(r, st);
    return NULL;
  }
  return parse_reply(text, r);
}

json_t *server_board_meeting(carm_server *srv, int64_t id, server_board_reply *r) {
  r->status = 200;
  carm_board *db = open_store(srv, "carm-serve", r);
  if (db == NULL) {
    return NULL;
  }
  char *text = NULL;
  carm_status st = carm_board_meeting_show(db, id, &text);
  carm_board_close(db);
  if (st != CARM_OK) {
    lib_msg(r, st);
    return NULL;
  }
  return parse_reply(text, r);
}

int server_board_sheet(carm_server *srv, const char *pseudonym, int64_t meeting,
                       char path[PATH_MAX], server_board_reply *r) {
  r->status = 200;
  if (!valid_pseudonym(pseudonym)) {
    set_msg(r, 400, "a pseudonym is 1-64 characters of A-Z a-z 0-9 _ -");
    return -1;
  }
  char dir[PATH_MAX];
  if (snprintf(dir, sizeof dir, "%s/board-sheets", srv->case_dir) >= (int)sizeof dir) {
    set_msg(r, 500, "case folder path too long");
    return -1;
  }
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    set_msg(r, 500, "cannot create %s", dir);
    return -1;
  }
  char out[PATH_MAX + 80];
  snprintf(out, sizeof out, "%s/%s.pdf", dir, pseudonym);
  if (strlen(out) >= PATH_MAX) {
    set_msg(r, 500, "case folder path too long");
    return -1;
  }
  carm_board *db = open_store(srv, "carm-serve", r);
  if (db == NULL) {
    return -1;
  }
  carm_board_sheet_opts o = CARM_BOARD_SHEET_INIT;
  o.meeting_id = meeting;
  carm_status st = carm_board_sheet(db, pseudonym, &o, out);
  carm_board_close(db);
  if (st != CARM_OK) {
    lib_msg(r, st);
    return -1;
  }
  memcpy(path, out, strlen(out) + 1);
  return 0;
}

/* A string member: absent → *out NULL; present → a non-empty string of at
 * most `max` bytes. Returns 0, or -1 with the reply set. */
static int opt_text(json_t *body, const char *key, size_t max, const char **out,
                    server_board_reply *r) {
  json_t *v = json_object_get(body, key);
  *out = NULL;
  if (v == NULL || json_is_null(v)) {
    return 0;
  }
  const char *s = json_string_value(v);
  if (s == NULL) {
    set_msg(r, 400, "'%s' must be a string", key);
    return -1;
  }
  if (strlen(s) > max) {
    set_msg(r, 400, "'%s' is too long", key);
    return -1;
  }
  *out = s[0] != '\0' ? s : NULL;
  return 0;
}

static int opt_id(json_t *body, const char *key, int64_t *out, server_board_reply *r) {
  json_t *v = json_object_get(body, key);
  *out = 0;
  if (v == NULL || json_is_null(v)) {
    return 0;
  }
  if (!json_is_integer(v) || json_integer_value(v) < 1) {
    set_msg(r, 400, "'%s' must be a positive integer id", key);
    return -1;
  }
  *out = (int64_t)json_integer_value(v);
  return 0;
}

json_t *server_board_decide(carm_server *srv, const char *pseudonym, json_t *body,
                            server_board_reply *r) {
  static const char *const keys[] = {"meeting",      "option",    "rationale",
                                     "guideline",    "deviation", "follow_up",
                                     "follow_up_on", "amends",    "actor"};
  r->status = 400;
  if (!valid_pseudonym(pseudonym)) {
    set_msg(r, 400, "a pseudonym is 1-64 characters of A-Z a-z 0-9 _ -");
    return NULL;
  }
  if (!json_is_object(body)) {
    set_msg(r, 400, "expected a JSON object {meeting, option, rationale, actor, ...}");
    return NULL;
  }
  const char *key;
  json_t *value;
  json_object_foreach(body, key, value) {
    int known = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      known |= strcmp(key, keys[i]) == 0;
    }
    if (!known) {
      set_msg(r, 400,
              "unknown key '%s' (expected meeting, option, rationale, actor, guideline, "
              "deviation, follow_up, follow_up_on, amends)",
              key);
      return NULL;
    }
  }
  carm_board_decision d;
  memset(&d, 0, sizeof d);
  d.pseudonym = pseudonym;
  const char *actor = NULL;
  if (opt_id(body, "meeting", &d.meeting_id, r) != 0 || opt_id(body, "amends", &d.amends, r) != 0 ||
      opt_text(body, "option", 200, &d.chosen_option, r) != 0 ||
      opt_text(body, "rationale", BOARD_TEXT_MAX, &d.rationale, r) != 0 ||
      opt_text(body, "guideline", 500, &d.guideline_option, r) != 0 ||
      opt_text(body, "deviation", BOARD_TEXT_MAX, &d.deviation, r) != 0 ||
      opt_text(body, "follow_up", BOARD_TEXT_MAX, &d.follow_up, r) != 0 ||
      opt_text(body, "follow_up_on", 10, &d.follow_up_on, r) != 0 ||
      opt_text(body, "actor", 64, &actor, r) != 0) {
    return NULL;
  }
  if (d.meeting_id == 0) {
    set_msg(r, 400, "'meeting' (the meeting id) is required");
    return NULL;
  }
  if (d.chosen_option == NULL || d.rationale == NULL) {
    set_msg(r, 400, "'option' and 'rationale' are required");
    return NULL;
  }
  if (actor == NULL) {
    set_msg(r, 400, "'actor' (who records the decision, for the audit log) is required");
    return NULL;
  }
  carm_board *db = open_store(srv, actor, r);
  if (db == NULL) {
    return NULL;
  }
  int64_t id = 0;
  carm_status st = carm_board_decide(db, &d, &id);
  carm_board_close(db);
  if (st != CARM_OK) {
    lib_msg(r, st);
    return NULL;
  }
  r->status = 201;
  return json_pack("{s:I, s:s, s:I, s:I}", "decision", (json_int_t)id, "pseudonym", pseudonym,
                   "meeting", (json_int_t)d.meeting_id, "amends", (json_int_t)d.amends);
}
