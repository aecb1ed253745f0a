/* carm geometry: build RTK geometry XML files (circular, C-arm short scan,
 * from calibrated 3x4 matrices) and summarise them. */
#include "cli/cli.h"
#include "cli/info_geometry.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char carm_cmd_geometry_summary[] =
    "make RTK geometry XML files (circular, short scan, from matrices)";

const char carm_cmd_geometry_usage[] =
    "usage: carm geometry circular --views N [options] -o G.xml\n"
    "       carm geometry shortscan [--views 133] [--arc 200] [options] -o G.xml\n"
    "       carm geometry from-matrices M.txt -o G.xml\n"
    "       carm geometry info G.xml\n"
    "\n"
    "Writes projection geometries in RTK's circular-geometry XML (version 3),\n"
    "readable by RTK's rtk* tools; conventions in docs/coordinates.md.\n"
    "\n"
    "circular     N views equally spaced over 360 degrees (--views required)\n"
    "shortscan    C-arm short scan: N views from --first over --arc degrees,\n"
    "             first and last included (default 133 views over 200 deg)\n"
    "from-matrices  one 3x4 projection matrix per line (12 numbers, row-major,\n"
    "             spaces or commas; '#' starts a comment), decomposed into the\n"
    "             nine RTK parameters; a matrix outside that model is kept as\n"
    "             a calibrated <RawMatrix>\n"
    "info         summary of a geometry file (same as `carm info G.xml`)\n"
    "\n"
    "options (circular, shortscan):\n"
    "  --views N              number of views\n"
    "  --sid MM               source to isocentre distance (default 785)\n"
    "  --sdd MM               source to detector distance (default 1200;\n"
    "                         0 = parallel beam)\n"
    "  --first DEG            gantry angle of the first view (default 0)\n"
    "  --arc DEG              shortscan: covered arc, (0, 360] (default 200)\n"
    "  --jitter DEG --seed N  shortscan: uniform +-DEG jitter on each angle\n"
    "  --duration S           time-stamp the views from 0 to S seconds\n"
    "  --proj-offset PX,PY    detector offsets (mm)\n"
    "  --source-offset SX,SY  source offsets (mm)\n"
    "  --oop DEG              out-of-plane angle\n"
    "  --in-plane DEG         in-plane angle\n"
    "  --patient world|hfs    how the patient lies: world (RTK's meaning,\n"
    "                         default) or hfs (head first supine on the\n"
    "                         C-arm table; gantry 0 = AP, +90 = source left)\n"
    "  -o, --output G.xml     output file (written atomically)\n"
    "\n"
    "example:\n"
    "  carm geometry shortscan --views 133 --arc 200 --duration 5 -o dynact.xml\n"
    "  carm geometry circular --views 360 --sid 1000 --sdd 1536 -o full.xml\n"
    "  carm geometry info dynact.xml\n"
    "exit status: 0 success, 1 failure, 2 bad usage\n";

static const char cmd_name[] = "geometry";

typedef struct args {
  const char *output;
  const char *input;
  carm_trajectory_opts traj;
  int have_views;
} args;

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int
usage(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "carm %s: ", cmd_name);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see `carm geometry --help`)\n");
  return CLI_USAGE;
}

/* Parse the options of `mode` (argv[2..]). Returns CLI_OK or CLI_USAGE. */
static int parse_args(const char *mode, int argc, char **argv, args *a) {
  const int traj = strcmp(mode, "circular") == 0 || strcmp(mode, "shortscan") == 0;
  const int shortscan = strcmp(mode, "shortscan") == 0;
  for (int i = 2; i < argc; i++) {
    const char *opt = argv[i];
    if (opt[0] != '-' || strcmp(opt, "-") == 0) {
      if (traj || a->input != NULL) {
        return usage("unexpected argument '%s'", opt);
      }
      a->input = opt;
      continue;
    }
    if (i + 1 >= argc) {
      return usage("option %s needs a value", opt);
    }
    const char *val = argv[++i];
    carm_trajectory_opts *t = &a->traj;
    int bad = 0;
    if (strcmp(opt, "-o") == 0 || strcmp(opt, "--output") == 0) {
      a->output = val;
      bad = val[0] == '\0';
    } else if (!traj) {
      return usage("unknown option '%s'", opt);
    } else if (strcmp(opt, "--views") == 0) {
      bad = cli_parse_int64(val, &t->n_views) != 0 || t->n_views < 1 ||
            t->n_views > CARM_GEOMETRY_MAX_VIEWS;
      a->have_views = 1;
    } else if (strcmp(opt, "--sid") == 0) {
      bad = cli_parse_double(val, &t->sid_mm) != 0 || !(t->sid_mm > 0.0) || t->sid_mm > 1e6;
    } else if (strcmp(opt, "--sdd") == 0) {
      bad = cli_parse_double(val, &t->sdd_mm) != 0 || t->sdd_mm < 0.0 || t->sdd_mm > 1e6;
    } else if (strcmp(opt, "--first") == 0) {
      bad = cli_parse_double(val, &t->first_angle_deg) != 0 || fabs(t->first_angle_deg) > 1e6;
    } else if (strcmp(opt, "--arc") == 0 && shortscan) {
      bad = cli_parse_double(val, &t->arc_deg) != 0 || !(t->arc_deg > 0.0) || t->arc_deg > 360.0;
    } else if (strcmp(opt, "--jitter") == 0 && shortscan) {
      bad =
          cli_parse_double(val, &t->jitter_deg) != 0 || t->jitter_deg < 0.0 || t->jitter_deg > 90.0;
    } else if (strcmp(opt, "--seed") == 0 && shortscan) {
      int64_t s = 0;
      bad = cli_parse_int64(val, &s) != 0 || s < 0;
      t->seed = (uint64_t)s;
    } else if (strcmp(opt, "--duration") == 0) {
      bad =
          cli_parse_double(val, &t->duration_s) != 0 || t->duration_s < 0.0 || t->duration_s > 1e6;
    } else if (strcmp(opt, "--proj-offset") == 0) {
      double v[2];
      bad = cli_parse_doubles(val, v, 2) != 0 || fabs(v[0]) > 1e6 || fabs(v[1]) > 1e6;
      t->proj_offset_x_mm = v[0];
      t->proj_offset_y_mm = v[1];
    } else if (strcmp(opt, "--source-offset") == 0) {
      double v[2];
      bad = cli_parse_doubles(val, v, 2) != 0 || fabs(v[0]) > 1e6 || fabs(v[1]) > 1e6;
      t->source_offset_x_mm = v[0];
      t->source_offset_y_mm = v[1];
    } else if (strcmp(opt, "--patient") == 0) {
      if (strcasecmp(val, "world") == 0) {
        t->patient = CARM_PATIENT_WORLD;
      } else if (strcasecmp(val, "hfs") == 0) {
        t->patient = CARM_PATIENT_HFS;
      } else {
        bad = 1;
      }
    } else if (strcmp(opt, "--oop") == 0) {
      bad = cli_parse_double(val, &t->out_of_plane_deg) != 0 || fabs(t->out_of_plane_deg) > 1e6;
    } else if (strcmp(opt, "--in-plane") == 0) {
      bad = cli_parse_double(val, &t->in_plane_deg) != 0 || fabs(t->in_plane_deg) > 1e6;
    } else {
      return usage("unknown option '%s'", opt);
    }
    if (bad) {
      fprintf(stderr, "carm %s: bad value '%s' for %s\n", cmd_name, val, opt);
      return CLI_USAGE;
    }
  }
  return CLI_OK;
}

static int write_geometry(const carm_geometry *g, const char *output) {
  carm_status st = carm_geometry_write_rtk(g, output);
  if (st != CARM_OK) {
    return cli_status(cmd_name, "cannot write the geometry", st);
  }
  printf("wrote %s: %lld view%s, angular coverage %.4g deg\n", output, (long long)g->n_views,
         g->n_views == 1 ? "" : "s", carm_geometry_angular_coverage(g) * (180.0 / M_PI));
  return CLI_OK;
}

/* Split a line into at most `max` numbers (spaces, tabs or commas). Returns
 * the count, or -1 when a token is not a finite number or there are more. */
static int parse_line(char *line, double *out, int max) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' || *p == '\n') {
      p++;
    }
    if (*p == '\0' || *p == '#') {
      return n;
    }
    if (n == max) {
      return -1;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno == ERANGE || !isfinite(v) ||
        (*end != '\0' && strchr(" \t,\r\n#", *end) == NULL)) {
      return -1;
    }
    out[n++] = v;
    p = end;
  }
}

static int from_matrices(const args *a) {
  FILE *f = fopen(a->input, "r");
  if (f == NULL) {
    return cli_fail(CLI_FAIL, cmd_name, "cannot open %s: %s", a->input, strerror(errno));
  }
  char *line = NULL;
  size_t cap = 0;
  int64_t n = 0;
  int64_t lineno = 0;
  int rc = CLI_OK;
  double(*mats)[3][4] = NULL;
  int64_t *lines = NULL;
  int64_t mcap = 0;
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    double v[12];
    int k = parse_line(line, v, 12);
    if (k == 0) {
      continue;
    }
    if (k != 12) {
      rc = cli_fail(CLI_FAIL, cmd_name, "%s line %lld: expected 12 finite numbers (a 3x4 matrix)",
                    a->input, (long long)lineno);
      break;
    }
    if (n == CARM_GEOMETRY_MAX_VIEWS) {
      rc = cli_fail(CLI_FAIL, cmd_name, "%s: more than %d matrices", a->input,
                    CARM_GEOMETRY_MAX_VIEWS);
      break;
    }
    if (n == mcap) {
      mcap = mcap > 0 ? 2 * mcap : 256;
      double(*nm)[3][4] = realloc(mats, (size_t)mcap * sizeof *mats);
      if (nm != NULL) {
        mats = nm;
      }
      int64_t *nl = realloc(lines, (size_t)mcap * sizeof *lines);
      if (nl != NULL) {
        lines = nl;
      }
      if (nm == NULL || nl == NULL) {
        rc = cli_fail(CLI_FAIL, cmd_name, "out of memory");
        break;
      }
    }
    memcpy(mats[n], v, sizeof v);
    lines[n] = lineno;
    n++;
  }
  int read_error = ferror(f);
  free(line);
  fclose(f);
  if (rc == CLI_OK && read_error) {
    rc = cli_fail(CLI_FAIL, cmd_name, "cannot read %s", a->input);
  }
  if (rc == CLI_OK && n == 0) {
    rc = cli_fail(CLI_FAIL, cmd_name, "%s holds no matrix", a->input);
  }
  carm_geometry *g = NULL;
  if (rc == CLI_OK) {
    carm_status st = carm_geometry_create(&g, n);
    if (st != CARM_OK) {
      rc = cli_status(cmd_name, "cannot create the geometry", st);
    }
  }
  double worst = 0.0;
  for (int64_t k = 0; rc == CLI_OK && k < n; k++) {
    double res = 0.0;
    carm_status st = carm_view_from_matrix(&g->views[k], (const double(*)[4])mats[k], &res);
    if (st != CARM_OK) {
      char what[600];
      snprintf(what, sizeof what, "%s line %lld", a->input, (long long)lines[k]);
      rc = cli_status(cmd_name, what, st);
    }
    worst = fmax(worst, res);
  }
  free(mats);
  free(lines);
  if (rc == CLI_OK) {
    if (worst > 1e-6) {
      fprintf(stderr,
              "carm %s: note: largest difference from the nine-parameter model %.3g; "
              "calibrated matrices are kept as <RawMatrix>\n",
              cmd_name, worst);
    }
    rc = write_geometry(g, a->output);
  }
  carm_geometry_destroy(g);
  return rc;
}

int carm_cmd_geometry(int argc, char **argv) {
  if (argc < 2) {
    fputs(carm_cmd_geometry_usage, stderr);
    return CLI_USAGE;
  }
  const char *mode = argv[1];
  args a;
  memset(&a, 0, sizeof a);
  carm_trajectory_opts init = CARM_TRAJECTORY_INIT;
  a.traj = init;
  if (strcmp(mode, "shortscan") == 0) {
    a.traj.n_views = 133;
    a.traj.arc_deg = 200.0;
  }
  if (strcmp(mode, "circular") != 0 && strcmp(mode, "shortscan") != 0 &&
      strcmp(mode, "from-matrices") != 0 && strcmp(mode, "info") != 0) {
    return usage("unknown mode '%s' (circular, shortscan, from-matrices, info)", mode);
  }
  int rc = parse_args(mode, argc, argv, &a);
  if (rc != CLI_OK) {
    return rc;
  }
  if (strcmp(mode, "info") == 0) {
    if (a.input == NULL || a.output != NULL) {
      return usage("%s needs one geometry file and no -o", mode);
    }
    return cli_info_geometry(cmd_name, a.input);
  }
  if (a.output == NULL) {
    return usage("%s needs -o OUTPUT.xml", mode);
  }
  const char *const inputs[] = {a.input};
  rc = cli_check_output(cmd_name, a.output, inputs, 1);
  if (rc != CLI_OK) {
    return rc;
  }
  if (strcmp(mode, "from-matrices") == 0) {
    if (a.input == NULL) {
      return usage("%s needs a matrix file", mode);
    }
    return from_matrices(&a);
  }
  if (strcmp(mode, "circular") == 0 && !a.have_views) {
    return usage("%s needs --views N", mode);
  }
  carm_geometry *g = NULL;
  carm_status st = strcmp(mode, "circular") == 0 ? carm_geometry_circular(&g, &a.traj)
                                                 : carm_geometry_short_scan(&g, &a.traj);
  if (st != CARM_OK) {
    return cli_status(cmd_name, "cannot build the trajectory", st);
  }
  rc = write_geometry(g, a.output);
  carm_geometry_destroy(g);
  return rc;
}
