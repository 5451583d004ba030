// cli_util.c — error printing, progress display and option parsing shared by the subcommands.
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "train/distributed.h"

void cli_print_json(struct cJSON *object) {
    char *printed = object ? cJSON_PrintUnformatted(object) : NULL;
    cJSON_Delete(object);
    printf("%s\n", printed ? printed : "{}");
    free(printed);
}

int cli_fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("iar: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    return 1;
}

int cli_fail_error(const Error *err) {
    return cli_fail("%s", err->message[0] ? err->message : "unknown error");
}

int cli_fail_training(Distributed *dist, Error *err) {
    if (dist->size > 1) error_prefix(err, "rank %d of %d: ", dist->rank, dist->size);
    cli_fail_error(err);
    distributed_abort(dist, 1);
    distributed_finalize(dist);
    return 1;
}

void cli_progress_report(const Progress *progress, int final) {
    static double last_line_seconds = 0;
    char line[400];
    progress_format(progress, line, sizeof line);
    if (isatty(2)) {
        fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
    } else {
        double now = time_now_seconds();
        if (!final && now - last_line_seconds < 5.0) return;
        last_line_seconds = now;
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
}

int cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 1;
    return 0;
}

int cli_parse_int(const char *option, const char *value, long min, long max, long *out) {
    if (!value) return cli_fail("%s needs a value", option);
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end) return cli_fail("%s: '%s' is not an integer", option, value);
    if (v < min || v > max) return cli_fail("%s: %ld is outside %ld..%ld", option, v, min, max);
    *out = v;
    return 0;
}

int cli_parse_double(const char *option, const char *value, double min, double max, double *out) {
    if (!value) return cli_fail("%s needs a value", option);
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end) return cli_fail("%s: '%s' is not a number", option, value);
    if (!(v >= min && v <= max)) return cli_fail("%s: %g is outside %g..%g", option, v, min, max);
    *out = v;
    return 0;
}

#ifndef IAR_PREFIX
#define IAR_PREFIX "/usr/local"
#endif

static int model_folder_exists(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    return access(path, R_OK) == 0;
}

int cli_resolve_model(const char *given, char *out, size_t size) {
    if (given) {
        if (!model_folder_exists(given))
            return cli_fail("--model %s: no config.json there (a folder from iar train, or models/iar-small)", given);
        snprintf(out, size, "%s", given);
        return 0;
    }
    const char *environment = getenv("IAR_MODEL");
    if (environment && environment[0]) {
        if (!model_folder_exists(environment))
            return cli_fail("IAR_MODEL=%s: no config.json there (a folder from iar train, or models/iar-small)", environment);
        snprintf(out, size, "%s", environment);
        return 0;
    }
    char binary[4096];
    ssize_t n = readlink("/proc/self/exe", binary, sizeof binary - 1);
    if (n > 0) {
        binary[n] = 0;
        char *slash = strrchr(binary, '/');
        if (slash) *slash = 0;
        // build/iar in a checkout finds ../models/iar-small; an installed PREFIX/bin/iar finds
        // ../share/iar/models/iar-small wherever the tree was moved (DESTDIR, a copied prefix)
        if (snprintf(out, size, "%s/../models/iar-small", binary) < (int)size && model_folder_exists(out)) return 0;
        if (snprintf(out, size, "%s/../share/iar/models/iar-small", binary) < (int)size && model_folder_exists(out))
            return 0;
    }
    if (model_folder_exists(IAR_PREFIX "/share/iar/models/iar-small"))
        return snprintf(out, size, "%s", IAR_PREFIX "/share/iar/models/iar-small"), 0;
    return cli_fail("no model: pass --model DIR or set IAR_MODEL (train one with `iar train sft`, or install the "
                    "shipped one with `make install`)");
}

// $IAR_PHOTOS, else $XDG_CACHE_HOME/iar/photos, else ~/.cache/iar/photos (the fetch script's default).
static void default_photos_dir(char *buffer, size_t size) {
    const char *env = getenv("IAR_PHOTOS"), *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (env && env[0]) snprintf(buffer, size, "%s", env);
    else if (cache && cache[0]) snprintf(buffer, size, "%s/iar/photos", cache);
    else snprintf(buffer, size, "%s/.cache/iar/photos", home ? home : ".");
}

int cli_load_photos(const char *command, SynthStyle *style, const char *dir_option, PhotoLibrary **library) {
    *library = NULL;
    if (*style == SYNTH_STYLE_RENDER) return 0;
    char dir[1024];
    if (dir_option) snprintf(dir, sizeof dir, "%s", dir_option);
    else default_photos_dir(dir, sizeof dir);
    Error err = {{0}};
    if (synth_photos_load(library, dir, &err) == 0) return 0;
    if (*style == SYNTH_STYLE_PHOTO)
        return cli_fail("%s: --style photo: %s; fetch the photographs with tools/fetch_photos.sh", command, err.message);
    fprintf(stderr, "warning: %s: no photographs (%s); --style mix renders drawn scenes only "
                    "(fetch them with tools/fetch_photos.sh)\n", command, err.message);
    *style = SYNTH_STYLE_RENDER;
    return 0;
}
