// progress.c — counting, rate and ETA of long work.
#include "core/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

double time_now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_begin(Progress *progress, const char *label, size_t total, ProgressReportFn report, void *user) {
    memset(progress, 0, sizeof *progress);
    snprintf(progress->label, sizeof progress->label, "%s", label ? label : "");
    progress->total = total;
    progress->start_seconds = time_now_seconds();
    progress->report_interval_seconds = 0.25;
    progress->report = report;
    progress->user = user;
}

void progress_advance(Progress *progress, size_t count, size_t failed) {
    if (!progress) return;
    int should_report = 0;
#pragma omp critical(iar_progress)
    {
        progress->done += count;
        progress->failed += failed;
        double now = time_now_seconds();
        if (progress->report && now - progress->last_report_seconds >= progress->report_interval_seconds) {
            progress->last_report_seconds = now;
            should_report = 1;
        }
        if (should_report) progress->report(progress, 0);
    }
}

void progress_resume(Progress *progress, size_t done) {
    if (!progress) return;
    progress->done = progress->resumed = done;
    progress->start_seconds = time_now_seconds();
}

void progress_set_detail(Progress *progress, const char *detail) {
    if (!progress) return;
#pragma omp critical(iar_progress)
    snprintf(progress->detail, sizeof progress->detail, "%s", detail ? detail : "");
}

void progress_end(Progress *progress) {
    if (progress && progress->report) progress->report(progress, 1);
}

static void format_duration(double seconds, char *buffer, size_t size) {
    if (seconds < 0 || seconds > 1e7) {
        snprintf(buffer, size, "?");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600) snprintf(buffer, size, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else snprintf(buffer, size, "%ld:%02ld", s / 60, s % 60);
}

void progress_format(const Progress *progress, char *buffer, size_t size) {
    double elapsed = time_now_seconds() - progress->start_seconds;
    size_t counted = progress->done > progress->resumed ? progress->done - progress->resumed : 0;
    double rate = elapsed > 0 ? (double)counted / elapsed : 0.0;
    char eta[32] = "", spent[32];
    format_duration(elapsed, spent, sizeof spent);
    if (progress->total > 0 && rate > 0 && progress->done < progress->total) {
        char t[24];
        format_duration((double)(progress->total - progress->done) / rate, t, sizeof t);
        snprintf(eta, sizeof eta, " ETA %s", t);
    }
    char failed[32] = "";
    if (progress->failed) snprintf(failed, sizeof failed, " [%zu failed]", progress->failed);
    if (progress->total > 0)
        snprintf(buffer, size, "%s %zu/%zu (%d%%) %.1f/s %s%s%s%s%s", progress->label, progress->done,
                 progress->total, (int)(100.0 * (double)progress->done / (double)progress->total), rate, spent, eta,
                 failed, progress->detail[0] ? " " : "", progress->detail);
    else
        snprintf(buffer, size, "%s %zu %.1f/s %s%s%s%s", progress->label, progress->done, rate, spent, failed,
                 progress->detail[0] ? " " : "", progress->detail);
}
