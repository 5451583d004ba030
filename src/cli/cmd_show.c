// cmd_show.c — placeholder until the subcommand lands.
#include "cli/cli.h"
int cmd_show(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("show: not built yet"); }
