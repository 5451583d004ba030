// cli.h — the iar binary's subcommands and the few helpers they share (argument parsing, progress
// on stderr). Only the CLI prints or exits; the library returns statuses and messages.
#ifndef IAR_CLI_CLI_H
#define IAR_CLI_CLI_H

#include <stdio.h>

#include "core/error.h"
#include "core/progress.h"

// Each subcommand: argv[0] is the subcommand's name. Returns the process exit status.
int cmd_synth(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_train_grpo(int argc, char **argv); // `iar train grpo`, dispatched from cmd_train
int cmd_train_vision(int argc, char **argv); // `iar train vision`, dispatched from cmd_train
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_screen(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_import(int argc, char **argv);

// Prints "iar: message" on stderr and returns 1 (for `return cli_fail(...)`).
int cli_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
int cli_fail_error(const Error *err);
// A failed training run on `dist`: prints the error (prefixed with the rank when there are several),
// aborts the other ranks (they may wait in a collective), finalises MPI and returns 1.
struct Distributed;
int cli_fail_training(struct Distributed *dist, Error *err);
// Progress printer for progress_begin: one updating line on stderr (a new line per report when
// stderr is not a terminal, at most every 5 s).
void cli_progress_report(const Progress *progress, int final);
// 1 when argv has -h or --help.
int cli_wants_help(int argc, char **argv);
// Parses an integer/float option value or fails with a one-line message naming the option.
int cli_parse_int(const char *option, const char *value, long min, long max, long *out);
int cli_parse_double(const char *option, const char *value, double min, double max, double *out);

// One option of a subcommand's table (the table ends with an entry whose name is NULL).
typedef enum CliOptionType { CLI_FLAG, CLI_STRING, CLI_INT, CLI_DOUBLE } CliOptionType;
typedef struct CliOption {
    const char *name; // long name without the dashes ("max-tokens")
    CliOptionType type;
    void *value;      // int* (FLAG, set to 1), const char ** (STRING), long* (INT), double* (DOUBLE)
    double min, max;  // the accepted range of INT and DOUBLE values
    char short_name;  // 0, or a one-letter alias ('o' for -o)
} CliOption;

// Table entries: OPTION_FLAG("json", &json), OPTION_INT("limit", &limit, 1, 1e9), ...; OPTION_END last.
#define OPTION_FLAG(name, target) {(name), CLI_FLAG, (target), 0, 0, 0}
#define OPTION_STRING(name, target) {(name), CLI_STRING, (target), 0, 0, 0}
#define OPTION_INT(name, target, min, max) {(name), CLI_INT, (target), (min), (max), 0}
#define OPTION_DOUBLE(name, target, min, max) {(name), CLI_DOUBLE, (target), (min), (max), 0}
#define OPTION_END {NULL, CLI_FLAG, NULL, 0, 0, 0}

// Parses argv[1..] against `options` (getopt_long: `--opt value`, `--opt=value`, options before or
// after positionals, `--` ends them). Positionals are moved to argv[*first_positional..argc-1].
// Returns 0, or 1 after printing a one-line error that names the option.
int cli_options_parse(const char *command, int argc, char **argv, const CliOption *options, int *first_positional);

// For the training stages whose parsers predate the option table (sft, grpo, tokenizer): a copy of
// argv with "--name=value" split in two and old option names renamed ({old, new} pairs), so every
// stage takes the same grammar and the same names. NULL when out of memory; free with cli_argv_free.
char **cli_argv_normalize(int argc, char **argv, const char *const (*aliases)[2], size_t alias_count, int *out_argc);
void cli_argv_free(char **argv);

// The model `iar screen`, `iar serve` and `iar eval --model native` use when none is named:
// `given` if not NULL, else $IAR_MODEL, else <the binary's folder>/../models/iar-small (a checkout)
// or ../share/iar/models/iar-small (an installed tree), else <PREFIX>/share/iar/models/iar-small. Writes the folder to `out`; returns 0, or 1 after printing
// a one-line error that says how to get a model.
int cli_resolve_model(const char *given, char *out, size_t size);

#endif
