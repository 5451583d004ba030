// cmd_screen.c — `iar screen`: the one-shot verdict on five images of the user's (original + A-D),
// or --batch over many sets into a resumable predictions folder (the same format as `iar eval`).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "core/files.h"
#include "core/progress.h"
#include "data/image_sets.h"
#include "eval/eval.h"
#include "image/image.h"
#include "screen/screen.h"
#include "core/utf8.h"
#include "serve/response.h"
#include "text/answer.h"

static const char USAGE[] =
    "usage: iar screen ORIGINAL A B C D [options]\n"
    "       iar screen --batch FILE.csv|FILE.jsonl|DIR [--out RUN] [options]\n\n"
    "Screens four generated images against their original: which of A-D are flawed, and why.\n"
    "Images may be PNG or JPEG of any size and aspect ratio (non-square ones are letterboxed).\n\n"
    "options:\n"
    "  --dimension NAME|all  deformation, lighting, placement, extension, or all four (default all)\n"
    "  --model DIR           model folder (default: $IAR_MODEL, else the shipped models/iar-small)\n"
    "  --json                one JSON object on stdout (for scripts)\n"
    "  --batch PATH          many sets: a CSV with columns original,a,b,c,d[,id,dimension], a JSONL\n"
    "                        dataset (no \"answer\" needed), or a folder of set folders each holding\n"
    "                        original.png and a.png b.png c.png d.png (or .jpg); see docs/DATA.md\n"
    "  --out RUN             batch run folder (default runs/<model>_<input>_<date>); re-running resumes it\n"
    "  --limit N             batch: only the first N samples\n"
    "  --max-tokens N        reply length limit (default 512)\n"
    "  --temperature T       sampling temperature (default 0: greedy)\n"
    "  --seed S              sampling seed (default 0)\n"
    "  --config FILE.json    these options from a JSON object ({\"json\": true}); the command line wins\n\n"
    "examples:\n"
    "  iar screen photo.jpg gen1.png gen2.png gen3.png gen4.png\n"
    "  iar screen photo.jpg gen1.png gen2.png gen3.png gen4.png --dimension lighting --json\n"
    "  iar screen --batch sets.csv --out runs/sets\n";

typedef struct ScreenCommand {
    const char *model_arg, *dimension_arg, *batch, *out;
    int json;
    long max_tokens, seed, limit;
    double temperature;
    char model_dir[4096];
    int dimension; // -1: all four
} ScreenCommand;

typedef struct DimensionVerdict {
    int dimension;
    ScreenOutput output;
} DimensionVerdict;

static void letters_add(cJSON *array, AnswerSet set) {
    for (int i = 0; i < CANDIDATE_COUNT; i++)
        if (set & (1u << i)) cJSON_AddItemToArray(array, cJSON_CreateString((const char[]){(char)('A' + i), 0}));
}

static void print_json(const ScreenCommand *command, char *const paths[5], const DimensionVerdict *verdicts, int count,
                       AnswerSet flawed, int failures, double seconds) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", command->model_dir);
    cJSON_AddStringToObject(root, "original", paths[0]);
    cJSON *candidates = cJSON_AddArrayToObject(root, "candidates");
    for (int i = 1; i < 5; i++) cJSON_AddItemToArray(candidates, cJSON_CreateString(paths[i]));
    cJSON *results = cJSON_AddArrayToObject(root, "results");
    for (int v = 0; v < count; v++) {
        cJSON *one = cJSON_CreateObject();
        cJSON_AddStringToObject(one, "dimension", dimension_id((Dimension)verdicts[v].dimension));
        const ScreenOutput *output = &verdicts[v].output;
        if (output->answer.status == ANSWER_PARSE_FAILED) cJSON_AddNullToObject(one, "flawed");
        else letters_add(cJSON_AddArrayToObject(one, "flawed"), output->answer.set);
        cJSON_AddStringToObject(one, "parse", answer_parse_status_name(output->answer.status));
        // byte-level tokens may decode to a broken UTF-8 sequence, which JSON cannot carry
        char *text = utf8_sanitize(output->text);
        cJSON_AddStringToObject(one, "text", text ? text : "");
        free(text);
        if (output->has_evidence) {
            cJSON *evidence = cJSON_AddObjectToObject(one, "evidence"); // P(flawed) per candidate
            for (int i = 0; i < CANDIDATE_COUNT; i++)
                cJSON_AddNumberToObject(evidence, (const char[]){(char)('A' + i), 0},
                                        (double)(long long)(output->evidence[i] * 1000 + 0.5) / 1000.0);
            // letters where the text and its evidence disagree: the verdicts to look at twice
            letters_add(cJSON_AddArrayToObject(one, "disputed"), screen_output_disputed(output));
        } else {
            cJSON_AddNullToObject(one, "evidence");
            cJSON_AddNullToObject(one, "disputed");
        }
        cJSON_AddBoolToObject(one, "truncated", output->truncated);
        cJSON_AddNumberToObject(one, "prompt_tokens", output->prompt_tokens);
        cJSON_AddNumberToObject(one, "completion_tokens", output->completion_tokens);
        cJSON_AddItemToArray(results, one);
    }
    letters_add(cJSON_AddArrayToObject(root, "flawed"), flawed);
    cJSON *good = cJSON_AddArrayToObject(root, "good");
    if (!failures) letters_add(good, (AnswerSet)(ANSWER_SET_ALL & ~flawed));
    cJSON_AddNumberToObject(root, "parse_failures", failures);
    cJSON_AddNumberToObject(root, "seconds", (double)(long long)(seconds * 1000 + 0.5) / 1000.0);
    cli_print_json(root);
}

static void print_text(const ScreenCommand *command, const DimensionVerdict *verdicts, int count, AnswerSet flawed,
                       int failures, double seconds) {
    for (int v = 0; v < count; v++) {
        const ScreenOutput *output = &verdicts[v].output;
        char letters[16], evidence[128] = "", disputed[16];
        if (output->answer.status == ANSWER_PARSE_FAILED) snprintf(letters, sizeof letters, "unreadable");
        else answer_set_format(output->answer.set, letters, sizeof letters);
        AnswerSet against = screen_output_disputed(output);
        answer_set_format(against, disputed, sizeof disputed);
        if (output->has_evidence)
            snprintf(evidence, sizeof evidence, " [P(flawed) A %.2f B %.2f C %.2f D %.2f%s%s]", output->evidence[0],
                     output->evidence[1], output->evidence[2], output->evidence[3],
                     against ? "; the evidence disagrees on " : "", against ? disputed : "");
        printf("%-12s flawed: %-10s%s %s%s\n", dimension_id((Dimension)verdicts[v].dimension), letters, evidence,
               output->text ? output->text : "", output->truncated ? " (cut at --max-tokens)" : "");
    }
    char flawed_text[16], good_text[16];
    answer_set_format(flawed, flawed_text, sizeof flawed_text);
    answer_set_format((AnswerSet)(ANSWER_SET_ALL & ~flawed), good_text, sizeof good_text);
    printf("verdict: flawed %s; good %s\n", flawed_text, failures ? "unknown (a reply was unreadable)" : good_text);
    fprintf(stderr, "iar screen: %d dimension%s in %.2f s with %s\n", count, count == 1 ? "" : "s", seconds,
            command->model_dir);
}

static int screen_one(const ScreenCommand *command, char **paths) {
    double start = time_now_seconds();
    Error err = {{0}};
    Image images[MODEL_IMAGE_COUNT];
    memset(images, 0, sizeof images);
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++)
        if (image_load(&images[i], paths[i], 0, &err) != 0) {
            for (int k = 0; k < i; k++) image_free(&images[k]);
            return cli_fail("screen: %s", err.message);
        }
    ScreenModel model;
    if (screen_model_load(&model, command->model_dir, 1, &err) != 0) {
        for (int k = 0; k < MODEL_IMAGE_COUNT; k++) image_free(&images[k]);
        return cli_fail("screen: %s", err.message);
    }
    const Image *views[MODEL_IMAGE_COUNT];
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) views[i] = &images[i];
    DimensionVerdict verdicts[DIMENSION_COUNT];
    memset(verdicts, 0, sizeof verdicts);
    int count = 0, failures = 0;
    AnswerSet flawed = 0;
    // the images are prepared once and screened for each dimension asked
    int rc = model_prepare_images(&model.model.config, views, model.scratch.images, &err) != 0
                 ? cli_fail("screen: %s", err.message)
                 : 0;
    for (int d = 0; d < DIMENSION_COUNT && rc == 0; d++) {
        if (command->dimension >= 0 && d != command->dimension) continue;
        GenerateOptions options = {.max_new_tokens = (int)command->max_tokens,
                                   .temperature = (float)command->temperature,
                                   .top_p = 1.0f,
                                   .seed = (uint64_t)command->seed,
                                   .eos_token = TOKEN_EOS};
        DimensionVerdict *verdict = &verdicts[count];
        verdict->dimension = d;
        if (screen_prepared(&model.model, model.tokenizer, &model.scratch, model.scratch.images, d, &options, 1,
                            &verdict->output, &err) != 0) {
            rc = cli_fail("screen: %s", err.message);
            break;
        }
        count++;
        if (verdict->output.answer.status == ANSWER_PARSE_FAILED) failures++;
        else flawed |= verdict->output.answer.set;
    }
    double seconds = time_now_seconds() - start;
    if (rc == 0) {
        if (command->json) print_json(command, paths, verdicts, count, flawed, failures, seconds);
        else print_text(command, verdicts, count, flawed, failures, seconds);
    }
    for (int v = 0; v < count; v++) screen_outputs_free(&verdicts[v].output, 1);
    screen_model_free(&model);
    for (int k = 0; k < MODEL_IMAGE_COUNT; k++) image_free(&images[k]);
    return rc;
}

static int ends_with(const char *text, const char *suffix) {
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

// The batch's summary for scripts; the folder is the user's (any bytes), so cJSON escapes it.
static void print_batch_json(const EvalRunResult *result) {
    char *run = utf8_sanitize(result->run_dir), *predictions = run ? path_join(run, "predictions.jsonl") : NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "run", run ? run : "");
    cJSON_AddStringToObject(root, "predictions", predictions ? predictions : "");
    cJSON_AddNumberToObject(root, "selected", (double)result->selected);
    cJSON_AddNumberToObject(root, "screened", (double)result->evaluated);
    cJSON_AddNumberToObject(root, "skipped", (double)result->skipped);
    cJSON_AddNumberToObject(root, "failed", (double)result->failed);
    cli_print_json(root);
    free(predictions);
    free(run);
}

static int screen_batch(const ScreenCommand *command) {
    Error err = {{0}};
    Dataset sets = {0};
    int from_jsonl = ends_with(command->batch, ".jsonl") || ends_with(command->batch, ".json");
    if (!from_jsonl && image_sets_load(&sets, command->batch, command->dimension, &err) != 0)
        return cli_fail("screen: %s", err.message);
    char spec[4200];
    snprintf(spec, sizeof spec, "native:%s", command->model_dir);
    EvalRunOptions options;
    eval_run_options_default(&options);
    options.data_path = command->batch;
    options.dataset = from_jsonl ? NULL : &sets;
    options.model_spec = spec;
    options.out_dir = command->out;
    options.limit = (size_t)command->limit;
    options.backend.max_tokens = (int)command->max_tokens;
    options.backend.temperature = (float)command->temperature;
    options.backend.seed = (uint64_t)command->seed;
    Progress progress;
    progress_begin(&progress, "screen", 0, cli_progress_report, NULL);
    EvalRunResult result;
    int status = eval_run(&options, &progress, &result, &err);
    if (status == 0 || progress.done > 0) progress_end(&progress);
    dataset_free(&sets);
    if (status != 0) {
        if (result.run_dir[0])
            fprintf(stderr, "iar: screen: results so far are kept in %s/predictions.jsonl; re-run to resume\n", result.run_dir);
        return cli_fail("screen: %s", err.message);
    }
    if (command->json)
        print_batch_json(&result);
    else
        printf("%zu samples (%zu screened now, %zu already done, %zu failures); predictions in %s/predictions.jsonl\n",
               result.selected, result.evaluated, result.skipped, result.failed, result.run_dir);
    return result.failed ? 3 : 0;
}

int cmd_screen(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        return 0;
    }
    ScreenCommand command = {.max_tokens = 512, .dimension = -1};
    const CliOption OPTIONS[] = {
        OPTION_STRING("model", &command.model_arg),
        OPTION_STRING("dimension", &command.dimension_arg),
        OPTION_FLAG("json", &command.json),
        OPTION_STRING("batch", &command.batch),
        OPTION_OUT(&command.out),
        OPTION_LONG("limit", &command.limit, 1, 1e9),
        OPTION_LONG("max-tokens", &command.max_tokens, 1, 65536),
        OPTION_DOUBLE("temperature", &command.temperature, 0, 2),
        OPTION_LONG("seed", &command.seed, 0, 9e18),
        OPTION_END,
    };
    int first = 0;
    if (cli_options_parse("screen", argc, argv, OPTIONS, &first) != 0) return 1;
    int positional = argc - first;
    if (command.dimension_arg && strcmp(command.dimension_arg, "all") != 0) {
        Dimension d;
        if (dimension_parse(command.dimension_arg, &d) != 0)
            return cli_fail("screen: --dimension %s: expected deformation, lighting, placement, extension or all",
                            command.dimension_arg);
        command.dimension = (int)d;
    }
    if (command.batch && positional)
        return cli_fail("screen: --batch takes no image paths (got '%s')", argv[first]);
    if (!command.batch && positional != 5)
        return cli_fail("screen: give five images, ORIGINAL A B C D (got %d), or --batch PATH", positional);
    if (!command.batch && (command.out || command.limit))
        return cli_fail("screen: --out and --limit apply to --batch only");
    if (cli_resolve_model(command.model_arg, command.model_dir, sizeof command.model_dir) != 0) return 1;
    return command.batch ? screen_batch(&command) : screen_one(&command, argv + first);
}
