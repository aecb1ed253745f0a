/**
 * @file server.h
 * @brief `carm serve`: an HTTP server (libmicrohttpd) over one case folder:
 * a JSON REST API (list and fetch the case's volumes, meshes, trees and
 * pictures; store points placed in the viewer; start jobs and follow their
 * progress; the tumour board under /api/board: the cases of a board store
 * with their key figures, a case, its sheet as PDF, recording a decision)
 * and the static files of the browser viewer and the board page. See
 * docs/viewer.md.
 *
 * Security: binds 127.0.0.1 by default; binding any other address requires a
 * token, which every /api request must then carry (header
 * `Authorization: Bearer TOKEN` or query `?token=TOKEN`). Paths are resolved
 * inside the case folder (no traversal, no symlink escape); request bodies
 * and connections are limited.
 *
 * Thread safety: one server object is driven by its own threads; start and
 * stop from one thread.
 */
#ifndef CARM_SERVER_H
#define CARM_SERVER_H

#include "carm/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct carm_server carm_server;

/** Options; start with CARM_SERVER_INIT. */
typedef struct carm_server_opts {
  int version;                     /**< must be 1 */
  const char *case_dir;            /**< the case folder served (required) */
  const char *bind_addr;           /**< IPv4 or IPv6 literal; NULL = 127.0.0.1 */
  int port;                        /**< 0 = any free port */
  const char *token;               /**< required unless bound to loopback */
  const char *web_root;            /**< folder with the viewer's static files */
  const char *carm_exe;            /**< the carm program that runs jobs */
  size_t max_body_bytes;           /**< largest request body (default 64 KiB) */
  unsigned max_connections;        /**< simultaneous connections, all clients (default 256,
                                        at most 4096) */
  unsigned timeout_s;              /**< idle connection timeout, seconds (default 30) */
  const char *board_db;            /**< tumour-board store; NULL = <case_dir>/board.db */
  unsigned max_connections_per_ip; /**< simultaneous connections from one address
                                        (default 32, at most max_connections) */
  unsigned request_timeout_s;      /**< a request's header and body must arrive within
                                        this many seconds of the connection starting to
                                        wait for it (default 10, at most 3600) */
} carm_server_opts;

/* Connections beyond the caps: the oldest connection still reading a request
 * (of that address, or of any at the total cap) is closed to make room; when
 * none is, the new one is closed at once. 0 in any limit means its default. */
#define CARM_SERVER_INIT                                                                           \
  { 1, NULL, NULL, 8642, NULL, NULL, NULL, 65536, 256, 30, NULL, 32, 10 }

/** Start serving in background threads. */
carm_status carm_server_start(carm_server **out, const carm_server_opts *opts);

/** The port actually bound (useful with port 0). */
int carm_server_port(const carm_server *srv);

/** Stop serving, wait for running jobs to be signalled, free. NULL-safe. */
void carm_server_stop(carm_server *srv);

#ifdef __cplusplus
}
#endif
#endif
