// schedule.c — linear warmup then cosine decay of the learning rate.
#include "train/schedule.h"

#include <math.h>

float schedule_learning_rate(const LrSchedule *schedule, long step) {
    if (step < 0) step = 0;
    if (schedule->warmup_steps > 0 && step < schedule->warmup_steps)
        return schedule->peak * (float)(step + 1) / (float)schedule->warmup_steps;
    float floor_lr = schedule->peak * schedule->min_ratio;
    long span = schedule->total_steps - schedule->warmup_steps;
    if (span <= 0 || step >= schedule->total_steps) return floor_lr;
    double progress = (double)(step - schedule->warmup_steps) / (double)span;
    double cosine = 0.5 * (1.0 + cos(M_PI * progress));
    return floor_lr + (float)((schedule->peak - floor_lr) * cosine);
}
