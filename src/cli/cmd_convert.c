// cmd_convert.c — placeholder until the subcommand lands.
#include "cli/cli.h"
int cmd_convert(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("convert: not built yet"); }
