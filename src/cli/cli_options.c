// cli_options.c — the one option grammar of every subcommand: a table of options parsed with
// getopt_long, so `--opt value`, `--opt=value`, options after positionals and `--` all behave the
// same everywhere, and a bad value is a one-line error naming the option.
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

enum { LONG_OPTION_BASE = 0x100, MAX_OPTIONS = 96 };

static int option_store(const char *command, const CliOption *option, const char *value) {
    char name[80];
    snprintf(name, sizeof name, "--%s", option->name);
    switch (option->type) {
    case CLI_FLAG:
        *(int *)option->value = 1;
        return 0;
    case CLI_STRING:
        *(const char **)option->value = value;
        return 0;
    case CLI_INT:
        return cli_parse_int(name, value, (long)option->min, (long)option->max, (long *)option->value);
    case CLI_DOUBLE:
        return cli_parse_double(name, value, option->min, option->max, (double *)option->value);
    }
    return cli_fail("%s: option %s has no type", command, name);
}

int cli_options_parse(const char *command, int argc, char **argv, const CliOption *options, int *first_positional) {
    struct option long_options[MAX_OPTIONS + 1];
    char short_options[2 * MAX_OPTIONS + 2];
    size_t count = 0, short_size = 0;
    short_options[short_size++] = ':'; // report a missing value as ':' rather than '?'
    for (; options[count].name; count++) {
        if (count == MAX_OPTIONS) return cli_fail("%s: too many options in the table", command);
        int has_value = options[count].type != CLI_FLAG;
        long_options[count] = (struct option){options[count].name, has_value ? required_argument : no_argument, NULL,
                                              LONG_OPTION_BASE + (int)count};
        if (options[count].short_name) {
            short_options[short_size++] = options[count].short_name;
            if (has_value) short_options[short_size++] = ':';
        }
    }
    long_options[count] = (struct option){0};
    short_options[short_size] = 0;
    optind = 0; // a full re-initialisation of getopt's state (several parses per process)
    opterr = 0;
    for (;;) {
        int long_index = -1;
        int c = getopt_long(argc, argv, short_options, long_options, &long_index);
        if (c == -1) break;
        const char *given = argv[optind - 1] ? argv[optind - 1] : "?";
        if (c == '?') {
            if (optopt && optopt < LONG_OPTION_BASE) return cli_fail("%s: unknown option '-%c' (iar %s --help)", command, optopt, command);
            return cli_fail("%s: unknown or ambiguous option '%s' (iar %s --help)", command, given, command);
        }
        if (c == ':') return cli_fail("%s: %s needs a value", command, given);
        const CliOption *option = NULL;
        if (c >= LONG_OPTION_BASE) option = &options[c - LONG_OPTION_BASE];
        for (size_t i = 0; !option && i < count; i++)
            if (options[i].short_name == c) option = &options[i];
        if (!option) return cli_fail("%s: unexpected option '%s'", command, given);
        if (option->type == CLI_FLAG && long_index >= 0 && strchr(given, '='))
            return cli_fail("%s: --%s takes no value", command, option->name);
        if (option_store(command, option, optarg) != 0) return 1;
    }
    *first_positional = optind;
    return 0;
}

char **cli_argv_normalize(int argc, char **argv, const char *const (*aliases)[2], size_t alias_count, int *out_argc) {
    char **out = calloc((size_t)argc * 2 + 1, sizeof *out);
    if (!out) return NULL;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *equals = strncmp(arg, "--", 2) == 0 && i > 0 ? strchr(arg, '=') : NULL;
        size_t name_size = equals ? (size_t)(equals - arg) : strlen(arg);
        char *name = strndup(arg, name_size);
        if (!name) {
            cli_argv_free(out);
            return NULL;
        }
        for (size_t k = 0; k < alias_count; k++)
            if (strcmp(name, aliases[k][0]) == 0) {
                free(name);
                name = strdup(aliases[k][1]);
                break;
            }
        out[n++] = name;
        if (equals) out[n++] = strdup(equals + 1);
        if (!out[n - 1]) {
            cli_argv_free(out);
            return NULL;
        }
    }
    out[n] = NULL;
    *out_argc = n;
    return out;
}

void cli_argv_free(char **argv) {
    for (size_t i = 0; argv && argv[i]; i++) free(argv[i]);
    free(argv);
}
