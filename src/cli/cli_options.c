// cli_options.c — the one option grammar of every subcommand: a table of options parsed with
// getopt_long, so `--opt value`, `--opt=value`, options after positionals and `--` all behave the
// same everywhere, and a bad value is a one-line error naming the option. `--config FILE.json`
// gives the same options from a file, under the command line's.
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/files.h"

enum { LONG_OPTION_BASE = 0x100, MAX_OPTIONS = 96, CONFIG_OPTION = LONG_OPTION_BASE + MAX_OPTIONS };
enum { CONFIG_MAX_BYTES = 1 << 20 };

// A --config file's strings are used as argv's are, for the rest of the process: each parsed
// document stays reachable from this list (a process parses a handful of option tables at most).
typedef struct ConfigDocument {
    cJSON *json;
    struct ConfigDocument *next;
} ConfigDocument;
static ConfigDocument *config_documents;

// Stores one value; `name` is how an error names the option ("--steps", or `sft: run.json: "steps"`).
static int option_store(const char *name, const CliOption *option, const char *value, int *order) {
    long integer;
    double real;
    if (option->position) *option->position = ++*order;
    switch (option->type) {
    case CLI_FLAG:
        *(int *)option->value = 1;
        return 0;
    case CLI_STRING:
        *(const char **)option->value = value;
        return 0;
    case CLI_INT:
    case CLI_LONG:
        if (cli_parse_int(name, value, (long)option->min, (long)option->max, &integer) != 0) return 1;
        if (option->type == CLI_INT) *(int *)option->value = (int)integer;
        else *(long *)option->value = integer;
        return 0;
    case CLI_FLOAT:
    case CLI_DOUBLE:
        if (cli_parse_double(name, value, option->min, option->max, &real) != 0) return 1;
        if (option->type == CLI_FLOAT) *(float *)option->value = (float)real;
        else *(double *)option->value = real;
        return 0;
    }
    return cli_fail("%s has no type", name);
}

static int is_options_file(const char *value) {
    size_t n = value ? strlen(value) : 0;
    return n > 5 && strcmp(value + n - 5, ".json") == 0;
}

static const CliOption *option_named(const CliOption *options, const char *name) {
    for (; options->name; options++)
        if (strcmp(options->name, name) == 0) return options;
    return NULL;
}

// One key of a --config file: its JSON type must be the option's, and numbers go through the same
// range checks as typed ones.
static int config_store(const char *command, const char *path, const cJSON *item, const CliOption *options, int *order) {
    const char *key = item->string;
    const CliOption *option = option_named(options, key);
    if (!option)
        return cli_fail("%s: %s: unknown option \"%s\" (iar %s --help lists them)", command, path, key, command);
    char name[1200], number[64];
    snprintf(name, sizeof name, "%s: %s: \"%s\"", command, path, key);
    switch (option->type) {
    case CLI_FLAG:
        if (!cJSON_IsBool(item)) return cli_fail("%s: %s: \"%s\" is a flag: give true or false", command, path, key);
        return cJSON_IsTrue(item) ? option_store(name, option, NULL, order) : 0;
    case CLI_STRING:
        if (!cJSON_IsString(item)) return cli_fail("%s: %s: \"%s\" takes a string", command, path, key);
        if (strcmp(key, "config") == 0 && is_options_file(item->valuestring))
            return cli_fail("%s: %s: \"config\" names another options file; give its options here", command, path);
        return option_store(name, option, item->valuestring, order);
    default:
        if (!cJSON_IsNumber(item))
            return cli_fail("%s: %s: \"%s\" takes %s", command, path, key,
                            option->type == CLI_INT || option->type == CLI_LONG ? "an integer" : "a number");
        snprintf(number, sizeof number, "%.17g", item->valuedouble);
        return option_store(name, option, number, order);
    }
}

static int config_apply(const char *command, const char *path, const CliOption *options, int *order) {
    char *text = NULL;
    size_t size = 0;
    Error err = {{0}};
    if (file_read_all(path, CONFIG_MAX_BYTES, &text, &size, &err) != 0) return cli_fail("%s: --config: %s", command, err.message);
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithOpts(text, &end, 0);
    if (!json || !cJSON_IsObject(json)) {
        int line = 1;
        for (const char *p = text; json == NULL && end && p < end && *p; p++) line += *p == '\n';
        cJSON_Delete(json);
        free(text);
        if (end && !json) return cli_fail("%s: %s: invalid JSON at line %d", command, path, line);
        return cli_fail("%s: %s: expected a JSON object of options ({\"steps\": 100, ...})", command, path);
    }
    free(text);
    ConfigDocument *document = malloc(sizeof *document);
    if (!document) {
        cJSON_Delete(json);
        return cli_fail("%s: out of memory reading %s", command, path);
    }
    *document = (ConfigDocument){json, config_documents};
    config_documents = document;
    for (const cJSON *item = json->child; item; item = item->next)
        if (config_store(command, path, item, options, order) != 0) return 1;
    return 0;
}

typedef struct GivenOption {
    const CliOption *option;
    const char *value;
} GivenOption;

// The getopt pass: every option given, in order, with its value; the options file, if any.
static int options_collect(const char *command, int argc, char **argv, const CliOption *options, GivenOption *given,
                           int *given_count, const char **config_path) {
    struct option long_options[MAX_OPTIONS + 2];
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
    const CliOption *own_config = option_named(options, "config");
    size_t long_count = count;
    if (!own_config) long_options[long_count++] = (struct option){"config", required_argument, NULL, CONFIG_OPTION};
    long_options[long_count] = (struct option){0};
    short_options[short_size] = 0;
    optind = 0; // a full re-initialisation of getopt's state (several parses per process)
    opterr = 0;
    for (;;) {
        int long_index = -1;
        int c = getopt_long(argc, argv, short_options, long_options, &long_index);
        if (c == -1) break;
        const char *arg = argv[optind - 1] ? argv[optind - 1] : "?";
        if (c == '?') {
            if (optopt && optopt < LONG_OPTION_BASE) return cli_fail("%s: unknown option '-%c' (iar %s --help)", command, optopt, command);
            return cli_fail("%s: unknown or ambiguous option '%s' (iar %s --help)", command, arg, command);
        }
        if (c == ':') return cli_fail("%s: %s needs a value", command, arg);
        const CliOption *option = NULL;
        if (c >= LONG_OPTION_BASE && c < CONFIG_OPTION) option = &options[c - LONG_OPTION_BASE];
        for (size_t i = 0; !option && c != CONFIG_OPTION && i < count; i++)
            if (options[i].short_name == c) option = &options[i];
        if ((c == CONFIG_OPTION || option == own_config) && is_options_file(optarg)) {
            if (*config_path) return cli_fail("%s: --config FILE.json given twice", command);
            *config_path = optarg;
            continue;
        }
        if (c == CONFIG_OPTION) return cli_fail("%s: --config takes a FILE.json of options, not '%s'", command, optarg);
        if (!option) return cli_fail("%s: unexpected option '%s'", command, arg);
        if (option->type == CLI_FLAG && long_index >= 0 && strchr(arg, '='))
            return cli_fail("%s: --%s takes no value", command, option->name);
        given[(*given_count)++] = (GivenOption){option, optarg};
    }
    return 0;
}

int cli_options_parse(const char *command, int argc, char **argv, const CliOption *options, int *first_positional) {
    GivenOption *given = malloc(sizeof *given * (size_t)(argc > 0 ? argc : 1));
    if (!given) return cli_fail("%s: out of memory", command);
    int given_count = 0, order = 0;
    const char *config_path = NULL;
    int rc = options_collect(command, argc, argv, options, given, &given_count, &config_path);
    if (rc == 0 && config_path) rc = config_apply(command, config_path, options, &order);
    for (int i = 0; rc == 0 && i < given_count; i++) {
        char name[80];
        snprintf(name, sizeof name, "--%s", given[i].option->name);
        rc = option_store(name, given[i].option, given[i].value, &order);
    }
    free(given);
    *first_positional = optind;
    return rc;
}

int cli_options_parse_only(const char *command, int argc, char **argv, const CliOption *options) {
    int first = 0;
    if (cli_options_parse(command, argc, argv, options, &first) != 0) return 1;
    if (first < argc) return cli_fail("%s: unexpected argument '%s' (iar %s --help)", command, argv[first], command);
    return 0;
}
