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
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);

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

#endif
