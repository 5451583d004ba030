// cmd_train_grpo.c — `iar train grpo`: argument parsing for GRPO / DPA-GRPO training (the library
// does the work: src/train/grpo.c). Curves of finished runs are drawn by `iar plot` (cmd_plot.c).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "train/distributed.h"
#include "train/grpo.h"

static void grpo_print_help(void) {
    size_t count = 0;
    const RewardEntry *table = reward_table(&count);
    printf("usage: iar train grpo --data TRAIN.jsonl --init SFT_CKPT --out CKPT [options]\n"
           "         (NAME: a train_log.jsonl step field, default accuracy_mean; exact_mean compares rewards)\n\n"
           "GRPO on top of an SFT checkpoint: G sampled completions per prompt, a format + accuracy reward,\n"
           "group-normalised advantages, a clipped-ratio loss with a KL penalty to the SFT policy.\n\n"
           "data and output:\n"
           "  --data FILE             training set (JSONL)\n"
           "  --init DIR              SFT checkpoint: the initial policy and the frozen reference\n"
           "  --out DIR               checkpoint folder; also train_log.jsonl, rollouts.jsonl, curve.svg\n"
           "  --val FILE              validation set: greedy exact/prop every --val-every steps\n"
           "  --val-every N           (25)        --val-samples N validation samples (64)\n"
           "  --resume                continue the run in --out (same options)\n"
           "  --save-every N          (50)        --dump-every N  rollouts.jsonl every N steps (10)\n"
           "  --stop-at N             stop after step N as if interrupted (continue with --resume)\n"
           "  --cache-dir DIR         image cache folder (default: beside the dataset)\n"
           "reward:\n"
           "  --reward NAME           accuracy reward (dpa):\n");
    for (size_t i = 0; i < count; i++) printf("                            %-8s %s\n", table[i].name, table[i].summary);
    printf("  --w-format X            weight of the format reward (0.5)\n"
           "  --w-accuracy X          weight of the accuracy reward (1)\n"
           "  --lambda-schedule S     DPA λ_t: linear|cosine|step (linear)   --lambda-stages N (2)\n"
           "  --lambda-start X --lambda-end X   λ at the first and last step (0, 1)\n"
           "optimisation:\n"
           "  --steps N (100)  --group G (8)  --prompts-per-step P (4)  --iterations μ (1)\n"
           "  --lr X (1e-4)  --warmup N (5)  --clip X (1)  --weight-decay X (0)\n"
           "  --temperature X (1)  --top-p X (1)  --max-new-tokens N (0: up to the model's text length)\n"
           "  --epsilon-low X (0.2)  --epsilon-high X (0.28)  --beta X (0: no KL)\n"
           "  --loss-agg sequence|token (token)   --scale-rewards group|batch|none (group)\n"
           "hard-case mining (HCM-GRPO):\n"
           "  --hcm                   draw low-reward training cases more often\n"
           "  --hcm-period N (20)  --hcm-rollouts K (4)  --hcm-subset M cases scored per refresh (64, 0: all)\n"
           "  --hcm-threshold X (0.5)  --hcm-hard-weight W (4)  --hcm-solved-weight W (0.5)\n"
           "  --hcm-failed-weight W (1): cases no rollout scores on are not boosted (their groups give no signal)\n"
           "  --seed S (1)  --threads N (2)\n"
           "Options take `--name value` or `--name=value`; the names are those of train sft and train vision\n"
           "(--grad-clip, --val-limit and --cache still work).\n\n"
           "example:\n"
           "  iar train grpo --data bench/train/data.jsonl --val bench/val/data.jsonl --init runs/sft \\\n"
           "      --out runs/dpa --reward dpa --steps 60 --group 8 --prompts-per-step 4 --hcm\n"
           "  iar plot curves.svg runs/grpo-exact=exact runs/dpa=DPA   (curves of finished runs)\n");
}

// Parses "--name value" pairs into the options; returns 0, or 1 after printing the error.
static int grpo_parse(int argc, char **argv, GrpoOptions *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double x;
#define INT_OPT(NAME, MIN, MAX, DEST)                                                                             \
    if (strcmp(a, NAME) == 0) {                                                                                    \
        if (cli_parse_int(NAME, v, MIN, MAX, &n)) return 1;                                                        \
        DEST = n;                                                                                                  \
        i++;                                                                                                       \
        continue;                                                                                                  \
    }
#define REAL_OPT(NAME, MIN, MAX, DEST)                                                                            \
    if (strcmp(a, NAME) == 0) {                                                                                    \
        if (cli_parse_double(NAME, v, MIN, MAX, &x)) return 1;                                                     \
        DEST = x;                                                                                                  \
        i++;                                                                                                       \
        continue;                                                                                                  \
    }
#define TEXT_OPT(NAME, DEST)                                                                                      \
    if (strcmp(a, NAME) == 0) {                                                                                    \
        if (!v) return cli_fail("%s needs a value", NAME);                                                         \
        DEST = v;                                                                                                  \
        i++;                                                                                                       \
        continue;                                                                                                  \
    }
        TEXT_OPT("--data", o->data_path)
        TEXT_OPT("--init", o->init_dir)
        TEXT_OPT("--out", o->out_dir)
        TEXT_OPT("--val", o->val_path)
        TEXT_OPT("--cache-dir", o->cache_dir)
        INT_OPT("--val-every", 0, 1000000, o->val_every)
        INT_OPT("--val-samples", 0, 100000000, o->val_limit)
        INT_OPT("--save-every", 0, 1000000, o->save_every)
        INT_OPT("--dump-every", 0, 1000000, o->dump_every)
        REAL_OPT("--w-format", 0, 100, o->reward.weight_format)
        REAL_OPT("--w-accuracy", 0, 100, o->reward.weight_accuracy)
        INT_OPT("--lambda-stages", 2, 1000, o->lambda.stages)
        REAL_OPT("--lambda-start", 0, 1, o->lambda.start)
        REAL_OPT("--lambda-end", 0, 1, o->lambda.end)
        INT_OPT("--steps", 1, 10000000, o->steps)
        INT_OPT("--group", 2, 64, o->group_size)
        INT_OPT("--prompts-per-step", 1, 4096, o->prompts_per_step)
        INT_OPT("--iterations", 1, 64, o->iterations)
        INT_OPT("--stop-at", 0, 10000000, o->stop_at)
        REAL_OPT("--lr", 0, 1, o->learning_rate)
        INT_OPT("--warmup", 0, 10000000, o->warmup_steps)
        REAL_OPT("--clip", 0, 1e6, o->adamw.clip_norm)
        REAL_OPT("--weight-decay", 0, 10, o->adamw.weight_decay)
        REAL_OPT("--temperature", 0, 10, o->temperature)
        REAL_OPT("--top-p", 1e-6, 1, o->top_p)
        INT_OPT("--max-new-tokens", 0, 1000000, o->max_new_tokens)
        REAL_OPT("--epsilon-low", 0, 0.999, o->loss.epsilon_low)
        REAL_OPT("--epsilon-high", 0, 100, o->loss.epsilon_high)
        REAL_OPT("--beta", 0, 100, o->loss.beta)
        INT_OPT("--hcm-period", 1, 1000000, o->hcm_options.period)
        INT_OPT("--hcm-rollouts", 2, 64, o->hcm_options.rollouts)
        INT_OPT("--hcm-subset", 0, 100000000, o->hcm_options.subset)
        REAL_OPT("--hcm-threshold", 0, 1, o->hcm_options.threshold)
        REAL_OPT("--hcm-hard-weight", 1e-6, 1e6, o->hcm_options.hard_weight)
        REAL_OPT("--hcm-solved-weight", 1e-6, 1e6, o->hcm_options.solved_weight)
        REAL_OPT("--hcm-failed-weight", 1e-6, 1e6, o->hcm_options.failed_weight)
        INT_OPT("--seed", 0, 0x7fffffffL, o->seed)
        INT_OPT("--threads", 1, 256, o->threads)
#undef INT_OPT
#undef REAL_OPT
#undef TEXT_OPT
        if (strcmp(a, "--hcm") == 0) {
            o->hcm = 1;
        } else if (strcmp(a, "--resume") == 0) {
            o->resume = 1;
        } else if (strcmp(a, "--reward") == 0) {
            if (!v) return cli_fail("--reward needs a value");
            o->reward.accuracy = reward_find(v);
            if (!o->reward.accuracy) return cli_fail("--reward: unknown reward '%s' (exact, prop, jaccard, option, dpa)", v);
            i++;
        } else if (strcmp(a, "--lambda-schedule") == 0) {
            if (!v || lambda_schedule_parse(v, &o->lambda.kind) != 0)
                return cli_fail("--lambda-schedule: '%s' is not linear, cosine or step", v ? v : "");
            i++;
        } else if (strcmp(a, "--loss-agg") == 0) {
            if (!v || grpo_loss_agg_parse(v, &o->loss.agg) != 0)
                return cli_fail("--loss-agg: '%s' is not sequence or token", v ? v : "");
            i++;
        } else if (strcmp(a, "--scale-rewards") == 0) {
            if (!v || grpo_scale_rewards_parse(v, &o->scale_rewards) != 0)
                return cli_fail("--scale-rewards: '%s' is not group, batch or none", v ? v : "");
            i++;
        } else {
            return cli_fail("train grpo: unknown option '%s' (iar train grpo --help lists them)", a);
        }
    }
    return 0;
}

int cmd_train_grpo(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        grpo_print_help();
        return 0;
    }
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--curve") == 0)
            return cli_fail("train grpo: curves moved to `iar plot OUT.svg RUN_DIR[=LABEL] ... [--field NAME]`");
    GrpoOptions options;
    grpo_options_default(&options);
    if (grpo_parse(argc, argv, &options) != 0) return 1;
    Error err = {{0}};
    if (grpo_options_validate(&options, &err) != 0) return cli_fail_error(&err);
    // under mpirun: one rank per process, rank 0 prints (docs/SCALE.md); else a one-process world
    Distributed dist;
    if (distributed_init(&dist, NULL, NULL, &err) != 0) return cli_fail_error(&err);
    options.dist = &dist;
    int root = distributed_is_root(&dist);
    Progress progress;
    memset(&progress, 0, sizeof progress);
    progress.report = cli_progress_report;
    GrpoResult result;
    if (grpo_train(&options, root ? &progress : NULL, &result, &err) != 0) return cli_fail_training(&dist, &err);
    distributed_finalize(&dist);
    if (!root) return 0;
    fprintf(stderr, "grpo: %ld steps in %.0fs; mean reward %.3f (first 10 steps) -> %.3f (last 10)", result.steps_done,
            result.seconds, result.mean_reward_first10, result.mean_reward_last10);
    if (dist.size > 1) fprintf(stderr, " on %d MPI processes", dist.size);
    if (!isnan(result.val_exact)) // NaN: no validation ran
        fprintf(stderr, "; validation exact %.1f, prop %.1f", 100 * result.val_exact, 100 * result.val_prop);
    fprintf(stderr, "\n");
    printf("%s\n", options.out_dir);
    return 0;
}
