// grpo_update.c — the GRPO policy update on one batch of scored rollouts: for each group of G rows,
// forward the policy (and, with β > 0, the frozen reference), turn the clipped-ratio + KL loss into
// d(loss)/d(logprob), backward; one AdamW step per iteration, `iterations` times (the log-probs of
// the first pass are the "old" policy's, and are checked against the sampler's).
#include <math.h>
#include <string.h>

#include "train/distributed.h"
#include "train/grpo_internal.h"

// The rows of group g as a model batch, packed to the group's longest row (the rollout buffers use
// the model's full text length as their stride; padding columns would cost a forward for nothing).
// The group's log-prob buffers use the same packed stride, at the group's offset.
static ModelBatch group_batch(GrpoRun *run, int group) {
    int G = run->options->group_size;
    const GrpoRows *rows = &run->rows;
    int stride = 2;
    for (int i = 0; i < G; i++)
        if (rows->text_len[group * G + i] > stride) stride = rows->text_len[group * G + i];
    // (G, stride) <- (G, T)
    for (int i = 0; i < G; i++) {
        size_t from = (size_t)(group * G + i) * rows->T, to = (size_t)i * stride;
        memcpy(run->group_tokens + to, rows->tokens + from, (size_t)stride * sizeof(int));
        memcpy(run->group_targets + to, rows->targets + from, (size_t)stride * sizeof(int));
    }
    grpo_rollout_images(&run->train_source, rows->sample_index[group * G], G, run->image_values,
                        run->group_images);
    // the sampler saw the sample's dimension (screen_prepared): the trainer must compute the same function
    int dimension = (int)run->train_source.dataset->samples[rows->sample_index[group * G]].dimension;
    for (int i = 0; i < G; i++) run->group_dimension[i] = dimension;
    // the G rows share one sample: its tower features once (the tower is frozen), repeated; while the
    // heads train, its tower tokens (the frozen convolutions' part), on which the heads run live
    const float *vision = NULL;
    int tokens = run->train_tower_heads;
    size_t per = tokens ? model_vision_token_count(&run->policy.config) : model_vision_feature_count(&run->policy.config);
    Error ignored = {0};
    if (run->group_vision &&
        (tokens ? model_vision_tokens(&run->policy, run->group_images, &dimension, 1, run->group_vision, &ignored)
                : model_vision_features(&run->policy, run->group_images, &dimension, 1, run->group_vision, &ignored)) ==
            0) {
        for (int i = 1; i < G; i++) memcpy(run->group_vision + (size_t)i * per, run->group_vision, sizeof(float) * per);
        vision = run->group_vision;
    }
    ModelBatch batch = {
        .batch_size = G,
        .text_len_max = stride,
        .images = run->group_images,
        .tokens = run->group_tokens,
        .targets = run->group_targets,
        .text_len = rows->text_len + group * G,
        .prefix_len = rows->prefix_len + group * G,
        .dimension = run->group_dimension,
        .vision_features = tokens ? NULL : vision, // NULL (and no tokens): the model runs its tower on the images
        .tower_tokens = tokens ? vision : NULL,
    };
    return batch;
}

// Adds |sampler − trainer| over the group's target positions: both are log p(token) at temperature
// 1 under the same weights, so they differ only by float rounding (KV-cache decode vs full forward).
static void group_logprob_gap(const GrpoRows *rows, int group, int G, const ModelBatch *batch,
                              const float *logprobs, double *gap_max, double *gap_sum, size_t *gap_count) {
    int T = batch->text_len_max;
    // (G, T) packed trainer log-probs against the rows' (G, rows->T) sampler log-probs
    for (int i = 0; i < G; i++) {
        const float *sampled = rows->sampler_logprobs + (size_t)(group * G + i) * rows->T;
        for (int t = 0; t < T; t++) {
            if (batch->targets[i * T + t] < 0) continue;
            double gap = fabs((double)logprobs[i * T + t] - (double)sampled[t]);
            if (!(gap <= *gap_max)) *gap_max = gap; // a NaN gap wins: it must show in the log
            *gap_sum += gap;
            (*gap_count)++;
        }
    }
}

static int group_has_signal(const GrpoRun *run, int group) {
    int G = run->options->group_size;
    for (int i = 0; i < G; i++)
        if (run->rows.advantages[group * G + i] != 0.0f) return 1;
    return 0;
}

int grpo_update_policy(GrpoRun *run, GrpoStepStats *stats, Error *err) {
    const GrpoOptions *o = run->options;
    const GrpoRows *rows = &run->rows;
    int G = o->group_size, groups = rows->count / G;
    GrpoLossScale scale = {(size_t)rows->count, 0};
    for (int i = 0; i < rows->count * rows->T; i++) scale.tokens += rows->targets[i] >= 0;
    GrpoLossStats loss_stats = {0};
    double entropy_sum = 0, grad_norm_sum = 0, gap_max = 0, gap_sum = 0;
    size_t entropy_count = 0, gap_count = 0;
    int updates = 0;
    stats->skipped_updates = 0;
    size_t first, mine; // this rank's groups (all of them in one process); the loss scale stays global
    distributed_slice((size_t)groups, run->dist ? run->dist->rank : 0, run->dist ? run->dist->size : 1, &first, &mine);
    Tower *tower = run->policy.tower;
    int heads = run->train_tower_heads && run->step >= o->tower_heads_after; // the heads learn this step
    run->policy.train_tower_heads = heads;
    stats->tower_grad_norm = 0;
    for (int iteration = 0; iteration < o->iterations; iteration++) {
        model_zero_grad(&run->policy);
        if (heads) tower_zero_grad(tower);
        int any = 0, bad = 0;
        for (int g = (int)first; g < (int)(first + mine) && !bad; g++) {
            // A group without signal only matters through the KL term.
            if (!group_has_signal(run, g) && !run->has_reference) continue;
            any = 1;
            ModelBatch batch = group_batch(run, g);
            int T = batch.text_len_max;
            size_t offset = (size_t)g * G * rows->T;
            float *logprobs = run->logprobs + offset;
            if (model_forward(&run->policy, &batch, logprobs, iteration == 0 ? run->entropy + offset : NULL, err) != 0)
                return error_prefix(err, "GRPO update: ");
            if (iteration == 0) {
                memcpy(run->old_logprobs + offset, logprobs, (size_t)G * T * sizeof *logprobs);
                group_logprob_gap(rows, g, G, &batch, logprobs, &gap_max, &gap_sum, &gap_count);
                for (int i = 0; i < G * T; i++)
                    if (batch.targets[i] >= 0) {
                        entropy_sum += run->entropy[offset + i];
                        entropy_count++;
                    }
                if (run->has_reference &&
                    model_forward(&run->reference, &batch, run->ref_logprobs + offset, NULL, err) != 0)
                    return error_prefix(err, "GRPO reference forward: ");
            }
            if (grpo_loss_backward(&o->loss, &scale, G, T, batch.targets, logprobs, run->old_logprobs + offset,
                                   run->has_reference ? run->ref_logprobs + offset : NULL,
                                   run->rows.advantages + g * G, run->dlogprobs + offset, &loss_stats) != 0) {
                bad = 1; // a non-finite log-prob: skip this update rather than poison the weights
                break;
            }
            if (model_backward(&run->policy, &batch, run->dlogprobs + offset, err) != 0)
                return error_prefix(err, "GRPO update: ");
        }
        // every rank must take the same decision: skip if any rank saw a bad log-prob, stop if none had signal
        double flags[2] = {bad, any};
        if (distributed_allreduce_sum_doubles(run->dist, flags, 2, err) != 0) return error_prefix(err, "GRPO update: ");
        bad = flags[0] > 0, any = flags[1] > 0;
        if (bad) {
            stats->skipped_updates++;
            continue;
        }
        if (!any) break; // every group was zero-signal: nothing to learn from this batch
        if (distributed_sync_gradients(run->dist, &run->policy, err) != 0 ||
            (heads && distributed_allreduce_sum(run->dist, tower->grads, tower->param_count, err) != 0))
            return error_prefix(err, "GRPO update: ");
        double norm = adamw_update(&run->opt, &run->policy, (float)stats->learning_rate);
        if (!isfinite(norm)) {
            stats->skipped_updates++;
            continue;
        }
        if (heads) // the heads on the same schedule, at their own rate
            stats->tower_grad_norm = adamw_update_tensors(
                &run->tower_opt, tower->params, tower->grads, tower->tensors + tower_heads_first_tensor(tower),
                (float)(stats->learning_rate * o->tower_lr / o->learning_rate));
        grad_norm_sum += norm;
        updates++;
    }
    // the log's statistics over every rank's groups
    double sums[10] = {loss_stats.loss, loss_stats.kl_sum, loss_stats.ratio_sum, (double)loss_stats.clipped_low,
                       (double)loss_stats.clipped_high, (double)loss_stats.tokens, entropy_sum, (double)entropy_count,
                       gap_sum, (double)gap_count};
    if (distributed_allreduce_sum_doubles(run->dist, sums, 10, err) != 0 ||
        distributed_allreduce_max_doubles(run->dist, &gap_max, 1, err) != 0)
        return error_prefix(err, "GRPO update: ");
    loss_stats.loss = sums[0], loss_stats.kl_sum = sums[1], loss_stats.ratio_sum = sums[2];
    loss_stats.clipped_low = (size_t)sums[3], loss_stats.clipped_high = (size_t)sums[4], loss_stats.tokens = (size_t)sums[5];
    entropy_sum = sums[6], entropy_count = (size_t)sums[7];
    gap_sum = sums[8], gap_count = (size_t)sums[9];
    stats->logprob_gap_max = gap_count ? gap_max : NAN;
    stats->logprob_gap_mean = gap_count ? gap_sum / (double)gap_count : NAN;
    grpo_loss_stats_summary(&loss_stats, &stats->loss);
    stats->entropy = entropy_count ? entropy_sum / (double)entropy_count : NAN;
    stats->grad_norm = updates ? grad_norm_sum / updates : 0.0;
    return 0;
}
