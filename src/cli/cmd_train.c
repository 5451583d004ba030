// cmd_train.c — `iar train tokenizer|vision|sft|grpo`: argument parsing and printing only; the work is in
// src/train (sft.h) and src/text (tokenizer.h). `grpo` is dispatched to cmd_train_grpo.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/dataset.h"
#include "eval/backend.h"
#include "text/layout.h"
#include "text/prompt.h"
#include "text/tokenizer.h"
#include "train/distributed.h"
#include "train/sft.h"

static void train_usage(FILE *f) {
    fputs("usage: iar train tokenizer --data DATA.jsonl --out tokenizer.json [--vocab 1024]\n"
          "       iar train sft --data DATA.jsonl --out CKPT [options]   (iar train sft --help)\n"
          "       iar train grpo --data DATA.jsonl --init SFT_CKPT --out CKPT [options]\n"
          "example: iar train sft --data data/train/data.jsonl --out runs/sft --config small --steps 900\n",
          f);
}

static void sft_usage(FILE *f) {
    fputs("usage: iar train sft --data DATA.jsonl --out CKPT [options]\n"
          "Chain-of-thought SFT of the native model: loss on the rationale + answer tokens, AdamW, warmup + cosine.\n"
          "  --config tiny|small|base  model preset (default small); NAME:plain|head|pointer picks the candidate parts\n"
          "                          (e.g. small:pointer; docs/MODEL.md)\n"
          "  --aux-weight W            weight of the auxiliary per-candidate flaw loss (default 0.5; needs the head)\n"
          "  --init CKPT               start from a checkpoint's weights and tokenizer (curriculum stages)\n"
          "  --init-vision DIR         read the images through this pretrained tower (`iar train vision`),\n"
          "                            frozen; the language side of --config learns on top of it\n"
          "  --init-product DIR        with --init-vision: a product-view tower (`iar train vision\n"
          "                            --product-view`) beside it, frozen; its flaw logit is one more feature\n"
          "  --tower-heads-after N     the tower's heads (cross-attention, evidence MLP, flaw and token heads)\n"
          "                            train with the language side from step N on (0: from the start); its\n"
          "                            convolutions stay frozen (default: the whole tower frozen)\n"
          "  --tower-lr LR             the heads' peak learning rate on the run's schedule (default 1e-4)\n"
          "  --tokenizer FILE          use this tokenizer.json (default: the init's, else trained on the data)\n"
          "  --vocab N                 vocabulary when the tokenizer is trained here (default 1024)\n"
          "  --steps N | --epochs E    length of the run (default 900 steps: ~5 min of small on 2 cores)\n"
          "  --batch B                 rows per step (default 16)\n"
          "  --lr LR --warmup N        peak learning rate (default 2e-3), warmup steps (default 20)\n"
          "  --min-lr-ratio R          cosine floor as a fraction of the peak (default 0.1)\n"
          "  --weight-decay W --clip C AdamW decay on matrices (default 0.1), gradient-norm clip (default 1)\n"
          "  --seed S                  data order, split and initialisation (default 1)\n"
          "  --val-fraction F          held-out share (default 0.05); --val-every N (default: at the end)\n"
          "  --val-samples N           held-out samples generated per validation (default 64)\n"
          "  --save-every N            checkpoint every N steps (default: at the end)\n"
          "  --stop-at N               stop after step N as if interrupted (continue with --resume)\n"
          "  --resume                  continue CKPT's state.bin bit-for-bit (a new run when there is none);\n"
          "                            a larger --steps extends a finished run\n"
          "  --threads K               OpenMP/OpenBLAS threads; --peak-gflops G for MFU (default: measured)\n"
          "  --cache-dir DIR           image cache folder (default: the dataset's folder)\n"
          "  --config FILE.json        these options from a JSON object ({\"steps\": 900, \"resume\": true});\n"
          "                            the command line overrides it (docs/TRAINING.md)\n"
          "Writes CKPT/model.safetensors, config.json, tokenizer.json, state.bin, train_log.jsonl.\n"
          "example: iar train sft --data data/train/data.jsonl --out runs/sft --config small --steps 900 --batch 16\n",
          f);
}

static int cmd_train_tokenizer(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs("usage: iar train tokenizer --data DATA.jsonl --out tokenizer.json [--vocab 1024] [--pretokenizer P]\n"
              "Trains a byte-level BPE on the dataset's prompts and rationales.\n"
              "  --pretokenizer P  iar-phrases-v1 (default: merges may span words within a clause) or\n"
              "                    iar-chunks-v1 (merges stay inside words)\n"
              "  --config FILE.json  these options from a JSON object; the command line overrides it\n"
              "example: iar train tokenizer --data data/train/data.jsonl --out runs/tokenizer.json --vocab 1024\n",
              stdout);
        return 0;
    }
    const char *data = NULL, *out = NULL, *pretokenizer = TOKENIZER_DEFAULT_PRETOKENIZER;
    long vocab = 1024;
    const CliOption options[] = {
        OPTION_STRING("data", &data),
        OPTION_STRING("out", &out),
        OPTION_STRING("pretokenizer", &pretokenizer),
        OPTION_LONG("vocab", &vocab, 259, 65536),
        OPTION_END,
    };
    if (cli_options_parse_only("train tokenizer", argc, argv, options) != 0) return 1;
    if (!data || !out) return cli_fail("train tokenizer: --data and --out are required (see --help)");
    Dataset dataset;
    Error err = {{0}};
    if (dataset_load(&dataset, data, &err) != 0) return cli_fail_error(&err);
    size_t n = dataset.count + DIMENSION_COUNT + 1;
    char **texts = calloc(n, sizeof *texts);
    for (size_t i = 0; texts && i < dataset.count; i++) texts[i] = sample_completion_text(&dataset.samples[i]);
    for (int d = -1; texts && d < DIMENSION_COUNT; d++) texts[dataset.count + (size_t)(d + 1)] = prompt_native_text(d);
    Tokenizer *tok = NULL;
    int rc = texts ? tokenizer_train_with_pretokenizer(&tok, (const char *const *)texts, n, (int)vocab, pretokenizer, &err)
                   : error_set(&err, "out of memory");
    if (rc == 0) rc = tokenizer_save(tok, out, &err);
    if (rc == 0) {
        long bytes = 0, tokens = 0;
        int ids[4096];
        for (size_t i = 0; i < dataset.count; i++) {
            bytes += (long)strlen(texts[i]);
            tokens += tokenizer_encode(tok, texts[i], ids, 4096);
        }
        printf("tokenizer: %d tokens (asked %ld), %.2f bytes/token on %zu samples -> %s\n", tokenizer_vocab_size(tok),
               vocab, tokens ? (double)bytes / (double)tokens : 0.0, dataset.count, out);
    }
    for (size_t i = 0; texts && i < n; i++) free(texts[i]);
    free(texts);
    tokenizer_free(tok);
    dataset_free(&dataset);
    return rc == 0 ? 0 : cli_fail_error(&err);
}

static void sft_on_start(void *user, const SftStartInfo *info) {
    (void)user;
    fprintf(stderr,
            "sft: config %s, %zu parameters, %.3g training FLOPs/token, peak %.1f GFLOP/s, vocab %d%s\n"
            "sft: %zu training / %zu held-out samples, image cache %s, %s at step %ld of %ld\n",
            info->config_name, info->parameters, info->flops_per_token, info->peak_gflops, info->vocab_size,
            info->tokenizer_trained ? " (tokenizer trained now)" : "", info->train_samples, info->validation_samples,
            info->image_cache_reused ? "reused" : "built", info->resumed ? "resuming" : "starting", info->start_step,
            info->total_steps);
    if (info->truncated_rows)
        fprintf(stderr, "sft: warning: %zu rationales were cut to fit the model's text length\n", info->truncated_rows);
}

static void sft_on_validation(void *user, long step, const ValidationResult *v) {
    (void)user;
    fprintf(stderr, "\nsft: step %ld validation on %zu held-out samples: exact %.1f, prop %.1f, parse failures %zu",
            step, v->samples, 100 * v->exact, 100 * v->prop, v->parse_failures);
    for (int d = 0; d < DIMENSION_COUNT; d++)
        if (v->per_dimension_samples[d])
            fprintf(stderr, ", %s %.0f", dimension_id((Dimension)d), 100 * v->per_dimension_exact[d]);
    fputc('\n', stderr);
}

// The SFT options onto `o`; returns 0, or 1 after printing the error. Older names stay accepted:
// --grad-clip, --val-limit and --cache (the vocabulary is now vision's).
static int sft_parse(int argc, char **argv, SftOptions *o) {
    long seed = (long)o->seed;
    int steps_position = 0, epochs_position = 0;
    const CliOption options[] = {
        OPTION_STRING("data", &o->data_path),
        OPTION_STRING("out", &o->out_dir),
        OPTION_STRING("config", &o->config_name),
        OPTION_STRING("init", &o->init_dir),
        OPTION_STRING("init-vision", &o->init_vision),
        OPTION_STRING("init-product", &o->init_product),
        OPTION_STRING("tokenizer", &o->tokenizer_path),
        OPTION_STRING("cache-dir", &o->cache_dir),
        OPTION_STRING("cache", &o->cache_dir),
        OPTION_INT("vocab", &o->vocab_size, 259, 65536),
        {.name = "steps", .type = CLI_LONG, .value = &o->steps, .min = 1, .max = 1e8, .position = &steps_position},
        {.name = "epochs", .type = CLI_DOUBLE, .value = &o->epochs, .min = 1e-6, .max = 1e6, .position = &epochs_position},
        OPTION_INT("batch", &o->batch_size, 1, 4096),
        OPTION_FLOAT("lr", &o->learning_rate, 1e-8, 10),
        OPTION_LONG("warmup", &o->warmup_steps, 0, 1e8),
        OPTION_FLOAT("min-lr-ratio", &o->min_lr_ratio, 0, 1),
        OPTION_FLOAT("weight-decay", &o->weight_decay, 0, 10),
        OPTION_FLOAT("clip", &o->clip_norm, 0, 1e6),
        OPTION_FLOAT("grad-clip", &o->clip_norm, 0, 1e6),
        OPTION_FLOAT("aux-weight", &o->aux_weight, 0, 100),
        OPTION_LONG("tower-heads-after", &o->tower_heads_after, 0, 1e8),
        OPTION_FLOAT("tower-lr", &o->tower_lr, 1e-9, 10),
        OPTION_LONG("seed", &seed, 0, 2147483647),
        OPTION_DOUBLE("val-fraction", &o->val_fraction, 0, 0.9),
        OPTION_LONG("val-every", &o->val_every, 0, 1e8),
        OPTION_INT("val-samples", &o->val_samples, 0, 1000000),
        OPTION_INT("val-limit", &o->val_samples, 0, 1000000),
        OPTION_LONG("save-every", &o->save_every, 0, 1e8),
        OPTION_LONG("stop-at", &o->stop_at, 1, 1e8),
        OPTION_FLAG("resume", &o->resume),
        OPTION_INT("threads", &o->threads, 1, 256),
        OPTION_DOUBLE("peak-gflops", &o->peak_gflops, 1e-3, 1e9),
        OPTION_END,
    };
    if (cli_options_parse_only("train sft", argc, argv, options) != 0) return 1;
    o->seed = (uint64_t)seed;
    if (epochs_position > steps_position) o->steps = 0; // the later of --steps/--epochs wins
    if (steps_position > epochs_position) o->epochs = 0;
    return 0;
}

static int cmd_train_sft(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        sft_usage(stdout);
        return 0;
    }
    SftOptions o;
    sft_options_default(&o);
    if (sft_parse(argc, argv, &o) != 0) return 1;
    if (!o.data_path || !o.out_dir) return cli_fail("train sft: --data and --out are required (see --help)");
    // under mpirun: one rank per process, rank 0 prints (docs/SCALE.md); else a one-process world
    Distributed dist;
    Error dist_err = {{0}};
    if (distributed_init(&dist, NULL, NULL, &dist_err) != 0) return cli_fail_error(&dist_err);
    o.dist = &dist;
    int root = distributed_is_root(&dist);
    Progress progress, cache_progress;
    progress_begin(&progress, "sft", 0, cli_progress_report, NULL);
    progress_begin(&cache_progress, "image cache", 0, cli_progress_report, NULL);
    SftEvents events = {.progress = &progress, .cache_progress = &cache_progress, .on_start = sft_on_start,
                        .on_validation = sft_on_validation};
    SftResult result;
    Error err = {{0}};
    SftEvents quiet = {0};
    if (sft_train(&o, root ? &events : &quiet, &result, &err) != 0) return cli_fail_training(&dist, &err);
    distributed_finalize(&dist);
    if (!root) return 0;
    printf("sft: %ld steps, final loss %.4f, %.1f s", result.steps_done, result.final_loss, result.seconds);
    if (dist.size > 1) printf(" on %d MPI processes", dist.size);
    if (result.validation.samples)
        printf(", held-out exact %.1f (%zu samples, %zu parse failures)", 100 * result.validation.exact,
               result.validation.samples, result.validation.parse_failures);
    printf(" -> %s\n", o.out_dir);
    // Open the checkpoint exactly as `iar eval --model native:OUT` will, so a bad save shows now.
    Backend check;
    if (backend_native_open(&check, o.out_dir, NULL, &err) != 0) return cli_fail_error(&err);
    backend_close(&check);
    printf("evaluate it with: iar eval --data TEST.jsonl --model native:%s\n", o.out_dir);
    return 0;
}

int cmd_train(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        train_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    int (*stage)(int, char **) = strcmp(argv[1], "tokenizer") == 0 ? cmd_train_tokenizer
                                 : strcmp(argv[1], "sft") == 0     ? cmd_train_sft
                                 : strcmp(argv[1], "grpo") == 0    ? cmd_train_grpo
                                 : strcmp(argv[1], "vision") == 0  ? cmd_train_vision
                                                                   : NULL;
    if (stage) return stage(argc - 1, argv + 1);
    return cli_fail("train: unknown stage '%s' (use tokenizer, vision, sft or grpo)", argv[1]);
}
