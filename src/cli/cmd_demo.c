// cmd_demo.c — placeholder until the subcommand lands.
#include "cli/cli.h"
int cmd_demo(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("demo: not built yet"); }
