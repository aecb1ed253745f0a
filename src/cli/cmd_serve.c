/* carm serve: the case folder over HTTP, with the browser viewer. */
#include "carm/server.h"
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char carm_cmd_serve_summary[] = "serve a case folder to the browser viewer (HTTP, REST)";
const char carm_cmd_serve_usage[] =
    "usage: carm serve DIR [--port P] [--bind ADDR] [--token T] [--web DIR] [--board DB]\n"
    "                  [--max-connections N] [--max-per-address N] [--request-timeout S]\n"
    "\n"
    "Serve the case folder DIR: the viewer page at http://ADDR:P/ and a JSON API\n"
    "under /api (case, files/PATH, points, jobs, health, board). Runs until Ctrl-C.\n"
    "The tumour-board page is at http://ADDR:P/board.html.\n"
    "\n"
    "  --port P     TCP port (default 8642; 0 picks a free one)\n"
    "  --bind ADDR  address to listen on (default 127.0.0.1). Any other address\n"
    "               requires --token (or CARM_TOKEN), at least 16 characters,\n"
    "               which every /api request must send as 'Authorization: Bearer T'\n"
    "  --token T    the access token\n"
    "  --web DIR    the viewer's files (default: web/dist beside the build)\n"
    "  --port-file F  write the bound port to F once listening (for scripts)\n"
    "  --board DB   the tumour-board case store (default DIR/board.db)\n"
    "  --max-connections N  simultaneous connections, all clients (default 256)\n"
    "  --max-per-address N  simultaneous connections from one address (default 32;\n"
    "               a browser opens up to 6 to one server). Beyond either cap the oldest\n"
    "               connection still waiting for its request is closed, else the new one\n"
    "  --request-timeout S  a request's headers and body must arrive within S\n"
    "               seconds (default 10); slower or idle connections are closed\n"
    "\n"
    "example:\n"
    "  carm serve demo-out --port 8642\n"
    "  carm serve demo-out --board demo-out/board.db   (then open /board.html)\n";

static int find_web_root(char *out, size_t n) {
  /* <build>/bin/carm -> <source>/web/dist via the CARM_WEB env or common spots */
  const char *env = getenv("CARM_WEB");
  if (env != NULL) {
    snprintf(out, n, "%s", env);
    return 0;
  }
  char exe[PATH_MAX];
  if (realpath("/proc/self/exe", exe) == NULL) {
    return -1;
  }
  char *slash = strrchr(exe, '/');
  if (slash == NULL) {
    return -1;
  }
  *slash = '\0';
  static const char *const spots[] = {"/../../web/dist", "/../web/dist", "/../share/carm/web"};
  for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
    char cand[PATH_MAX + 32];
    snprintf(cand, sizeof cand, "%s%s/index.html", exe, spots[i]);
    if (access(cand, R_OK) == 0) {
      snprintf(out, n, "%s%s", exe, spots[i]);
      return 0;
    }
  }
  return -1;
}

int carm_cmd_serve(int argc, char **argv) {
  const char *cmd = "serve";
  carm_server_opts o = CARM_SERVER_INIT;
  const char *port_file = NULL;
  char web[PATH_MAX] = "";
  o.token = getenv("CARM_TOKEN");
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--port") == 0 && v != NULL) {
      int64_t p = 0;
      if (cli_parse_int64(v, &p) != 0 || p < 0 || p > 65535) {
        return cli_fail(CLI_USAGE, cmd, "--port must be 0..65535, got '%s'", v);
      }
      o.port = (int)p;
      i++;
    } else if (strcmp(a, "--bind") == 0 && v != NULL) {
      o.bind_addr = v;
      i++;
    } else if (strcmp(a, "--token") == 0 && v != NULL) {
      o.token = v;
      i++;
    } else if (strcmp(a, "--web") == 0 && v != NULL) {
      snprintf(web, sizeof web, "%s", v);
      i++;
    } else if (strcmp(a, "--board") == 0 && v != NULL) {
      o.board_db = v;
      i++;
    } else if ((strcmp(a, "--max-connections") == 0 || strcmp(a, "--max-per-address") == 0 ||
                strcmp(a, "--request-timeout") == 0) &&
               v != NULL) {
      int64_t n = 0;
      int64_t hi = strcmp(a, "--request-timeout") == 0 ? 3600 : 4096;
      if (cli_parse_int64(v, &n) != 0 || n < 1 || n > hi) {
        return cli_fail(CLI_USAGE, cmd, "%s must be 1..%lld, got '%s'", a, (long long)hi, v);
      }
      if (strcmp(a, "--max-connections") == 0) {
        o.max_connections = (unsigned)n;
      } else if (strcmp(a, "--max-per-address") == 0) {
        o.max_connections_per_ip = (unsigned)n;
      } else {
        o.request_timeout_s = (unsigned)n;
      }
      i++;
    } else if (strcmp(a, "--port-file") == 0 && v != NULL) {
      port_file = v;
      i++;
    } else if (a[0] == '-') {
      return cli_fail(CLI_USAGE, cmd, "unknown or incomplete option '%s' (see --help)", a);
    } else if (o.case_dir == NULL) {
      o.case_dir = a;
    } else {
      return cli_fail(CLI_USAGE, cmd, "one case folder only");
    }
  }
  if (o.case_dir == NULL) {
    return cli_fail(CLI_USAGE, cmd, "missing the case folder (see --help)");
  }
  if (web[0] == '\0' && find_web_root(web, sizeof web) != 0) {
    fprintf(stderr, "carm serve: viewer files not found (run scripts/build-web); serving the "
                    "API only\n");
  }
  o.web_root = web[0] != '\0' ? web : NULL;
  if (o.board_db != NULL && access(o.board_db, R_OK) != 0) {
    return cli_fail(CLI_FAIL, cmd, "no board store at %s", o.board_db);
  }
  /* block the signals we wait for, before the server's threads start */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  carm_server *srv = NULL;
  carm_status st = carm_server_start(&srv, &o);
  if (st != CARM_OK) {
    return cli_status(cmd, "cannot start", st);
  }
  int port = carm_server_port(srv);
  const char *addr = o.bind_addr != NULL ? o.bind_addr : "127.0.0.1";
  int v6 = strchr(addr, ':') != NULL;
  printf("carm serve: case %s\n", o.case_dir);
  printf("carm serve: viewer at http://%s%s%s:%d/%s\n", v6 ? "[" : "", addr, v6 ? "]" : "", port,
         o.token != NULL ? "?token=..." : "");
  fflush(stdout);
  if (port_file != NULL) {
    /* a script waits for this file: failing to write it must not leave the
     * script waiting forever on a server that looks healthy */
    /* atomic: a script polling for the file never reads half a number */
    carm_output *pf = NULL;
    carm_status ps = carm_output_open(&pf, port_file);
    if (ps == CARM_OK) {
      if (fprintf(carm_output_file(pf), "%d\n", port) < 0) {
        carm_output_discard(pf);
        ps = carm_error(CARM_ERR_IO, "write error");
      } else {
        ps = carm_output_commit(pf);
      }
    }
    if (ps != CARM_OK) {
      carm_server_stop(srv);
      return cli_fail(CLI_FAIL, cmd, "cannot write the port file %s: %s", port_file,
                      carm_last_error());
    }
  }
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "carm serve: stopping (signal %d)\n", sig);
  carm_server_stop(srv);
  return CLI_OK;
}
