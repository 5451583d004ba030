// grpo_hcm.c — the hard-case pool refresh of HCM-GRPO: K rollouts of a subset of the training
// cases at the current policy measure each case's mean reward, which reweights the pool.
#include "train/grpo_internal.h"

int grpo_hcm_refresh(GrpoRun *run, long step, double lambda, Error *err) {
    const GrpoOptions *o = run->options;
    double start = time_now_seconds();
    size_t count = hcm_pool_select_subset(&run->pool, &o->hcm_options, o->seed, step, run->scratch_indices);
    int k = o->hcm_options.rollouts;
    for (size_t i = 0; i < count; i++) {
        size_t index = run->scratch_indices[i];
        uint64_t seed = grpo_rollout_seed(o->seed ^ 0x4843u, step, index); // "HC": apart from training draws
        if (grpo_rollout_prompt(&run->policy, &run->sampler, &run->train_source, index, k, o->temperature, o->top_p,
                                seed, &o->reward, lambda, &run->probe, 0, err) != 0)
            return -1;
        double sum = 0;
        for (int j = 0; j < k; j++) sum += run->probe.rewards[j].accuracy;
        hcm_pool_record(&run->pool, index, sum / k, step);
    }
    hcm_pool_reweight(&run->pool, &o->hcm_options);
    HcmPoolStats s;
    hcm_pool_stats(&run->pool, &o->hcm_options, &s);
    const TrainLogField fields[] = {
        {"hcm_scored_now", (double)count},       {"hcm_scored", (double)s.scored},
        {"hcm_hard", (double)s.hard},            {"hcm_solved", (double)s.solved},
        {"hcm_failed", (double)s.failed},        {"hcm_mean_reward", s.mean_reward},
        {"hcm_hard_mean_reward", s.hard_mean_reward}, {"hcm_hard_share", s.hard_share},
        {"hcm_seconds", time_now_seconds() - start},
    };
    if (!run->log.file) return 0; // not rank 0: the pool is updated, the log is rank 0's
    // the refresh is the first part of update step + 1, and its line carries that step (train/run.h)
    return train_log_write_tagged(&run->log, step + 1, "event", "hcm", fields,
                                  (int)(sizeof fields / sizeof fields[0]), err);
}
