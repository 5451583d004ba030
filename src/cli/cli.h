// cli.h — the iar binary's subcommands and the few helpers they share (argument parsing, progress
// on stderr). Only the CLI prints or exits; the library returns statuses and messages.
#ifndef IAR_CLI_CLI_H
#define IAR_CLI_CLI_H

#include <stdio.h>

#include "core/error.h"
#include "core/progress.h"
#include "synth/synth.h"

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
// Loads the photographs a synth style needs from DIR_OPTION (NULL: $IAR_PHOTOS, else
// ~/.cache/iar/photos) into *library (NULL for render). Photo without them fails with a one-line
// message naming tools/fetch_photos.sh; mix without them warns and falls back to render (*style).
int cli_load_photos(const char *command, SynthStyle *style, const char *dir_option, PhotoLibrary **library);
// Prints `object` on one line of stdout (--json output: cJSON does the escaping) and deletes it.
struct cJSON;
void cli_print_json(struct cJSON *object);
// 1 when argv has -h or --help.
int cli_wants_help(int argc, char **argv);
// Parses an integer/float option value or fails with a one-line message naming the option.
int cli_parse_int(const char *option, const char *value, long min, long max, long *out);
int cli_parse_double(const char *option, const char *value, double min, double max, double *out);

// One option of a subcommand's table (the table ends with an entry whose name is NULL).
typedef enum CliOptionType { CLI_FLAG, CLI_STRING, CLI_INT, CLI_LONG, CLI_FLOAT, CLI_DOUBLE } CliOptionType;
typedef struct CliOption {
    const char *name; // long name without the dashes ("max-tokens")
    CliOptionType type;
    void *value;      // int* (FLAG, set to 1; INT), const char ** (STRING), long* (LONG), float* (FLOAT), double* (DOUBLE)
    double min, max;  // the accepted range of numeric values
    char short_name;  // 0, or a one-letter alias ('o' for -o)
    int *position;    // NULL, or set to the option's place among the values stored (1, 2, ...; the
                      // --config file's first), so that of two rival options the later one wins
} CliOption;

// Table entries: OPTION_FLAG("json", &json), OPTION_LONG("limit", &limit, 1, 1e9), ...; OPTION_END last.
// Each checks that its target has the C type the option stores (a warning names the mismatch).
#define OPTION_TARGET(target, type) (1 ? (target) : (type *)0)
#define OPTION_FLAG(option, target) {.name = (option), .type = CLI_FLAG, .value = OPTION_TARGET(target, int)}
#define OPTION_STRING(option, target) {.name = (option), .type = CLI_STRING, .value = OPTION_TARGET(target, const char *)}
#define OPTION_INT(option, target, low, high)                                                                         \
    {.name = (option), .type = CLI_INT, .value = OPTION_TARGET(target, int), .min = (low), .max = (high)}
#define OPTION_LONG(option, target, low, high)                                                                        \
    {.name = (option), .type = CLI_LONG, .value = OPTION_TARGET(target, long), .min = (low), .max = (high)}
#define OPTION_FLOAT(option, target, low, high)                                                                       \
    {.name = (option), .type = CLI_FLOAT, .value = OPTION_TARGET(target, float), .min = (low), .max = (high)}
#define OPTION_DOUBLE(option, target, low, high)                                                                      \
    {.name = (option), .type = CLI_DOUBLE, .value = OPTION_TARGET(target, double), .min = (low), .max = (high)}
// --out with its one-letter alias -o
#define OPTION_OUT(target) {.name = "out", .type = CLI_STRING, .value = OPTION_TARGET(target, const char *), .short_name = 'o'}
#define OPTION_END {.name = NULL}

// Parses argv[1..] against `options` (getopt_long: `--opt value`, `--opt=value`, options before or
// after positionals, `--` ends them). Positionals are moved to argv[*first_positional..argc-1].
// `--config FILE.json` (every table; where the table has its own "config" option, a value ending in
// .json) first stores the options of a JSON object whose keys are long option names: strings,
// numbers, or true for a flag; the command line then overrides them.
// Returns 0, or 1 after printing a one-line error that names the option (and the file).
int cli_options_parse(const char *command, int argc, char **argv, const CliOption *options, int *first_positional);
// The same for a subcommand that takes no positional argument: one is an error.
int cli_options_parse_only(const char *command, int argc, char **argv, const CliOption *options);

// The model `iar screen`, `iar serve` and `iar eval --model native` use when none is named:
// `given` if not NULL, else $IAR_MODEL, else <the binary's folder>/../models/iar-small (a checkout)
// or ../share/iar/models/iar-small (an installed tree), else <PREFIX>/share/iar/models/iar-small. Writes the folder to `out`; returns 0, or 1 after printing
// a one-line error that says how to get a model.
int cli_resolve_model(const char *given, char *out, size_t size);

#endif
