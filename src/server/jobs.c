#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */
/* Jobs: a whitelisted carm command run as a child process in the case
 * folder, its progress read from the "NN%" lines it prints on stderr. */
#include "server/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *const allowed[] = {"recon", "vessels", "segment", "render", "sim", "project",
                                      "plan",  "mesh",    "dsa",     "fuse",   "info"};

void server_jobs_init(server_jobs *jobs) {
  memset(jobs, 0, sizeof *jobs);
  pthread_mutex_init(&jobs->lock, NULL);
  jobs->next_id = 1;
}

void server_jobs_shutdown(server_jobs *jobs) {
  pthread_mutex_lock(&jobs->lock);
  for (int i = 0; i < jobs->n_jobs; i++) {
    if (strcmp(jobs->jobs[i].status, "running") == 0 && jobs->jobs[i].pid > 0) {
      kill(jobs->jobs[i].pid, SIGTERM);
    }
  }
  pthread_mutex_unlock(&jobs->lock);
}

static json_t *job_json(const server_job *j) {
  return json_pack("{s:i, s:s, s:O, s:s, s:f, s:s, s:i, s:s}", "id", j->id, "command", j->command,
                   "args", j->args, "status", j->status, "progress", j->progress, "stage", j->stage,
                   "exit_code", j->exit_code, "log", j->log);
}

typedef struct job_run {
  carm_server *srv;
  int slot;
  int fd;
} job_run;

/* Parse "... stage NN%" progress lines. */
static void parse_line(server_job *j, const char *line) {
  const char *pct = strrchr(line, '%');
  if (pct == NULL) {
    return;
  }
  const char *p = pct;
  while (p > line && p[-1] >= '0' && p[-1] <= '9') {
    p--;
  }
  if (p == pct) {
    return;
  }
  double v = strtod(p, NULL);
  if (v >= 0.0 && v <= 100.0) {
    j->progress = v / 100.0;
  }
}

static void *job_thread(void *arg) {
  job_run *run = arg;
  server_jobs *jobs = &run->srv->jobs;
  char buf[1024];
  char line[1024];
  size_t line_len = 0;
  for (;;) {
    ssize_t n = read(run->fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    pthread_mutex_lock(&jobs->lock);
    server_job *j = &jobs->jobs[run->slot];
    for (ssize_t i = 0; i < n; i++) {
      char c = buf[i] == '\r' ? '\n' : buf[i];
      if (c == '\n' || line_len + 1 >= sizeof line) {
        line[line_len] = '\0';
        parse_line(j, line);
        line_len = 0;
      } else {
        line[line_len++] = c;
      }
      /* keep the tail of the log */
      if (j->log_len + 1 >= SERVER_LOG_BYTES) {
        memmove(j->log, j->log + SERVER_LOG_BYTES / 2, j->log_len - SERVER_LOG_BYTES / 2);
        j->log_len -= SERVER_LOG_BYTES / 2;
      }
      j->log[j->log_len++] = buf[i];
      j->log[j->log_len] = '\0';
    }
    pthread_mutex_unlock(&jobs->lock);
  }
  close(run->fd);
  int status = 0;
  pthread_mutex_lock(&jobs->lock);
  int pid = jobs->jobs[run->slot].pid;
  pthread_mutex_unlock(&jobs->lock);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  pthread_mutex_lock(&jobs->lock);
  server_job *j = &jobs->jobs[run->slot];
  j->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  snprintf(j->status, sizeof j->status, "%s", j->exit_code == 0 ? "done" : "failed");
  if (j->exit_code == 0) {
    j->progress = 1.0;
  }
  pthread_mutex_unlock(&jobs->lock);
  free(run);
  return NULL;
}

static const char *const plan_subcommands[] = {"feeders", "views", "ablation", "y90", "couinaud"};

/* An argument that names something in the case folder (a file or a folder,
 * possibly through a symlink) must resolve inside it, and so must the
 * longest existing prefix of a path not made yet (an output file): a
 * symlink in the case cannot lead a job to read or write outside. */
static int arg_inside(const carm_server *srv, const char *s) {
  char rel[PATH_MAX];
  int w = snprintf(rel, sizeof rel, "%s", s);
  if (w < 0 || (size_t)w >= sizeof rel) {
    return 0;
  }
  for (;;) {
    char full[PATH_MAX];
    w = snprintf(full, sizeof full, "%s/%s", srv->case_dir, rel);
    struct stat st;
    if (w >= 0 && (size_t)w < sizeof full && lstat(full, &st) == 0) {
      char real[PATH_MAX];
      return server_resolve(srv->case_dir, rel, real) == 0;
    }
    char *slash = strrchr(rel, '/');
    if (slash == NULL) {
      return 1; /* not a path in the case: a number, an option, a new file */
    }
    *slash = '\0';
    if (rel[0] == '\0') {
      return 1;
    }
  }
}

static int arg_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 256 || s[0] == '/') {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    if ((unsigned char)s[i] < 0x20) {
      return 0;
    }
  }
  return strstr(s, "..") == NULL;
}

json_t *server_job_start(carm_server *srv, json_t *request, int *http_status,
                         const char **message) {
  *http_status = 400;
  const char *command = json_string_value(json_object_get(request, "command"));
  json_t *args = json_object_get(request, "args");
  int known = 0;
  for (size_t i = 0; command != NULL && i < sizeof allowed / sizeof allowed[0]; i++) {
    known |= strcmp(command, allowed[i]) == 0;
  }
  if (!known) {
    *message = "command must be one of recon, vessels, segment, render, sim, project, plan, "
               "mesh, dsa, fuse, info";
    return NULL;
  }
  if (args == NULL) {
    args = json_array();
  } else {
    json_incref(args);
  }
  size_t nargs = json_array_size(args);
  if (!json_is_array(args) || nargs > 32) {
    json_decref(args);
    *message = "args must be an array of at most 32 strings";
    return NULL;
  }
  for (size_t i = 0; i < nargs; i++) {
    const char *a = json_string_value(json_array_get(args, i));
    if (a == NULL || !arg_ok(a)) {
      json_decref(args);
      *message = "each arg must be a string of 1-256 characters, no absolute path, no '..'";
      return NULL;
    }
  }
  for (size_t i = 0; i < nargs; i++) {
    if (!arg_inside(srv, json_string_value(json_array_get(args, i)))) {
      json_decref(args);
      *message = "an argument names a path that leads outside the case folder";
      return NULL;
    }
  }
  if (strcmp(command, "plan") == 0) {
    const char *sub = json_string_value(json_array_get(args, 0));
    int ok = 0;
    for (size_t i = 0; sub != NULL && i < sizeof plan_subcommands / sizeof plan_subcommands[0];
         i++) {
      ok |= strcmp(sub, plan_subcommands[i]) == 0;
    }
    if (!ok) {
      json_decref(args);
      *message = "plan needs its subcommand first: feeders, views, ablation, y90 or couinaud";
      return NULL;
    }
  }
  server_jobs *jobs = &srv->jobs;
  pthread_mutex_lock(&jobs->lock);
  int running = 0;
  for (int i = 0; i < jobs->n_jobs; i++) {
    running += strcmp(jobs->jobs[i].status, "running") == 0;
  }
  if (running >= SERVER_MAX_RUNNING || jobs->n_jobs >= SERVER_MAX_JOBS) {
    pthread_mutex_unlock(&jobs->lock);
    json_decref(args);
    *http_status = 429;
    *message = running >= SERVER_MAX_RUNNING ? "too many jobs running; retry later"
                                             : "job table full; restart the server";
    return NULL;
  }
  int slot = jobs->n_jobs;
  server_job *j = &jobs->jobs[slot];
  memset(j, 0, sizeof *j);
  j->id = jobs->next_id;
  snprintf(j->command, sizeof j->command, "%s", command);
  snprintf(j->status, sizeof j->status, "running");
  snprintf(j->stage, sizeof j->stage, "starting");
  j->args = args;

  int pipefd[2];
  if (pipe(pipefd) != 0) {
    pthread_mutex_unlock(&jobs->lock);
    json_decref(args);
    *http_status = 500;
    *message = "cannot create a pipe";
    return NULL;
  }
  char *argv[36];
  argv[0] = srv->carm_exe;
  argv[1] = (char *)command;
  for (size_t i = 0; i < nargs; i++) {
    argv[2 + i] = (char *)json_string_value(json_array_get(args, i));
  }
  argv[2 + nargs] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addchdir_np(&fa, srv->case_dir);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, srv->carm_exe, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  job_run *run = rc == 0 ? malloc(sizeof *run) : NULL;
  pthread_t th;
  if (run != NULL) {
    run->srv = srv;
    run->slot = slot;
    run->fd = pipefd[0];
    j->pid = pid;
  }
  if (run == NULL || pthread_create(&th, NULL, job_thread, run) != 0) {
    close(pipefd[0]);
    free(run);
    if (rc == 0) {
      kill(pid, SIGTERM);
      waitpid(pid, NULL, 0);
    }
    pthread_mutex_unlock(&jobs->lock);
    json_decref(args);
    *http_status = 500;
    *message = "cannot start the job";
    return NULL;
  }
  pthread_detach(th);
  jobs->n_jobs++;
  jobs->next_id++;
  json_t *out = job_json(j);
  pthread_mutex_unlock(&jobs->lock);
  *http_status = 202;
  return out;
}

json_t *server_job_get(carm_server *srv, int id) {
  json_t *out = NULL;
  pthread_mutex_lock(&srv->jobs.lock);
  for (int i = 0; i < srv->jobs.n_jobs; i++) {
    if (srv->jobs.jobs[i].id == id) {
      out = job_json(&srv->jobs.jobs[i]);
    }
  }
  pthread_mutex_unlock(&srv->jobs.lock);
  return out;
}

json_t *server_jobs_list(carm_server *srv) {
  json_t *list = json_array();
  pthread_mutex_lock(&srv->jobs.lock);
  for (int i = 0; i < srv->jobs.n_jobs; i++) {
    json_array_append_new(list, job_json(&srv->jobs.jobs[i]));
  }
  pthread_mutex_unlock(&srv->jobs.lock);
  return json_pack("{s:o}", "jobs", list);
}
