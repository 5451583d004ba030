// cmd_train_vision.c — `iar train vision`: argument parsing and printing only; the work is in
// src/train/vision.c.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "train/distributed.h"
#include "train/vision.h"

static void usage(void) {
    fputs("usage: iar train vision --out DIR [options]\n"
          "Pretrains the vision tower without text: per-candidate flawed/ok plus the generator's dense targets\n"
          "(defect region per token, product and frame boxes, surface and base rows, light and shadow side,\n"
          "defect kind), on samples rendered in memory for every step (the data never repeats).\n"
          "  --out DIR            checkpoint folder: tower.safetensors, tower.json, state.bin, train_log.jsonl\n"
          "  --config NAME        tower preset: tiny | small (128 px, default) | base\n"
          "  --config FILE.json   these options from a JSON object ({\"config\": \"small\", \"steps\": 4000});\n"
          "                       the command line overrides it\n"
          "  --image-size PX      override the preset's input size (a multiple of the tower's stride)\n"
          "  --steps N            optimizer updates (default 4000); raise it with --resume to extend a run\n"
          "  --stop-at N          stop after step N as if interrupted (resume later)\n"
          "  --batch N            samples per step (default 16)\n"
          "  --lr X               peak learning rate (default 0.002), --warmup N (default 100)\n"
          "  --weight-decay X     default 0.01; --clip X gradient-norm clip (default 1)\n"
          "  --seed S             initialisation and dimension dropout (default 1)\n"
          "  --data-seed S        generator seed of the training stream (default 1000)\n"
          "  --val-seed S         generator seed of the validation set (default 999)\n"
          "  --val-samples N      validation samples (default 200), --val-every N (default 500)\n"
          "  --save-every N       checkpoint every N steps (default 250)\n"
          "  --render-size PX     generator canvas (default: the tower's input size)\n"
          "  --difficulty D       easy | medium | hard | mix (default mix)\n"
          "  --style S            render (drawn scenes, default) | photo (scenes from photographs through a\n"
          "                       camera) | mix (half each): the generator's --style\n"
"  --dims LIST          generated dimensions, comma-separated (default all four)\n"
          "  --product-view PX    a new tower that reads each candidate's product view (a square around the\n"
          "                       product as a frame tower with a PX-pixel input finds it, at the original's\n"
          "                       scale): the appearance specialist beside the frame tower; --dims deformation\n"
          "  --photos DIR         the photographs of photo and mix (default $IAR_PHOTOS, else\n"
          "                       ~/.cache/iar/photos; fetch them with tools/fetch_photos.sh)\n"
          "  --init DIR           start from the tower in DIR (its config, weights and batch-norm statistics)\n"
          "                       with a fresh optimizer and schedule: fine-tune it, e.g. on --style mix;\n"
          "                       with --resume, a run already in --out continues and --init is not read\n"
          "  --dimension-dropout P  share of samples whose dimension is hidden from the tower (default 0.2)\n"
          "  --resume             continue DIR's state.bin\n"
          "  --evaluate           only score DIR's tower on --val-samples fresh samples from --val-seed\n"
          "                       (per dimension, difficulty and defect kind) and exit\n"
          "  --product DIR        with --evaluate: deformation samples scored by this product-view tower\n"
          "                       on the views DIR's tower finds (as a model with both towers does)\n"
          "  --threads N          OpenMP threads (default: all cores)\n"
          "under mpirun -np N every process renders and trains its slice of each batch, with batch norm\n"
          "synchronised over them: the same run as one process (docs/SCALE.md)\n"
          "example: iar train vision --out runs/tower --steps 4000\n"
          "         iar train vision --out runs/tower-mix --init models/iar-small/tower --style mix --data-seed 1001 \\\n"
          "             --steps 3000 --lr 0.001 --warmup 50\n",
          stdout);
}

static void on_start(void *user, const TowerConfig *c, size_t parameters, long start, long total, int resumed) {
    fprintf(stderr, "[vision] tower %s: %d px, %d convs, %d tokens/image, %zu parameters; %s at step %ld of %ld\n",
            c->name, c->image_size, c->convs, tower_tokens(c), parameters, resumed ? "resuming" : "starting", start,
            total);
}

static void print_score(const char *name, const VisionScore *s) {
    if (s->samples)
        fprintf(stderr, "  %-12s per candidate %.3f  exact %5.1f  (%zu samples)\n", name, vision_score_accuracy(s),
                100 * vision_score_exact(s), s->samples);
}

static void on_validation(void *user, long step, const VisionEvaluation *e) {
    fprintf(stderr, "\n[vision] validation at step %ld: loss %.4f\n", step, e->loss);
    print_score("overall", &e->overall);
    static const char *const dims[4] = {"deformation", "lighting", "placement", "extension"};
    for (int d = 0; d < 4; d++) print_score(dims[d], &e->dimension[d]);
}

// The whole breakdown on stdout (--evaluate): a markdown table per dimension and difficulty, then
// per defect kind (the kinds the tower cannot see are the ones near 0.5).
static void print_evaluation(const VisionEvaluation *e) {
    static const char *const dims[4] = {"deformation", "lighting", "placement", "extension"};
    printf("| split | samples | per candidate | exact |\n|---|---:|---:|---:|\n");
    printf("| overall | %zu | %.3f | %.1f |\n", e->overall.samples, vision_score_accuracy(&e->overall),
           100 * vision_score_exact(&e->overall));
    for (int d = 0; d < 4; d++)
        printf("| %s | %zu | %.3f | %.1f |\n", dims[d], e->dimension[d].samples,
               vision_score_accuracy(&e->dimension[d]), 100 * vision_score_exact(&e->dimension[d]));
    for (int d = 0; d < 3; d++)
        if (e->difficulty[d].samples)
            printf("| %s | %zu | %.3f | %.1f |\n", synth_difficulty_id((SynthDifficulty)d), e->difficulty[d].samples,
                   vision_score_accuracy(&e->difficulty[d]), 100 * vision_score_exact(&e->difficulty[d]));
    printf("\n| defect kind | candidates | accuracy |\n|---|---:|---:|\n");
    for (int k = 0; k < DEFECT_KIND_COUNT; k++)
        if (e->kind[k].candidates)
            printf("| %s | %zu | %.3f |\n", defect_kind_id((DefectKind)k), e->kind[k].candidates,
                   vision_score_accuracy(&e->kind[k]));
}

int cmd_train_vision(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    VisionOptions o;
    vision_options_default(&o);
    const char *out = NULL, *config = o.config_name, *difficulty = "mix", *style = "render", *photos_dir = NULL,
               *init = NULL, *dims = NULL, *product_dir = NULL;
    long image_size = 0, steps = o.steps, stop_at = 0, batch = o.batch_size, warmup = o.warmup_steps, seed = 1;
    long data_seed = (long)o.data_seed, val_seed = (long)o.val_seed, val_samples = o.val_samples,
         val_every = o.val_every, save_every = o.save_every, render_size = 0, threads = 0,
         product_view = 0;
    double lr = o.learning_rate, weight_decay = o.weight_decay, clip = o.clip_norm, dropout = o.dimension_dropout;
    int resume = 0, evaluate = 0;
    const CliOption options[] = {
        OPTION_STRING("out", &out),
        OPTION_STRING("config", &config),
        OPTION_LONG("image-size", &image_size, 8, 1024),
        OPTION_LONG("steps", &steps, 1, 1e9),
        OPTION_LONG("stop-at", &stop_at, 0, 1e9),
        OPTION_LONG("batch", &batch, 1, 4096),
        OPTION_DOUBLE("lr", &lr, 0, 1),
        OPTION_LONG("warmup", &warmup, 0, 1e9),
        OPTION_DOUBLE("weight-decay", &weight_decay, 0, 10),
        OPTION_DOUBLE("clip", &clip, 0, 1e9),
        OPTION_LONG("seed", &seed, 0, 9.0e18),
        OPTION_LONG("data-seed", &data_seed, 0, 9.0e18),
        OPTION_LONG("val-seed", &val_seed, 0, 9.0e18),
        OPTION_LONG("val-samples", &val_samples, 0, 100000),
        OPTION_LONG("val-every", &val_every, 0, 1e9),
        OPTION_LONG("save-every", &save_every, 0, 1e9),
        OPTION_LONG("render-size", &render_size, 0, 1024),
        OPTION_STRING("difficulty", &difficulty),
        OPTION_STRING("style", &style),
        OPTION_STRING("photos", &photos_dir),
        OPTION_STRING("dims", &dims),
        OPTION_LONG("product-view", &product_view, 0, 1024),
        OPTION_STRING("init", &init),
        OPTION_DOUBLE("dimension-dropout", &dropout, 0, 1),
        OPTION_FLAG("resume", &resume),
        OPTION_FLAG("evaluate", &evaluate),
        OPTION_STRING("product", &product_dir),
        OPTION_LONG("threads", &threads, 0, 1024),
        OPTION_END,
    };
    if (cli_options_parse_only("train vision", argc, argv, options) != 0) return 1;
    if (!out) return cli_fail("train vision: --out is required (see --help)");
    if (evaluate && distributed_launcher_size() > 1)
        return cli_fail("train vision: --evaluate runs in one process; start it without mpirun");
    if (synth_difficulty_parse(difficulty, &o.difficulty) != 0)
        return cli_fail("train vision: unknown --difficulty '%s' (easy, medium, hard, mix)", difficulty);
    if (synth_style_parse(style, &o.style) != 0)
        return cli_fail("train vision: --style: '%s' is not render, photo or mix", style);
    Error parse_err = {0};
    if (dims && synth_dimensions_parse(dims, &o.dimensions, &parse_err) != 0)
        return cli_fail("train vision: --dims: %s", parse_err.message);
    PhotoLibrary *photos = NULL;
    if (cli_load_photos("train vision", &o.style, photos_dir, &photos) != 0) return 1;
    o.photos = photos;
    o.init_dir = init;
    o.product_dir = product_dir;
    o.out_dir = out;
    o.config_name = config;
    o.image_size = (int)image_size;
    o.steps = steps;
    o.stop_at = stop_at;
    o.batch_size = (int)batch;
    o.learning_rate = (float)lr;
    o.warmup_steps = warmup;
    o.weight_decay = (float)weight_decay;
    o.clip_norm = (float)clip;
    o.seed = (uint64_t)seed;
    o.data_seed = (uint64_t)data_seed;
    o.val_seed = (uint64_t)val_seed;
    o.val_samples = (int)val_samples;
    o.val_every = val_every;
    o.save_every = save_every;
    o.render_size = (int)render_size;
    o.product_view_from = (int)product_view;
    o.dimension_dropout = dropout;
    o.resume = resume;
    o.threads = (int)threads;
    Error err = {0};
    if (evaluate) {
        VisionEvaluation evaluation;
        int rc = vision_evaluate_checkpoint(&o, &evaluation, &err);
        synth_photos_free(photos);
        synth_release_static_data();
        if (rc != 0) return cli_fail_error(&err);
        print_evaluation(&evaluation);
        return 0;
    }
    // under mpirun: each rank trains its slice of every batch, rank 0 reports (docs/SCALE.md)
    Distributed dist;
    if (distributed_init(&dist, NULL, NULL, &err) != 0) {
        synth_photos_free(photos);
        return cli_fail_error(&err);
    }
    o.dist = &dist;
    int root = distributed_is_root(&dist);
    Progress progress;
    progress_begin(&progress, "vision", 0, cli_progress_report, NULL);
    VisionEvents events = {&progress, on_start, on_validation, NULL};
    VisionResult result;
    int rc = vision_train(&o, &events, &result, &err);
    if (root) progress_end(&progress);
    synth_photos_free(photos);
    synth_release_static_data();
    if (rc != 0) return cli_fail_training(&dist, &err);
    distributed_finalize(&dist);
    if (!root) return 0;
    fprintf(stderr, "[vision] %ld steps; rendering %.1f samples/s, training %.1f samples/s", result.steps_done,
            result.render_samples_per_second, result.train_samples_per_second);
    if (dist.size > 1) fprintf(stderr, " on %d MPI processes", dist.size);
    fprintf(stderr, "; tower in %s\n", out);
    return 0;
}
