/* Shared helpers for subcommands: messages, strict number parsing, progress. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_fail(int code, const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "carm %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return code;
}

int cli_status(const char *cmd, const char *what, carm_status st) {
  const char *detail = carm_last_error();
  if (detail[0] != '\0') {
    fprintf(stderr, "carm %s: %s: %s (%s)\n", cmd, what, detail, carm_strerror(st));
  } else {
    fprintf(stderr, "carm %s: %s: %s\n", cmd, what, carm_strerror(st));
  }
  return CLI_FAIL;
}

carm_status cli_write_json(json_t *doc, const char *path, size_t flags) {
  carm_output *o = NULL;
  carm_status st = carm_output_open(&o, path);
  if (st != CARM_OK) {
    return st;
  }
  if (json_dumpf(doc, carm_output_file(o), flags) != 0 || fputc('\n', carm_output_file(o)) == EOF) {
    carm_output_discard(o);
    return carm_error(CARM_ERR_IO, "cannot write %s", path);
  }
  return carm_output_commit(o);
}

int cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      return 1;
    }
  }
  return 0;
}

int cli_parse_double(const char *s, double *out) {
  if (s == NULL || *s == '\0') {
    return -1;
  }
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !isfinite(v)) {
    return -1;
  }
  *out = v;
  return 0;
}

int cli_parse_int64(const char *s, int64_t *out) {
  if (s == NULL || *s == '\0') {
    return -1;
  }
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') {
    return -1;
  }
  *out = (int64_t)v;
  return 0;
}

static int parse_list(const char *s, void *out, int n, int is_int) {
  if (s == NULL) {
    return -1;
  }
  char buf[256];
  size_t len = strlen(s);
  if (len >= sizeof buf) {
    return -1;
  }
  memcpy(buf, s, len + 1);
  char *p = buf;
  for (int i = 0; i < n; i++) {
    char *comma = strchr(p, ',');
    if ((i < n - 1) != (comma != NULL)) {
      return -1;
    }
    if (comma != NULL) {
      *comma = '\0';
    }
    int rc =
        is_int ? cli_parse_int64(p, (int64_t *)out + i) : cli_parse_double(p, (double *)out + i);
    if (rc != 0) {
      return -1;
    }
    p = comma != NULL ? comma + 1 : p;
  }
  return 0;
}

int cli_parse_doubles(const char *s, double *out, int n) { return parse_list(s, out, n, 0); }

int cli_parse_int64s(const char *s, int64_t *out, int n) { return parse_list(s, out, n, 1); }

int cli_progress(void *user, double fraction, const char *stage) {
  static int last_decile = -1;
  const char *cmd = user != NULL ? (const char *)user : "";
  int pct = (int)lround(fraction * 100.0);
  if (isatty(STDERR_FILENO)) {
    int filled = pct / 4;
    char bar[26];
    for (int i = 0; i < 25; i++) {
      bar[i] = i < filled ? '#' : '.';
    }
    bar[25] = '\0';
    fprintf(stderr, "\rcarm %s: %-16s [%s] %3d%%", cmd, stage, bar, pct);
    if (fraction >= 1.0) {
      fputc('\n', stderr);
    }
  } else if (pct / 10 != last_decile || fraction >= 1.0) {
    last_decile = pct / 10;
    fprintf(stderr, "carm %s: %s %d%%\n", cmd, stage, pct);
  }
  fflush(stderr);
  return 0;
}

int cli_check_output(const char *cmd, const char *out, const char *const *inputs, int n) {
  if (out == NULL) {
    return CLI_OK;
  }
  struct stat so;
  int out_exists = stat(out, &so) == 0;
  for (int i = 0; i < n; i++) {
    if (inputs[i] == NULL) {
      continue;
    }
    struct stat si;
    int same = strcmp(inputs[i], out) == 0 || (out_exists && stat(inputs[i], &si) == 0 &&
                                               si.st_dev == so.st_dev && si.st_ino == so.st_ino);
    if (same) {
      return cli_fail(CLI_USAGE, cmd,
                      "output %s is the input %s: refusing to overwrite an input (choose another "
                      "output name)",
                      out, inputs[i]);
    }
  }
  carm_status st = carm_output_check(out);
  if (st != CARM_OK) {
    return cli_fail(CLI_FAIL, cmd, "%s", carm_last_error());
  }
  return CLI_OK;
}

int cli_has_suffix(const char *path, const char *suffix) {
  size_t n = strlen(path);
  size_t m = strlen(suffix);
  return n >= m && strcasecmp(path + n - m, suffix) == 0;
}

int cli_detector_parse(const char *cmd, int argc, char **argv, int *i, cli_detector *d) {
  const char *a = argv[*i];
  const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (v == NULL) {
    return 0;
  }
  if (strcmp(a, "--size") == 0) {
    if (cli_parse_int64s(v, d->size, 2) != 0 || d->size[0] < 1 || d->size[1] < 1) {
      cli_fail(CLI_USAGE, cmd, "--size needs two positive integers NU,NV, got '%s'", v);
      return -1;
    }
    d->have_size = 1;
  } else if (strcmp(a, "--spacing") == 0) {
    if (cli_parse_doubles(v, d->spacing, 2) != 0 || !(d->spacing[0] > 0.0) ||
        !(d->spacing[1] > 0.0)) {
      cli_fail(CLI_USAGE, cmd, "--spacing needs two positive numbers DU,DV, got '%s'", v);
      return -1;
    }
    d->have_spacing = 1;
  } else if (strcmp(a, "--like") == 0) {
    d->like = v;
  } else {
    return 0;
  }
  (*i)++;
  return 1;
}

int cli_detector_check(const char *cmd, const cli_detector *d) {
  if (d->like != NULL && (d->have_size || d->have_spacing)) {
    return cli_fail(CLI_USAGE, cmd, "give either --like or --size and --spacing, not both");
  }
  if (d->like == NULL && !(d->have_size && d->have_spacing)) {
    return cli_fail(CLI_USAGE, cmd, "needs --size and --spacing (or --like P.mha)");
  }
  return CLI_OK;
}

int cli_detector_create(const char *cmd, const cli_detector *d, int64_t n_views,
                        carm_volume **out) {
  int64_t nu = d->size[0];
  int64_t nv = d->size[1];
  double du = d->spacing[0];
  double dv = d->spacing[1];
  double origin[2] = {0.0, 0.0};
  int have_origin = 0;
  if (d->like != NULL) {
    carm_volume *ref = NULL;
    carm_status st = carm_image_read(&ref, NULL, d->like);
    if (st != CARM_OK) {
      return cli_status(cmd, d->like, st);
    }
    nu = ref->dims[0];
    nv = ref->dims[1];
    du = ref->spacing[0];
    dv = ref->spacing[1];
    origin[0] = ref->origin[0];
    origin[1] = ref->origin[1];
    have_origin = 1;
    carm_volume_destroy(ref);
  }
  carm_volume *proj = NULL;
  carm_status st = carm_projections_create(&proj, nu, nv, n_views, du, dv);
  if (st != CARM_OK) {
    return cli_status(cmd, "projection stack", st);
  }
  if (have_origin) {
    proj->origin[0] = origin[0];
    proj->origin[1] = origin[1];
  }
  *out = proj;
  return CLI_OK;
}
