// lambda_schedule.c — the λ_t schedules of the DPA reward (linear, cosine, step).
#include "train/lambda_schedule.h"

#include <math.h>
#include <string.h>

static const char *const LAMBDA_SCHEDULE_NAMES[LAMBDA_SCHEDULE_KIND_COUNT] = {"linear", "cosine", "step"};

void lambda_schedule_default(LambdaSchedule *schedule) {
    schedule->kind = LAMBDA_SCHEDULE_LINEAR;
    schedule->stages = 2;
    schedule->start = 0.0;
    schedule->end = 1.0;
}

double lambda_schedule_value(const LambdaSchedule *schedule, long step, long total_steps) {
    // t: training progress in [0, 1]; a one-step run is already at its end.
    double t = total_steps > 1 ? (double)step / (double)(total_steps - 1) : 1.0;
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    double shape;
    switch (schedule->kind) {
    case LAMBDA_SCHEDULE_COSINE: shape = 0.5 * (1.0 - cos(M_PI * t)); break;
    case LAMBDA_SCHEDULE_STEP: {
        int stages = schedule->stages >= 2 ? schedule->stages : 2;
        int stage = (int)floor(t * stages);
        if (stage >= stages) stage = stages - 1;
        shape = (double)stage / (double)(stages - 1);
        break;
    }
    case LAMBDA_SCHEDULE_LINEAR:
    default: shape = t; break;
    }
    return schedule->start + (schedule->end - schedule->start) * shape;
}

const char *lambda_schedule_name(LambdaScheduleKind kind) {
    return (unsigned)kind < LAMBDA_SCHEDULE_KIND_COUNT ? LAMBDA_SCHEDULE_NAMES[kind] : "?";
}

int lambda_schedule_parse(const char *name, LambdaScheduleKind *out) {
    for (int i = 0; i < LAMBDA_SCHEDULE_KIND_COUNT; i++)
        if (strcmp(name, LAMBDA_SCHEDULE_NAMES[i]) == 0) {
            *out = (LambdaScheduleKind)i;
            return 0;
        }
    return -1;
}
