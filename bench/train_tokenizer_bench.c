// train_tokenizer_bench.c — tokenizer figures for docs/perf/train.md: tokens per rationale and
// encode throughput for both pre-tokenizers, on a dataset's completions.
//   cc ... bench/train_tokenizer_bench.c build/libiar.a ...   (see bench/train_bench.sh)
//   train_tokenizer_bench DATA.jsonl
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "data/dataset.h"
#include "text/layout.h"
#include "text/tokenizer.h"

static void measure(const char *pretokenizer, int vocab, char **texts, size_t count) {
    Tokenizer *tok = NULL;
    Error err = {{0}};
    double t0 = time_now_seconds();
    if (tokenizer_train_with_pretokenizer(&tok, (const char *const *)texts, count, vocab, pretokenizer, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    double train_seconds = time_now_seconds() - t0;
    int ids[4096];
    long bytes = 0, tokens = 0, rounds = 0;
    t0 = time_now_seconds();
    do {
        for (size_t i = 0; i < count; i++) {
            tokens += tokenizer_encode(tok, texts[i], ids, 4096);
            bytes += (long)strlen(texts[i]);
        }
        rounds++;
    } while (time_now_seconds() - t0 < 1.0);
    double seconds = time_now_seconds() - t0;
    printf("%-15s vocab %4d (asked %4d): %.1f tokens per completion, %.2f bytes/token, encode %.1f MB/s "
           "(%.0f completions/s), training %.2f s\n",
           pretokenizer, tokenizer_vocab_size(tok), vocab, (double)tokens / (double)(rounds * (long)count),
           (double)bytes / (double)tokens, (double)bytes / seconds / 1e6, (double)(rounds * (long)count) / seconds,
           train_seconds);
    tokenizer_free(tok);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: train_tokenizer_bench DATA.jsonl\n");
        return 1;
    }
    Dataset dataset;
    Error err = {{0}};
    if (dataset_load(&dataset, argv[1], &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    char **texts = calloc(dataset.count, sizeof *texts);
    for (size_t i = 0; i < dataset.count; i++) texts[i] = sample_completion_text(&dataset.samples[i]);
    measure("iar-chunks-v1", 512, texts, dataset.count);
    measure("iar-chunks-v1", 1024, texts, dataset.count);
    measure("iar-phrases-v1", 512, texts, dataset.count);
    measure("iar-phrases-v1", 1024, texts, dataset.count);
    for (size_t i = 0; i < dataset.count; i++) free(texts[i]);
    free(texts);
    dataset_free(&dataset);
    return 0;
}
