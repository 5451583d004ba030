// eval_bench_tool.c — helper of bench/eval.sh: writes a benchmark dataset, or runs the instant fake
// OpenAI-compatible server (tests/support/eval_fake_server.c) until killed.
//   eval_bench_tool dataset DIR COUNT PIXELS DISTINCT
//   eval_bench_tool serve PORT_FILE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/eval_fake_server.h"
#include "support/eval_fixture.h"

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "dataset") == 0) {
        EvalFixtureOptions options = {.count = (size_t)atol(argv[3]), .pixels = atoi(argv[4]), .distinct_images = atoi(argv[5])};
        char *path = eval_fixture_dataset(argv[2], &options);
        printf("%s\n", path);
        free(path);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "serve") == 0) {
        EvalFakeServer *server = eval_fake_server_start(0);
        if (!server) {
            fprintf(stderr, "cannot start the fake server\n");
            return 1;
        }
        FILE *f = fopen(argv[2], "w");
        if (!f) return 1;
        fprintf(f, "%d\n", eval_fake_server_port(server));
        fclose(f);
        for (;;) pause();
    }
    fprintf(stderr, "usage: eval_bench_tool dataset DIR COUNT PIXELS DISTINCT | serve PORT_FILE\n");
    return 2;
}
