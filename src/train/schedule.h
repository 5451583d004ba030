// schedule.h — learning-rate schedule: linear warmup from 0 to the peak, then cosine decay to
// min_ratio * peak at total_steps (held there after).
#ifndef IAR_TRAIN_SCHEDULE_H
#define IAR_TRAIN_SCHEDULE_H

typedef struct LrSchedule {
    float peak;         // the learning rate after warmup
    float min_ratio;    // final lr = peak * min_ratio (default 0.1)
    long warmup_steps;  // lr(step) = peak * (step + 1) / warmup_steps for step < warmup_steps
    long total_steps;   // end of the cosine
} LrSchedule;

// Learning rate for the update numbered `step` (0-based).
float schedule_learning_rate(const LrSchedule *schedule, long step);

#endif
