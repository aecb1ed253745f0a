/* carm: the command-line entry point. Subcommands come from one table,
 * generated from the files src/cli/cmd_<name>.c. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
  const char *usage;
} command;

static const command commands[] = {
#define CARM_COMMAND(n) {#n, carm_cmd_##n, carm_cmd_##n##_summary, carm_cmd_##n##_usage},
#include "cli_commands.h"
#undef CARM_COMMAND
    {NULL, NULL, NULL, NULL}};

static const size_t n_commands = sizeof commands / sizeof commands[0] - 1;

static void print_help(FILE *f) {
  fprintf(f,
          "carm %s: C-arm CT reconstruction, vessels, planning and tumour board\n\n"
          "usage: carm COMMAND [options]   (carm COMMAND --help for details)\n\n"
          "commands:\n",
          carm_version());
  for (size_t i = 0; i < n_commands; i++) {
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  }
  fprintf(f, "  %-10s %s\n", "help", "this list, or `carm help COMMAND`");
  fprintf(f, "  %-10s %s\n", "version", "print the version");
}

static const command *find(const char *name) {
  for (size_t i = 0; i < n_commands; i++) {
    if (strcmp(commands[i].name, name) == 0) {
      return &commands[i];
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_help(stderr);
    return CLI_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
    if (argc > 2) {
      const command *c = find(argv[2]);
      if (c == NULL) {
        fprintf(stderr, "carm: unknown command '%s' (see `carm help`)\n", argv[2]);
        return CLI_USAGE;
      }
      fputs(c->usage, stdout);
      return CLI_OK;
    }
    print_help(stdout);
    return CLI_OK;
  }
  if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
    printf("carm %s\n", carm_version());
    return CLI_OK;
  }
  const command *c = find(name);
  if (c == NULL) {
    fprintf(stderr, "carm: unknown command '%s' (see `carm help`)\n", name);
    return CLI_USAGE;
  }
  /* `carm CMD --help` (and `carm CMD -o x --help`) print CMD's help; when
   * the first word after CMD is not an option it may be a subcommand
   * (`carm sim sweep --help`), which then prints its own help. */
  if (cli_wants_help(argc - 1, argv + 1) && (argc < 3 || argv[2][0] == '-')) {
    fputs(c->usage, stdout);
    return CLI_OK;
  }
  return c->run(argc - 1, argv + 1);
}
