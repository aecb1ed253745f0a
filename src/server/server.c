/* The HTTP server: libmicrohttpd daemon, routing, token check, request
 * bodies with a size limit, static files and case files. */
#include "server/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct request {
  char *body;
  size_t len;
  int too_large;
} request;

static const char *content_type(const char *path) {
  static const struct {
    const char *suffix;
    const char *type;
  } types[] = {{".html", "text/html; charset=utf-8"},
               {".js", "text/javascript; charset=utf-8"},
               {".css", "text/css; charset=utf-8"},
               {".json", "application/json"},
               {".png", "image/png"},
               {".pdf", "application/pdf"},
               {".nii.gz", "application/gzip"},
               {".glb", "model/gltf-binary"},
               {".svg", "image/svg+xml"}};
  size_t n = strlen(path);
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    size_t m = strlen(types[i].suffix);
    if (n >= m && strcasecmp(path + n - m, types[i].suffix) == 0) {
      return types[i].type;
    }
  }
  return "application/octet-stream";
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *doc) {
  char *text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  if (text == NULL) {
    return MHD_NO;
  }
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
  MHD_add_response_header(r, "Content-Type", "application/json");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg) {
  return send_json(c, status, json_pack("{s:s, s:i}", "error", msg, "status", (int)status));
}

static enum MHD_Result send_file(struct MHD_Connection *c, const char *path) {
  /* O_NONBLOCK: opening a FIFO (or a device) must not block the connection
   * thread; only regular files are served, so the flag never matters after. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) {
      close(fd);
    }
    return send_error(c, MHD_HTTP_NOT_FOUND, "no such file");
  }
  struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
  if (r == NULL) {
    close(fd);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", content_type(path));
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return ret;
}

/* Constant-time token comparison. */
static int token_ok(const carm_server *srv, struct MHD_Connection *c) {
  if (srv->token[0] == '\0') {
    return 1;
  }
  const char *given = NULL;
  const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0) {
    given = auth + 7;
  } else {
    given = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
  }
  if (given == NULL) {
    return 0;
  }
  size_t n = strlen(srv->token);
  size_t m = strlen(given);
  unsigned char diff = (unsigned char)(n != m);
  for (size_t i = 0; i < n; i++) {
    diff |= (unsigned char)(srv->token[i] ^ (i < m ? given[i] : 0));
  }
  return diff == 0;
}

static enum MHD_Result board_answer(struct MHD_Connection *c, json_t *doc,
                                    const server_board_reply *r) {
  if (doc == NULL) {
    return send_error(c, (unsigned)(r->status >= 400 ? r->status : 500), r->message);
  }
  return send_json(c, (unsigned)r->status, doc);
}

/* Parse a positive id ("12"); -1 when it is not one. */
static long long parse_id(const char *s, const char *end_expected) {
  char *end = NULL;
  long long v = strtoll(s, &end, 10);
  if (end == s || v < 1 || v > 1000000000LL ||
      (end_expected == NULL ? *end != '\0' : strcmp(end, end_expected) != 0)) {
    return -1;
  }
  return v;
}

/* /api/board                          GET  the cases with key figures, the meetings
 * /api/board/meetings/ID              GET  one meeting with attendees and quorum
 * /api/board/cases/P                  GET  the case (carm_board_show)
 * /api/board/cases/P/sheet.pdf        GET  the sheet, made now (?meeting=ID)
 * /api/board/cases/P/decisions        POST record a decision */
static enum MHD_Result route_board(carm_server *srv, struct MHD_Connection *c, const char *url,
                                   int is_get, int is_post, request *req) {
  server_board_reply r = {200, ""};
  if (strcmp(url, "/api/board") == 0 || strcmp(url, "/api/board/") == 0) {
    if (!is_get) {
      return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only");
    }
    return board_answer(c, server_board_list(srv, &r), &r);
  }
  if (strncmp(url, "/api/board/meetings/", 20) == 0) {
    if (!is_get) {
      return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only");
    }
    long long id = parse_id(url + 20, NULL);
    if (id < 0) {
      return send_error(c, MHD_HTTP_BAD_REQUEST, "meeting id must be a positive integer");
    }
    return board_answer(c, server_board_meeting(srv, (int64_t)id, &r), &r);
  }
  if (strncmp(url, "/api/board/cases/", 17) != 0) {
    return send_error(c, MHD_HTTP_NOT_FOUND, "unknown board route");
  }
  const char *rest = url + 17;
  const char *slash = strchr(rest, '/');
  char pseudonym[80];
  size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
  if (n == 0 || n >= sizeof pseudonym) {
    return send_error(c, MHD_HTTP_BAD_REQUEST, "a pseudonym is 1-64 characters");
  }
  memcpy(pseudonym, rest, n);
  pseudonym[n] = '\0';
  const char *tail = slash != NULL ? slash : "";
  if (tail[0] == '\0') {
    if (!is_get) {
      return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only");
    }
    return board_answer(c, server_board_case(srv, pseudonym, &r), &r);
  }
  if (strcmp(tail, "/sheet.pdf") == 0) {
    if (!is_get) {
      return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only");
    }
    long long meeting = 0;
    const char *m = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "meeting");
    if (m != NULL && m[0] != '\0') {
      meeting = parse_id(m, NULL);
      if (meeting < 0) {
        return send_error(c, MHD_HTTP_BAD_REQUEST, "meeting must be a positive integer");
      }
    }
    char path[PATH_MAX];
    if (server_board_sheet(srv, pseudonym, (int64_t)meeting, path, &r) != 0) {
      return send_error(c, (unsigned)r.status, r.message);
    }
    return send_file(c, path);
  }
  if (strcmp(tail, "/decisions") == 0) {
    if (!is_post) {
      return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST a decision");
    }
    json_error_t err;
    json_t *doc = json_loadb(req->body != NULL ? req->body : "", req->len, 0, &err);
    if (doc == NULL) {
      return send_error(c, MHD_HTTP_BAD_REQUEST, "body is not valid JSON");
    }
    json_t *ans = server_board_decide(srv, pseudonym, doc, &r);
    json_decref(doc);
    return board_answer(c, ans, &r);
  }
  return send_error(c, MHD_HTTP_NOT_FOUND, "unknown board route");
}

static enum MHD_Result route_api(carm_server *srv, struct MHD_Connection *c, const char *url,
                                 const char *method, request *req) {
  int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  int is_post = strcmp(method, "POST") == 0;
  if (!token_ok(srv, c)) {
    return send_error(c, MHD_HTTP_UNAUTHORIZED, "a valid token is required");
  }
  if (strcmp(url, "/api/health") == 0 && is_get) {
    return send_json(c, MHD_HTTP_OK, json_pack("{s:b, s:s}", "ok", 1, "version", carm_version()));
  }
  if (strcmp(url, "/api/case") == 0 && is_get) {
    return send_json(c, MHD_HTTP_OK, server_case_listing(srv));
  }
  if (strncmp(url, "/api/files/", 11) == 0 && is_get) {
    char path[PATH_MAX];
    if (server_resolve(srv->case_dir, url + 11, path) != 0) {
      return send_error(c, MHD_HTTP_NOT_FOUND, "no such file in the case");
    }
    return send_file(c, path);
  }
  if (strcmp(url, "/api/points") == 0 && (is_get || is_post)) {
    if (is_get) {
      return send_json(c, MHD_HTTP_OK, server_points_get(srv));
    }
    json_error_t err;
    json_t *doc = json_loadb(req->body != NULL ? req->body : "", req->len, 0, &err);
    if (doc == NULL) {
      return send_error(c, MHD_HTTP_BAD_REQUEST, "body is not valid JSON");
    }
    int status = 400;
    const char *msg = "bad point";
    json_t *p = server_points_add(srv, doc, &status, &msg);
    json_decref(doc);
    return p != NULL ? send_json(c, (unsigned)status, p) : send_error(c, (unsigned)status, msg);
  }
  if (strcmp(url, "/api/jobs") == 0 && (is_get || is_post)) {
    if (is_get) {
      return send_json(c, MHD_HTTP_OK, server_jobs_list(srv));
    }
    json_error_t err;
    json_t *doc = json_loadb(req->body != NULL ? req->body : "", req->len, 0, &err);
    if (doc == NULL || !json_is_object(doc)) {
      json_decref(doc);
      return send_error(c, MHD_HTTP_BAD_REQUEST, "body must be a JSON object");
    }
    int status = 400;
    const char *msg = "bad job";
    json_t *j = server_job_start(srv, doc, &status, &msg);
    json_decref(doc);
    return j != NULL ? send_json(c, (unsigned)status, j) : send_error(c, (unsigned)status, msg);
  }
  if (strncmp(url, "/api/jobs/", 10) == 0 && is_get) {
    char *end = NULL;
    long id = strtol(url + 10, &end, 10);
    if (end == url + 10 || *end != '\0' || id < 1 || id > 1000000) {
      return send_error(c, MHD_HTTP_BAD_REQUEST, "job id must be a positive integer");
    }
    json_t *j = server_job_get(srv, (int)id);
    return j != NULL ? send_json(c, MHD_HTTP_OK, j)
                     : send_error(c, MHD_HTTP_NOT_FOUND, "no such job");
  }
  if (strcmp(url, "/api/board") == 0 || strncmp(url, "/api/board/", 11) == 0) {
    return route_board(srv, c, url, is_get, is_post, req);
  }
  return send_error(c, is_get || is_post ? MHD_HTTP_NOT_FOUND : MHD_HTTP_METHOD_NOT_ALLOWED,
                    "unknown route");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls) {
  (void)version;
  carm_server *srv = cls;
  request *req = *con_cls;
  if (req == NULL) {
    req = calloc(1, sizeof *req);
    if (req == NULL) {
      return MHD_NO;
    }
    *con_cls = req;
    /* refuse a declared oversize body before reading it */
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl != NULL && strtoull(cl, NULL, 10) > srv->max_body) {
      req->too_large = 1;
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    if (!req->too_large) {
      if (req->len + *upload_data_size > srv->max_body) {
        req->too_large = 1;
        free(req->body);
        req->body = NULL;
        req->len = 0;
      } else {
        char *nb = realloc(req->body, req->len + *upload_data_size + 1);
        if (nb == NULL) {
          return MHD_NO;
        }
        memcpy(nb + req->len, upload_data, *upload_data_size);
        req->body = nb;
        req->len += *upload_data_size;
        req->body[req->len] = '\0';
      }
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  /* the request is read: its read deadline no longer applies */
  server_guard_reading(&srv->guard, c, 0);
  if (req->too_large) {
    return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
  }
  if (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0) {
    return route_api(srv, c, url, method, req);
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "static files are read-only");
  }
  if (srv->web_root[0] == '\0') {
    return send_error(c, MHD_HTTP_NOT_FOUND, "no viewer installed (web/ not built)");
  }
  const char *rel = url[0] == '/' ? url + 1 : url;
  if (rel[0] == '\0') {
    rel = "index.html";
  }
  char path[PATH_MAX];
  if (server_resolve(srv->web_root, rel, path) != 0) {
    return send_error(c, MHD_HTTP_NOT_FOUND, "no such page");
  }
  return send_file(c, path);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
  carm_server *srv = cls;
  /* the connection now waits for its next request: a new deadline */
  if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
    server_guard_reading(&srv->guard, c, 1);
  }
  request *req = *con_cls;
  if (req != NULL) {
    free(req->body);
    free(req);
    *con_cls = NULL;
  }
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen) {
  (void)addrlen;
  carm_server *srv = cls;
  return server_guard_accept(&srv->guard, addr) ? MHD_YES : MHD_NO;
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe) {
  carm_server *srv = cls;
  if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
    server_guard_started(&srv->guard, c, socket_context);
  } else {
    server_guard_closed(&srv->guard, socket_context);
  }
}

static int is_loopback(const char *addr) {
  return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

carm_status carm_server_start(carm_server **out, const carm_server_opts *opts) {
  if (out == NULL || opts == NULL || opts->version != 1 || opts->case_dir == NULL) {
    return carm_error(CARM_ERR_INVALID, "server: a case folder is required");
  }
  const char *addr = opts->bind_addr != NULL ? opts->bind_addr : "127.0.0.1";
  if (!is_loopback(addr) && (opts->token == NULL || strlen(opts->token) < 16)) {
    return carm_error(CARM_ERR_INVALID,
                      "binding %s (not loopback) requires a token of at least 16 characters", addr);
  }
  if (opts->token != NULL && strlen(opts->token) >= 128) {
    return carm_error(CARM_ERR_RANGE, "token longer than 127 characters");
  }
  if (opts->port < 0 || opts->port > 65535) {
    return carm_error(CARM_ERR_RANGE, "port %d outside 0..65535", opts->port);
  }
  carm_server *srv = calloc(1, sizeof *srv);
  if (srv == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot allocate the server");
  }
  struct stat st;
  if (realpath(opts->case_dir, srv->case_dir) == NULL || stat(srv->case_dir, &st) != 0 ||
      !S_ISDIR(st.st_mode)) {
    free(srv);
    return carm_error(CARM_ERR_NOTFOUND, "case folder %s does not exist", opts->case_dir);
  }
  if (opts->web_root != NULL && realpath(opts->web_root, srv->web_root) == NULL) {
    srv->web_root[0] = '\0';
  }
  if (opts->carm_exe != NULL) {
    snprintf(srv->carm_exe, sizeof srv->carm_exe, "%s", opts->carm_exe);
  } else if (realpath("/proc/self/exe", srv->carm_exe) == NULL) {
    srv->carm_exe[0] = '\0';
  }
  snprintf(srv->token, sizeof srv->token, "%s", opts->token != NULL ? opts->token : "");
  if (opts->board_db != NULL && opts->board_db[0] != '\0') {
    if (strlen(opts->board_db) >= sizeof srv->board_db) {
      free(srv);
      return carm_error(CARM_ERR_RANGE, "board store path too long");
    }
    snprintf(srv->board_db, sizeof srv->board_db, "%s", opts->board_db);
  } else {
    int w = snprintf(srv->board_db, sizeof srv->board_db, "%s/board.db", srv->case_dir);
    if (w < 0 || (size_t)w >= sizeof srv->board_db) {
      srv->board_db[0] = '\0'; /* too long: no default store */
    }
  }
  srv->max_body = opts->max_body_bytes > 0 ? opts->max_body_bytes : 65536;
  unsigned max_total = opts->max_connections > 0 ? opts->max_connections : 256u;
  unsigned max_per_ip = opts->max_connections_per_ip > 0 ? opts->max_connections_per_ip
                        : max_total < 32u                ? max_total
                                                         : 32u;
  unsigned deadline_s = opts->request_timeout_s > 0 ? opts->request_timeout_s : 10u;
  if (max_total > 4096 || max_per_ip > max_total || deadline_s > 3600) {
    free(srv);
    return carm_error(CARM_ERR_RANGE,
                      "connection limits: total %u (1..4096), per address %u (1..total), "
                      "request timeout %u s (1..3600)",
                      max_total, max_per_ip, deadline_s);
  }
  if (server_guard_init(&srv->guard, max_total, max_per_ip, (double)deadline_s) != 0) {
    free(srv);
    return carm_error(CARM_ERR_NOMEM, "cannot start the connection guard");
  }
  pthread_mutex_init(&srv->points_lock, NULL);
  server_jobs_init(&srv->jobs);

  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG * 0u;
  if (strchr(addr, ':') != NULL) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)&ss;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)opts->port);
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1) {
      server_guard_free(&srv->guard);
      free(srv);
      return carm_error(CARM_ERR_INVALID, "bad IPv6 address %s", addr);
    }
    flags |= MHD_USE_IPv6;
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)&ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)opts->port);
    if (inet_pton(AF_INET, addr, &a4->sin_addr) != 1) {
      server_guard_free(&srv->guard);
      free(srv);
      return carm_error(CARM_ERR_INVALID, "bad IPv4 address %s", addr);
    }
  }
  /* The guard enforces the caps (per address below the total, evicting
   * connections still reading a request) and the request-read deadline;
   * libmicrohttpd's own limit is only a backstop above the guard's table
   * (at that limit it stops accepting rather than refusing quickly), and
   * its per-IP limit is off (the guard's is smarter for loopback). */
  srv->daemon = MHD_start_daemon(
      flags | MHD_USE_THREAD_PER_CONNECTION, (uint16_t)opts->port, accept_policy, srv, handler, srv,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
      MHD_OPTION_NOTIFY_CONNECTION, notify_connection, srv, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)srv->guard.n_slots, MHD_OPTION_CONNECTION_TIMEOUT,
      opts->timeout_s > 0 ? opts->timeout_s : 30u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)(256 * 1024), MHD_OPTION_END);
  if (srv->daemon == NULL) {
    server_guard_free(&srv->guard);
    free(srv);
    return carm_error(CARM_ERR_IO, "cannot listen on %s port %d (in use or not permitted)", addr,
                      opts->port);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
  srv->port = info != NULL ? (int)info->port : opts->port;
  *out = srv;
  return CARM_OK;
}

int carm_server_port(const carm_server *srv) { return srv->port; }

void carm_server_stop(carm_server *srv) {
  if (srv == NULL) {
    return;
  }
  server_guard_stop(&srv->guard);
  MHD_stop_daemon(srv->daemon);
  server_guard_free(&srv->guard);
  server_jobs_shutdown(&srv->jobs);
  /* wait (up to 10 s) for job threads to see their child exit */
  for (int tries = 0; tries < 100; tries++) {
    int running = 0;
    pthread_mutex_lock(&srv->jobs.lock);
    for (int i = 0; i < srv->jobs.n_jobs; i++) {
      running += strcmp(srv->jobs.jobs[i].status, "running") == 0;
    }
    pthread_mutex_unlock(&srv->jobs.lock);
    if (running == 0) {
      break;
    }
    struct timespec ts = {0, 100000000L};
    nanosleep(&ts, NULL);
  }
  for (int i = 0; i < srv->jobs.n_jobs; i++) {
    json_decref(srv->jobs.jobs[i].args);
  }
  free(srv);
}
