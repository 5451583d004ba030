// progress.h — progress of long work (count, rate, ETA). The library only counts and formats;
// whoever owns the terminal (the CLI) installs a report callback that prints the line.
#ifndef IAR_CORE_PROGRESS_H
#define IAR_CORE_PROGRESS_H

#include <stddef.h>

typedef struct Progress Progress;
typedef void (*ProgressReportFn)(const Progress *progress, int final);

struct Progress {
    char label[64];
    size_t total;          // 0 when unknown
    size_t done;
    size_t resumed;        // done before this process started (a resumed run): not in the rate
    size_t failed;
    double start_seconds;
    double last_report_seconds;
    double report_interval_seconds; // default 0.25
    char detail[160];               // free text appended to the line (loss, reward, ...)
    ProgressReportFn report;        // NULL: silent
    void *user;
};

// Starts counting; `report` may be NULL (silent, e.g. in tests).
void progress_begin(Progress *progress, const char *label, size_t total, ProgressReportFn report, void *user);
// Adds `count` finished items (and `failed` failures among them); reports at most every interval.
// Thread-safe: may be called from OpenMP threads.
void progress_advance(Progress *progress, size_t count, size_t failed);
// A resumed run: `done` items were finished by an earlier process; the clock restarts now and the
// rate and ETA count only what this process does.
void progress_resume(Progress *progress, size_t done);
void progress_set_detail(Progress *progress, const char *detail);
void progress_end(Progress *progress);
// "label 120/1000 (12%) 45.1/s ETA 0:19 [2 failed] detail"
void progress_format(const Progress *progress, char *buffer, size_t size);

// Seconds on a monotonic clock.
double time_now_seconds(void);

#endif
