// cmd_eval.c — placeholder until the subcommand lands.
#include "cli/cli.h"
int cmd_eval(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("eval: not built yet"); }
