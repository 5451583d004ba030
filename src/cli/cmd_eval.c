// cmd_eval.c — `iar eval`: argument parsing, then eval_run (src/eval/run.c) and the table on stdout.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/files.h"
#include "eval/eval.h"
#include "eval/report.h"
#include "eval/summary.h"
#include "train/peak.h"

static void eval_usage(FILE *out) {
    fprintf(out,
            "usage: iar eval --data DATA.jsonl --model SPEC [options]\n\n"
            "Evaluates a model on a screening dataset into a resumable run folder (predictions.jsonl,\n"
            "summary.json, report.md, report.html) and prints the per-dimension table.\n\n"
            "SPEC: random | all | native[:DIR] | openai:MODEL[@BASE_URL]  (BASE_URL default https://api.openai.com/v1)\n"
            "      native alone is the default model: $IAR_MODEL, else the shipped models/iar-small\n\n"
            "options:\n"
            "  --out DIR            run folder (default runs/<model>_<dataset>_<YYYYMMDD>); re-running resumes it\n"
            "  --name NAME          display name in tables (default: the backend's name)\n"
            "  --limit N            only the first N selected samples\n"
            "  --ids FILE           only these ids (one a line)\n"
            "  --retry-failed       also re-run ids refused for good (HTTP 400, unreadable image); failures of\n"
            "                       transport, key, rate limit or server are always re-run; the exit status\n"
            "                       is 3 while any failed request remains in the run\n"
            "  --allow-outside      dataset images may resolve (through symbolic links) outside its folder\n"
            "  --concurrency K      requests in flight for HTTP backends (default 1)\n"
            "  --threads N          CPU threads of a native model (OpenMP + OpenBLAS; default: all cores)\n"
            "  --temperature T      sampling temperature (default 0)\n"
            "  --max-tokens N       output token limit (default 512)\n"
            "  --seed S             seed of random baselines and sampling (default 0)\n"
            "  --timeout S          per-request timeout in seconds (default 120)\n"
            "  --retries N          retries on 429/5xx/timeouts/resets (default 6)\n"
            "  --template FILE      prompt template for HTTP backends (see docs/EVAL.md)\n"
            "  --cache FILE         SQLite response cache (default: runs/cache.sqlite for openai:)\n"
            "  --no-cache           no response cache\n"
            "  --api-key-env NAME   environment variable holding the API key (default OPENAI_API_KEY)\n"
            "  --price-in USD       price per million prompt tokens (default: built-in table)\n"
            "  --price-out USD      price per million completion tokens\n"
            "  --config FILE.json   these options from a JSON object ({\"concurrency\": 8}); the command line wins\n\n"
            "examples:\n"
            "  iar eval --data bench1/data.jsonl --model random\n"
            "  OPENAI_API_KEY=... iar eval --data bench1/data.jsonl --model openai:gpt-4o-mini --concurrency 8\n"
            "  iar eval --data bench1/data.jsonl --model openai:qwen2-vl@http://localhost:8000/v1 --out runs/qwen\n");
}

int cmd_eval(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        eval_usage(stdout);
        return 0;
    }
    EvalRunOptions options;
    eval_run_options_default(&options);
    BackendOptions *backend = &options.backend;
    long limit = 0, threads = 0, concurrency = backend->concurrency, max_tokens = backend->max_tokens, retries = backend->max_retries;
    long seed = (long)backend->seed;
    double temperature = backend->temperature, timeout = backend->timeout_seconds;
    double price_in = options.price_in_per_million, price_out = options.price_out_per_million;
    const char *api_key = NULL;
    const CliOption OPTIONS[] = {
        OPTION_STRING("data", &options.data_path),
        OPTION_STRING("model", &options.model_spec),
        OPTION_STRING("out", &options.out_dir),
        OPTION_STRING("name", &options.name),
        OPTION_STRING("ids", &options.ids_path),
        OPTION_STRING("template", &backend->prompt_template_path),
        OPTION_STRING("cache", &backend->cache_path),
        OPTION_FLAG("no-cache", &options.no_cache),
        OPTION_STRING("api-key-env", &backend->api_key_env),
        OPTION_STRING("api-key", &api_key),
        OPTION_FLAG("retry-failed", &options.retry_failed),
        OPTION_FLAG("allow-outside", &options.allow_outside),
        OPTION_LONG("limit", &limit, 1, 1e9),
        OPTION_LONG("concurrency", &concurrency, 1, 256),
        OPTION_LONG("threads", &threads, 1, 256),
        OPTION_LONG("max-tokens", &max_tokens, 1, 1000000),
        OPTION_LONG("retries", &retries, 0, 100),
        OPTION_LONG("seed", &seed, 0, 9e18),
        OPTION_DOUBLE("temperature", &temperature, 0, 2),
        OPTION_DOUBLE("timeout", &timeout, 0.001, 86400),
        OPTION_DOUBLE("price-in", &price_in, 0, 1e6),
        OPTION_DOUBLE("price-out", &price_out, 0, 1e6),
        OPTION_END,
    };
    int first = 0;
    if (cli_options_parse("eval", argc, argv, OPTIONS, &first) != 0) return 1;
    if (api_key) return cli_fail("eval: keys never go on the command line; put it in an environment variable (--api-key-env NAME)");
    if (first < argc) return cli_fail("eval: unexpected argument '%s' (iar eval --help)", argv[first]);
    options.limit = (size_t)limit;
    train_set_threads((int)threads); // 0 (not given): the OpenMP/OpenBLAS defaults
    backend->concurrency = (int)concurrency;
    backend->max_tokens = (int)max_tokens;
    backend->max_retries = (int)retries;
    backend->seed = (uint64_t)seed;
    backend->temperature = (float)temperature;
    backend->timeout_seconds = timeout;
    options.price_in_per_million = price_in;
    options.price_out_per_million = price_out;
    if (!options.data_path) return cli_fail("eval: --data DATA.jsonl is required (iar eval --help)");
    if (!options.model_spec) return cli_fail("eval: --model SPEC is required: random, all, native[:DIR] or openai:MODEL[@URL]");
    // `native` alone is the default model (--model DIR of iar screen, $IAR_MODEL, the shipped one)
    char native_spec[4200];
    if (strcmp(options.model_spec, "native") == 0) {
        char model[4096];
        if (cli_resolve_model(NULL, model, sizeof model) != 0) return 1;
        snprintf(native_spec, sizeof native_spec, "native:%s", model);
        options.model_spec = native_spec;
    }

    Progress progress;
    progress_begin(&progress, "eval", 0, cli_progress_report, NULL);
    EvalRunResult result;
    Error err = {{0}};
    int status = eval_run(&options, &progress, &result, &err);
    if (status == 0 || progress.done > 0) progress_end(&progress);
    if (status != 0) {
        if (result.run_dir[0]) fprintf(stderr, "iar: eval: results so far are kept in %s/predictions.jsonl; re-run to resume\n", result.run_dir);
        return cli_fail_error(&err);
    }
    EvalRunData run;
    if (eval_run_data_load(&run, result.run_dir, &err) != 0) return cli_fail_error(&err);
    char *table = report_table_markdown(&run, 1);
    printf("%s", table ? table : "");
    free(table);
    const EvalSummary *s = &run.summary;
    printf("\n%zu samples (%zu evaluated now, %zu already done, %zu request failures); run folder %s\n", s->samples,
           result.evaluated, result.skipped, result.failed, result.run_dir);
    if (s->cost_usd >= 0 && (s->prompt_tokens || s->completion_tokens))
        printf("tokens %lld in / %lld out, estimated cost $%.4f\n", s->prompt_tokens, s->completion_tokens, s->cost_usd);
    else if (s->cost_usd < 0)
        printf("tokens %lld in / %lld out, cost unknown for this model (give --price-in and --price-out)\n", s->prompt_tokens,
               s->completion_tokens);
    if (result.errors_left)
        fprintf(stderr, "iar: eval: %zu request%s failed (%zu will be asked again by re-running; --retry-failed asks all)\n",
                result.errors_left, result.errors_left == 1 ? "" : "s", s->transient_errors);
    eval_run_data_free(&run);
    return result.errors_left ? 3 : 0;
}
