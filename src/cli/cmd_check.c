// cmd_check.c — placeholder until the subcommand lands.
#include "cli/cli.h"
int cmd_check(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("check: not built yet"); }
