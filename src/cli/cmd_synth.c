// cmd_synth.c — placeholder until the subcommand lands.
#include "cli/cli.h"
int cmd_synth(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("synth: not built yet"); }
