// curve.h — training curves of SFT and GRPO runs as a self-contained SVG, read back from their
// train_log.jsonl: a per-step field (SFT: the loss; GRPO: the rollouts' accuracy reward) and, in a
// second panel, the greedy validation exact score. Drawn by `iar plot` and inside `iar report`.
#ifndef IAR_TRAIN_CURVE_H
#define IAR_TRAIN_CURVE_H

#include "core/error.h"

// What wrote a train_log.jsonl, from the fields of its step lines: GRPO logs rewards
// (reward_mean), SFT logs throughput (tokens_per_s); anything else is unknown.
typedef enum CurveRunKind { CURVE_RUN_UNKNOWN, CURVE_RUN_SFT, CURVE_RUN_GRPO } CurveRunKind;

int curve_log_kind(const char *log_path, CurveRunKind *kind, Error *err);
const char *curve_run_kind_name(CurveRunKind kind); // "SFT", "GRPO", "training"
// The field drawn when none is named: "loss" for SFT, "accuracy_mean" for GRPO.
const char *curve_default_field(CurveRunKind kind);

// The SVG of `count` runs' logs, one colour per run, labelled `labels` (NULL: the log paths):
// `train_field` of every step line (thin, 5-step mean; NULL: the runs' default field, which
// requires runs of one kind) on a y axis fitted to the data, and the validation lines' val_exact
// (thick, dots) in a panel below when any run has one; x ticks at whole steps, the legend inside
// the canvas under the title, which names the kind of run. Returns malloc'd text, or NULL (err set).
char *curve_svg(const char *const *log_paths, const char *const *labels, int count, const char *train_field,
                Error *err);
// curve_svg written to svg_path (atomically).
int curve_write_svg(const char *const *log_paths, const char *const *labels, int count, const char *train_field,
                    const char *svg_path, Error *err);

#endif
