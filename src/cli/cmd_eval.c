// cmd_eval.c — `iar eval`: argument parsing, then eval_run (src/eval/run.c) and the table on stdout.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/files.h"
#include "eval/eval.h"
#include "eval/report.h"
#include "eval/summary.h"

static void eval_usage(FILE *out) {
    fprintf(out,
            "usage: iar eval --data DATA.jsonl --model SPEC [options]\n\n"
            "Evaluates a model on a screening dataset into a resumable run folder (predictions.jsonl,\n"
            "summary.json, report.md, report.html) and prints the per-dimension table.\n\n"
            "SPEC: random | all | native:CKPT | openai:MODEL[@BASE_URL]  (BASE_URL default https://api.openai.com/v1)\n\n"
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
            "  --price-out USD      price per million completion tokens\n\n"
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
    const char *cache_path = NULL;
    int no_cache = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double x;
#define TAKES_VALUE()                                               \
    do {                                                            \
        if (!value) return cli_fail("eval: %s needs a value", arg); \
        i++;                                                        \
    } while (0)
        if (strcmp(arg, "--data") == 0) { TAKES_VALUE(); options.data_path = value; }
        else if (strcmp(arg, "--model") == 0) { TAKES_VALUE(); options.model_spec = value; }
        else if (strcmp(arg, "--out") == 0) { TAKES_VALUE(); options.out_dir = value; }
        else if (strcmp(arg, "--name") == 0) { TAKES_VALUE(); options.name = value; }
        else if (strcmp(arg, "--ids") == 0) { TAKES_VALUE(); options.ids_path = value; }
        else if (strcmp(arg, "--template") == 0) { TAKES_VALUE(); options.backend.prompt_template_path = value; }
        else if (strcmp(arg, "--cache") == 0) { TAKES_VALUE(); cache_path = value; }
        else if (strcmp(arg, "--api-key-env") == 0) { TAKES_VALUE(); options.backend.api_key_env = value; }
        else if (strcmp(arg, "--no-cache") == 0) no_cache = 1;
        else if (strcmp(arg, "--retry-failed") == 0) options.retry_failed = 1;
        else if (strcmp(arg, "--allow-outside") == 0) options.allow_outside = 1;
        else if (strcmp(arg, "--limit") == 0) {
            if (cli_parse_int(arg, value, 1, 1000000000L, &n)) return 1;
            options.limit = (size_t)n;
            i++;
        } else if (strcmp(arg, "--concurrency") == 0) {
            if (cli_parse_int(arg, value, 1, 256, &n)) return 1;
            options.backend.concurrency = (int)n;
            i++;
        } else if (strcmp(arg, "--max-tokens") == 0) {
            if (cli_parse_int(arg, value, 1, 1000000, &n)) return 1;
            options.backend.max_tokens = (int)n;
            i++;
        } else if (strcmp(arg, "--retries") == 0) {
            if (cli_parse_int(arg, value, 0, 100, &n)) return 1;
            options.backend.max_retries = (int)n;
            i++;
        } else if (strcmp(arg, "--seed") == 0) {
            if (cli_parse_int(arg, value, 0, 0x7fffffffffffffffL, &n)) return 1;
            options.backend.seed = (uint64_t)n;
            i++;
        } else if (strcmp(arg, "--temperature") == 0) {
            if (cli_parse_double(arg, value, 0.0, 2.0, &x)) return 1;
            options.backend.temperature = (float)x;
            i++;
        } else if (strcmp(arg, "--timeout") == 0) {
            if (cli_parse_double(arg, value, 0.001, 86400.0, &x)) return 1;
            options.backend.timeout_seconds = x;
            i++;
        } else if (strcmp(arg, "--price-in") == 0) {
            if (cli_parse_double(arg, value, 0.0, 1e6, &x)) return 1;
            options.price_in_per_million = x;
            i++;
        } else if (strcmp(arg, "--price-out") == 0) {
            if (cli_parse_double(arg, value, 0.0, 1e6, &x)) return 1;
            options.price_out_per_million = x;
            i++;
        } else if (strcmp(arg, "--api-key") == 0) {
            return cli_fail("eval: keys never go on the command line; put it in an environment variable (--api-key-env NAME)");
        } else {
            return cli_fail("eval: unknown option '%s' (iar eval --help)", arg);
        }
#undef TAKES_VALUE
    }
    if (!options.data_path) return cli_fail("eval: --data DATA.jsonl is required (iar eval --help)");
    if (!options.model_spec) return cli_fail("eval: --model SPEC is required: random, all, native:CKPT or openai:MODEL[@URL]");
    if (!no_cache) options.backend.cache_path = cache_path ? cache_path : (strncmp(options.model_spec, "openai:", 7) == 0 ? "runs/cache.sqlite" : NULL);
    if (options.backend.cache_path && !cache_path) {
        Error err;
        if (dir_create_all("runs", &err) != 0) return cli_fail_error(&err);
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
