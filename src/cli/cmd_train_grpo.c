// cmd_train_grpo.c — placeholder until the subcommand lands.
#include "cli/cli.h"
int cmd_train_grpo(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("train_grpo: not built yet"); }
