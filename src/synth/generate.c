// generate.c — `iar synth`: renders samples in parallel chunks (OpenMP over samples; each sample
// depends only on its index) and writes the JSONL in sample order after each chunk, so the files
// are byte-identical at any thread count.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/files.h"
#include "synth/synth.h"

#define SYNTH_CHUNK 64

typedef struct ChunkSlot {
    char *line;
    int failed;
    Error error;
} ChunkSlot;

static int write_sample_images(const SynthSample *sample, const char *out_dir, Error *err) {
    const char *paths[1 + CANDIDATE_COUNT] = {sample->sample.original, sample->sample.candidates[0],
                                              sample->sample.candidates[1], sample->sample.candidates[2],
                                              sample->sample.candidates[3]};
    for (int i = 0; i <= CANDIDATE_COUNT; i++) {
        // the record's file name already says the format (sample.c chooses it by style)
        const char *dot = strrchr(paths[i], '.');
        int jpeg = dot && strcmp(dot, ".jpg") == 0;
        char *path = path_join(out_dir, paths[i]);
        int rc = !path ? error_set(err, "out of memory")
                 : jpeg ? image_save_jpeg(&sample->images[i], path, SYNTH_JPEG_QUALITY, err)
                        : image_save_png(&sample->images[i], path, err);
        free(path);
        if (rc != 0) return -1;
    }
    return 0;
}

static void render_slot(ChunkSlot *slot, const SynthConfig *config, const char *out_dir, size_t index) {
    SynthSample sample;
    if (synth_sample_render(&sample, config, index, 0, &slot->error) != 0) {
        slot->failed = 1;
        return;
    }
    if (write_sample_images(&sample, out_dir, &slot->error) != 0) {
        slot->failed = 1;
    } else {
        slot->line = sample_to_json(&sample.sample);
        if (!slot->line) {
            error_set(&slot->error, "sample %s: cannot serialise (out of memory?)", sample.sample.id);
            slot->failed = 1;
        }
    }
    synth_sample_free(&sample);
}

int synth_generate(const SynthConfig *config, const char *out_dir, size_t count, int threads, Progress *progress,
                   Error *err) {
    if (config->size < SYNTH_MIN_SIZE || config->size > SYNTH_MAX_SIZE)
        return error_set(err, "synth: size %d outside %d..%d", config->size, SYNTH_MIN_SIZE, SYNTH_MAX_SIZE);
    char *img_dir = path_join(out_dir, "img");
    char *jsonl = path_join(out_dir, "data.jsonl");
    char *partial = jsonl ? malloc(strlen(jsonl) + 9) : NULL;
    FILE *file = NULL;
    ChunkSlot *slots = calloc(SYNTH_CHUNK, sizeof *slots);
    int rc = -1;
    if (!img_dir || !jsonl || !partial || !slots) {
        error_set(err, "synth: out of memory");
        goto done;
    }
    if (dir_create_all(img_dir, err) != 0) goto done;
    sprintf(partial, "%s.partial", jsonl);
    file = fopen(partial, "wb");
    if (!file) {
        error_set(err, "%s: cannot create (is the folder writable?)", partial);
        goto done;
    }
#ifdef _OPENMP
    int team = threads > 0 ? threads : omp_get_max_threads();
#else
    (void)threads; // one thread: the num_threads clause below is ignored without OpenMP
#endif
    for (size_t start = 0; start < count; start += SYNTH_CHUNK) {
        size_t n = count - start < SYNTH_CHUNK ? count - start : SYNTH_CHUNK;
        memset(slots, 0, sizeof *slots * SYNTH_CHUNK);
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
        for (size_t i = 0; i < n; i++) {
            render_slot(&slots[i], config, out_dir, start + i);
            if (progress) progress_advance(progress, 1, slots[i].failed);
        }
        // in sample order; the first failure (by index) is the one reported, whatever the threads
        int failed = 0;
        for (size_t i = 0; i < n; i++) {
            if (!failed && slots[i].failed) {
                *err = slots[i].error;
                failed = 1;
            }
            if (!failed && (fputs(slots[i].line, file) < 0 || fputc('\n', file) == EOF)) {
                error_set(err, "%s: write failed (disk full?)", partial);
                failed = 1;
            }
            free(slots[i].line);
        }
        if (failed) goto done;
    }
    if (fclose(file) != 0) {
        file = NULL;
        error_set(err, "%s: write failed (disk full?)", partial);
        goto done;
    }
    file = NULL;
    if (rename(partial, jsonl) != 0) {
        error_set(err, "%s: cannot rename to %s", partial, jsonl);
        goto done;
    }
    rc = 0;
done:
    if (file) fclose(file);
    free(slots);
    free(img_dir);
    free(jsonl);
    free(partial);
    return rc;
}
