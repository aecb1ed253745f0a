/* Shared helpers for the carm subcommands (src/cli/cmd_<name>.c).
 *
 * Each subcommand file defines three things, found by CMake from its name:
 *   int carm_cmd_<name>(int argc, char **argv);   argv[0] is "<name>"
 *   extern const char carm_cmd_<name>_summary[];  one line for `carm help`
 *   extern const char carm_cmd_<name>_usage[];    full --help, with an example
 * Exit codes: 0 success, 1 failure while working, 2 bad usage. */
#ifndef CARM_CLI_H
#define CARM_CLI_H

#include "carm/carm.h"

#include <jansson.h>
#include <stdint.h>

#define CARM_COMMAND(name)                                                                         \
  int carm_cmd_##name(int argc, char **argv);                                                      \
  extern const char carm_cmd_##name##_summary[];                                                   \
  extern const char carm_cmd_##name##_usage[];
#include "cli_commands.h"
#undef CARM_COMMAND

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/** Print "carm NAME: MESSAGE" to stderr (printf format); returns `code`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int cli_fail(int code, const char *cmd, const char *fmt, ...);

/** Report a library failure: "carm NAME: what: strerror (detail)"; returns
 * CLI_FAIL. */
int cli_status(const char *cmd, const char *what, carm_status st);

/** Whether argv contains -h or --help. */
int cli_wants_help(int argc, char **argv);

/** Strict number parsing: the whole string must be a finite number. Return
 * 0 on success, -1 otherwise. */
int cli_parse_double(const char *s, double *out);
int cli_parse_int64(const char *s, int64_t *out);
/** Parse exactly `n` comma-separated numbers ("1,2,3"). */
int cli_parse_doubles(const char *s, double *out, int n);
int cli_parse_int64s(const char *s, int64_t *out, int n);

/** Progress callback that draws a one-line bar on stderr when it is a
 * terminal, and a line per 10 % otherwise. `user` is the command name. */
int cli_progress(void *user, double fraction, const char *stage);

/** Check an output path before any work: it must not be one of the `n`
 * inputs (NULL entries are skipped; the same file under another name counts)
 * and must be replaceable by an atomic write (carm_output_check: not a
 * folder, device or FIFO). Prints "carm CMD: ..." and returns CLI_USAGE or
 * CLI_FAIL on refusal, CLI_OK otherwise. `out` NULL passes. */
int cli_check_output(const char *cmd, const char *out, const char *const *inputs, int n);

/** Write a JSON document and a newline to `path` atomically
 * (carm_output_open: a unique temporary file, then rename; nothing left
 * behind on failure) with jansson's `flags`. Prints nothing; the detail is in carm_last_error(). */
carm_status cli_write_json(json_t *doc, const char *path, size_t flags);

/** Whether `path` ends with `suffix` (case-insensitive). */
int cli_has_suffix(const char *path, const char *suffix);

/** The detector of a projection stack on the command line: `--size NU,NV`
 * and `--spacing DU,DV`, or `--like P.mha` (size, spacing and origin of its
 * first two axes). Shared by `carm project` and `carm sim project-analytic`. */
typedef struct cli_detector {
  int64_t size[2];
  double spacing[2];
  int have_size;
  int have_spacing;
  const char *like;
} cli_detector;
#define CLI_DETECTOR_INIT                                                                          \
  { {0, 0}, {0.0, 0.0}, 0, 0, NULL }

/** If argv[*i] is a detector option with its value, take it, advance *i
 * past the value and return 1; return 0 when it is not one; print the error
 * and return -1 on a bad value. */
int cli_detector_parse(const char *cmd, int argc, char **argv, int *i, cli_detector *d);

/** Whether the detector is given exactly once (--like, or --size and
 * --spacing); prints the error and returns CLI_USAGE otherwise. */
int cli_detector_check(const char *cmd, const cli_detector *d);

/** Create a zeroed stack of `n_views` on the detector (reading --like);
 * CLI_OK, or CLI_FAIL with the error printed. */
int cli_detector_create(const char *cmd, const cli_detector *d, int64_t n_views, carm_volume **out);

#endif
