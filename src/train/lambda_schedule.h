// lambda_schedule.h — the DPA reward's λ_t: how far training has moved from partial credit (λ = 0,
// the `prop` reward) to exact match (λ = 1, the `exact` reward). dpa = (1 − λ_t)·prop + λ_t·exact.
// This is this project's definition of DPA (the paper does not publish a formula); see docs/GRPO.md.
#ifndef IAR_TRAIN_LAMBDA_SCHEDULE_H
#define IAR_TRAIN_LAMBDA_SCHEDULE_H

typedef enum LambdaScheduleKind {
    LAMBDA_SCHEDULE_LINEAR = 0, // λ rises linearly
    LAMBDA_SCHEDULE_COSINE = 1, // λ = (1 − cos(π·t)) / 2: slow start, slow finish
    LAMBDA_SCHEDULE_STEP = 2,   // λ jumps in `stages` equal steps (2 stages: 0 for the first half, 1 after)
    LAMBDA_SCHEDULE_KIND_COUNT
} LambdaScheduleKind;

typedef struct LambdaSchedule {
    LambdaScheduleKind kind;
    int stages;   // for STEP: number of plateaus (>= 2); default 2
    double start; // λ at the first step; default 0
    double end;   // λ at the last step; default 1
} LambdaSchedule;

void lambda_schedule_default(LambdaSchedule *schedule); // linear, 0 -> 1, 2 stages
// λ for the 0-based `step` of a run of `total_steps`: `start` at step 0, `end` at step total_steps − 1
// (and after). Always within [min(start,end), max(start,end)].
double lambda_schedule_value(const LambdaSchedule *schedule, long step, long total_steps);
const char *lambda_schedule_name(LambdaScheduleKind kind); // "linear", "cosine", "step"
int lambda_schedule_parse(const char *name, LambdaScheduleKind *out); // 0, or -1 when unknown

#endif
