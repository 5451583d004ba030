// cmd_train.c — placeholder until the subcommand lands.
#include "cli/cli.h"
int cmd_train(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("train: not built yet"); }
