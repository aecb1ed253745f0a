/* Internal interfaces of the server module. */
#ifndef CARM_SERVER_INTERNAL_H
#define CARM_SERVER_INTERNAL_H

#include "carm/server.h"

#include <jansson.h>
#include <limits.h>
#include <pthread.h>

#define SERVER_MAX_JOBS 64
#define SERVER_MAX_RUNNING 2
#define SERVER_LOG_BYTES 4096

typedef struct server_job {
  int id;
  char command[32];
  char status[16]; /* queued, running, done, failed */
  double progress; /* 0..1 */
  int exit_code;
  char stage[64];
  char log[SERVER_LOG_BYTES];
  size_t log_len;
  int pid;
  json_t *args;
} server_job;

typedef struct server_jobs {
  pthread_mutex_t lock;
  server_job jobs[SERVER_MAX_JOBS];
  int n_jobs;
  int next_id;
} server_jobs;

/* Connection guard (guard.c): caps and a request-read deadline. */
struct MHD_Connection;
struct sockaddr;
typedef struct server_guard_conn server_guard_conn;
typedef struct server_guard {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_t thread;
  int started;
  int stopping;
  unsigned max_total;
  unsigned max_per_ip;
  double deadline_s;
  server_guard_conn *slots;
  size_t n_slots;
  unsigned long closed_count;  /* connections closed by deadline or eviction */
  unsigned long refused_count; /* connections refused at accept */
} server_guard;

/* Start the guard's watchdog thread; 0 or -1 (out of memory, no thread). */
int server_guard_init(server_guard *g, unsigned max_total, unsigned max_per_ip, double deadline_s);
/* Stop the watchdog (before the daemon stops); idempotent. */
void server_guard_stop(server_guard *g);
/* Stop and free; after the daemon has stopped. */
void server_guard_free(server_guard *g);
/* Accept policy: 1 to accept a connection from `addr` (possibly after closing
 * the oldest connection still reading a request), 0 to refuse it at once. */
int server_guard_accept(server_guard *g, const struct sockaddr *addr);
/* Connection notifications: track and untrack a connection. */
void server_guard_started(server_guard *g, struct MHD_Connection *c, void **socket_context);
void server_guard_closed(server_guard *g, void **socket_context);
/* The connection starts (1: its deadline restarts now) or stops (0: the
 * request is read, being answered) reading a request. */
void server_guard_reading(server_guard *g, struct MHD_Connection *c, int reading);

struct carm_server {
  struct MHD_Daemon *daemon;
  server_guard guard;
  char case_dir[PATH_MAX]; /* realpath */
  char web_root[PATH_MAX]; /* realpath or "" */
  char carm_exe[PATH_MAX];
  char token[128];
  char board_db[PATH_MAX]; /* the tumour-board store ("" none) */
  size_t max_body;
  int port;
  pthread_mutex_t points_lock;
  server_jobs jobs;
};

/* Resolve `rel` inside `root` (both must exist); 0 and `out` on success, -1
 * when the path is invalid or escapes the root. */
int server_resolve(const char *root, const char *rel, char out[PATH_MAX]);

/* GET /api/case: the case's files by kind. */
json_t *server_case_listing(const carm_server *srv);

/* Points: GET returns the list; POST validates and appends one. On error,
 * returns NULL and sets *http_status and *message. */
json_t *server_points_get(carm_server *srv);
json_t *server_points_add(carm_server *srv, json_t *point, int *http_status, const char **message);

/* Jobs. */
void server_jobs_init(server_jobs *jobs);
void server_jobs_shutdown(server_jobs *jobs);
json_t *server_job_start(carm_server *srv, json_t *request, int *http_status, const char **message);
json_t *server_job_get(carm_server *srv, int id);
json_t *server_jobs_list(carm_server *srv);

/* The tumour board (board.c). Each call fills `reply` (HTTP status and,
 * on error, a message) and returns the JSON answer or NULL. */
typedef struct server_board_reply {
  int status;
  char message[512];
} server_board_reply;

json_t *server_board_list(carm_server *srv, server_board_reply *reply);
json_t *server_board_case(carm_server *srv, const char *pseudonym, server_board_reply *reply);
json_t *server_board_meeting(carm_server *srv, int64_t id, server_board_reply *reply);
/* Make the sheet into <case>/board-sheets/<pseudonym>.pdf; 0 and `path` on
 * success. */
int server_board_sheet(carm_server *srv, const char *pseudonym, int64_t meeting,
                       char path[PATH_MAX], server_board_reply *reply);
json_t *server_board_decide(carm_server *srv, const char *pseudonym, json_t *body,
                            server_board_reply *reply);

#endif
