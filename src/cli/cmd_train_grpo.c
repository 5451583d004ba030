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
           "  --resume                continue the run in --out (same options; a larger --steps extends it)\n"
           "  --save-every N          (50)        --dump-every N  rollouts.jsonl every N steps (10)\n"
           "  --stop-at N             stop after step N as if interrupted (continue with --resume)\n"
           "  --cache-dir DIR         image cache folder (default: beside the dataset)\n"
           "reward:\n"
           "  --reward NAME           accuracy reward (dpa):\n");
    for (size_t i = 0; i < count; i++)
        printf("                            %-10s %s\n", table[i].name, table[i].summary);
    printf("  --w-format X            weight of the format reward (0.5)\n"
           "  --w-accuracy X          weight of the accuracy reward (1)\n"
           "  --reward-url URL        an external reward server (verl/OpenRLHF style): one JSON POST per\n"
           "                          completion, answered by {\"reward\": x}, which replaces the format +\n"
           "                          accuracy total (docs/TRAINING.md has the schema)\n"
           "  --reward-timeout S (30)  --reward-retries N (2): per request; retries on timeouts, 429 and 5xx\n"
           "  --lambda-schedule S     DPA λ_t: linear|cosine|step (linear)   --lambda-stages N (2)\n"
           "  --lambda-start X --lambda-end X   λ at the first and last step (0, 1)\n"
           "optimisation:\n"
           "  --steps N (100)  --group G (8)  --prompts-per-step P (4)  --iterations μ (1)\n"
           "  --lr X (1e-4)  --warmup N (5)  --clip X (1)  --weight-decay X (0)\n"
           "  --temperature X (1)  --top-p X (1)  --max-new-tokens N (0: up to the model's text length)\n"
           "  --epsilon-low X (0.2)  --epsilon-high X (0.28)  --beta X (0: no KL)\n"
           "  --loss-agg sequence|token (token)   --scale-rewards group|batch|none (group)\n"
           "  --tower-heads-after N   the vision tower's heads (cross-attention, evidence MLP, flaw and token\n"
           "                          heads) train from step N on, its convolutions frozen (default: all frozen;\n"
           "                          needs --beta 0)   --tower-lr X (1e-5): their rate on the run's schedule\n"
           "hard-case mining (HCM-GRPO):\n"
           "  --hcm                   draw low-reward training cases more often\n"
           "  --hcm-period N (20)  --hcm-rollouts K (4)  --hcm-subset M cases scored per refresh (64, 0: all)\n"
           "  --hcm-threshold X (0.5)  --hcm-hard-weight W (4)  --hcm-solved-weight W (0.5)\n"
           "  --hcm-failed-weight W (1): cases no rollout scores on are not boosted (their groups give no signal)\n"
           "  --seed S (1)  --threads N (2)\n"
           "  --config FILE.json      these options from a JSON object ({\"group\": 8, \"hcm\": true}); the\n"
           "                          command line overrides it (docs/TRAINING.md)\n"
           "Options take `--name value` or `--name=value`; the names are those of train sft and train vision\n"
           "(--grad-clip, --val-limit and --cache still work).\n\n"
           "example:\n"
           "  iar train grpo --data bench/train/data.jsonl --val bench/val/data.jsonl --init runs/sft \\\n"
           "      --out runs/dpa --reward dpa --steps 60 --group 8 --prompts-per-step 4 --hcm\n"
           "  iar plot curves.svg runs/grpo-exact=exact runs/dpa=DPA   (curves of finished runs)\n");
}

// The GRPO options onto `o`; returns 0, or 1 after printing the error.
static int grpo_parse(int argc, char **argv, GrpoOptions *o) {
    long val_limit = (long)o->val_limit, subset = (long)o->hcm_options.subset, seed = (long)o->seed;
    const char *reward = o->reward.accuracy->name, *lambda_schedule = NULL, *loss_agg = NULL, *scale_rewards = NULL;
    HcmOptions *hcm = &o->hcm_options;
    const CliOption options[] = {
        OPTION_STRING("data", &o->data_path),
        OPTION_STRING("init", &o->init_dir),
        OPTION_STRING("out", &o->out_dir),
        OPTION_STRING("val", &o->val_path),
        OPTION_STRING("cache-dir", &o->cache_dir),
        OPTION_STRING("cache", &o->cache_dir),
        OPTION_LONG("val-every", &o->val_every, 0, 1000000),
        OPTION_LONG("val-samples", &val_limit, 0, 100000000),
        OPTION_LONG("val-limit", &val_limit, 0, 100000000),
        OPTION_LONG("save-every", &o->save_every, 0, 1000000),
        OPTION_LONG("dump-every", &o->dump_every, 0, 1000000),
        OPTION_FLAG("resume", &o->resume),
        OPTION_LONG("stop-at", &o->stop_at, 0, 10000000),
        OPTION_STRING("reward", &reward),
        OPTION_DOUBLE("w-format", &o->reward.weight_format, 0, 100),
        OPTION_DOUBLE("w-accuracy", &o->reward.weight_accuracy, 0, 100),
        OPTION_STRING("reward-url", &o->reward_http.url),
        OPTION_DOUBLE("reward-timeout", &o->reward_http.timeout_seconds, 0.001, 86400),
        OPTION_INT("reward-retries", &o->reward_http.retries, 0, 100),
        OPTION_STRING("lambda-schedule", &lambda_schedule),
        OPTION_INT("lambda-stages", &o->lambda.stages, 2, 1000),
        OPTION_DOUBLE("lambda-start", &o->lambda.start, 0, 1),
        OPTION_DOUBLE("lambda-end", &o->lambda.end, 0, 1),
        OPTION_LONG("steps", &o->steps, 1, 10000000),
        OPTION_INT("group", &o->group_size, 2, 64),
        OPTION_INT("prompts-per-step", &o->prompts_per_step, 1, 4096),
        OPTION_INT("iterations", &o->iterations, 1, 64),
        OPTION_FLOAT("lr", &o->learning_rate, 0, 1),
        OPTION_LONG("warmup", &o->warmup_steps, 0, 10000000),
        OPTION_FLOAT("clip", &o->adamw.clip_norm, 0, 1e6),
        OPTION_FLOAT("grad-clip", &o->adamw.clip_norm, 0, 1e6),
        OPTION_FLOAT("weight-decay", &o->adamw.weight_decay, 0, 10),
        OPTION_FLOAT("temperature", &o->temperature, 0, 10),
        OPTION_FLOAT("top-p", &o->top_p, 1e-6, 1),
        OPTION_INT("max-new-tokens", &o->max_new_tokens, 0, 1000000),
        OPTION_LONG("tower-heads-after", &o->tower_heads_after, 0, 1e8),
        OPTION_FLOAT("tower-lr", &o->tower_lr, 1e-9, 10),
        OPTION_FLOAT("epsilon-low", &o->loss.epsilon_low, 0, 0.999),
        OPTION_FLOAT("epsilon-high", &o->loss.epsilon_high, 0, 100),
        OPTION_FLOAT("beta", &o->loss.beta, 0, 100),
        OPTION_STRING("loss-agg", &loss_agg),
        OPTION_STRING("scale-rewards", &scale_rewards),
        OPTION_FLAG("hcm", &o->hcm),
        OPTION_INT("hcm-period", &hcm->period, 1, 1000000),
        OPTION_INT("hcm-rollouts", &hcm->rollouts, 2, 64),
        OPTION_LONG("hcm-subset", &subset, 0, 100000000),
        OPTION_DOUBLE("hcm-threshold", &hcm->threshold, 0, 1),
        OPTION_DOUBLE("hcm-hard-weight", &hcm->hard_weight, 1e-6, 1e6),
        OPTION_DOUBLE("hcm-solved-weight", &hcm->solved_weight, 1e-6, 1e6),
        OPTION_DOUBLE("hcm-failed-weight", &hcm->failed_weight, 1e-6, 1e6),
        OPTION_LONG("seed", &seed, 0, 0x7fffffffL),
        OPTION_INT("threads", &o->threads, 1, 256),
        OPTION_END,
    };
    if (cli_options_parse_only("train grpo", argc, argv, options) != 0) return 1;
    o->val_limit = (size_t)val_limit;
    hcm->subset = (size_t)subset;
    o->seed = (uint64_t)seed;
    o->reward.accuracy = reward_find(reward);
    if (!o->reward.accuracy) { // the known names, from the table --help lists
        size_t count = 0, used = 0;
        const RewardEntry *table = reward_table(&count);
        char names[256] = "";
        for (size_t i = 0; i < count && used < sizeof names; i++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", table[i].name);
        return cli_fail("--reward: unknown reward '%s' (%s)", reward, names);
    }
    if (lambda_schedule && lambda_schedule_parse(lambda_schedule, &o->lambda.kind) != 0)
        return cli_fail("--lambda-schedule: '%s' is not linear, cosine or step", lambda_schedule);
    if (loss_agg && grpo_loss_agg_parse(loss_agg, &o->loss.agg) != 0)
        return cli_fail("--loss-agg: '%s' is not sequence or token", loss_agg);
    if (scale_rewards && grpo_scale_rewards_parse(scale_rewards, &o->scale_rewards) != 0)
        return cli_fail("--scale-rewards: '%s' is not group, batch or none", scale_rewards);
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
