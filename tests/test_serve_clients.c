// test_serve_clients.c — real clients against the server (on the fake screener, so no trained
// model is needed): the official `openai` npm package (completion + streamed call + a 400), and
// headless Chromium via playwright-core on the web page (five uploads, Screen, verdict, example
// button), both installed from the npm registry into tests/serve/node_modules when missing.
// The page screenshot is kept in $IAR_ARTEFACT_DIR (default build/test-artefacts/serve_page.png).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/files.h"
#include "serve/server.h"
#include "support/data_fixture.h"
#include "support/serve_support.h"

static char *scratch;      // scratch folder: images and the example dataset
static char base_url[64];
static Screener screener;
static ServeServer *server;

static void write_level_png(const char *name, int level) {
    Image image;
    Error err;
    assert_int_equal(image_create(&image, 48, 48, 3, &err), 0);
    memset(image.data, level, (size_t)48 * 48 * 3);
    char *path = data_fixture_path(scratch, name);
    if (image_save_png(&image, path, &err) != 0) fail_msg("%s", err.message);
    free(path);
    image_free(&image);
}

static int setup(void **state) {
    (void)state;
    if (!file_exists("tests/serve/node_modules/openai/package.json") ||
        !file_exists("tests/serve/node_modules/playwright-core/package.json")) {
        fprintf(stderr, "installing tests/serve/node_modules from the npm registry\n");
        if (system("cd tests/serve && npm install --no-audit --no-fund --loglevel=error >&2") != 0) {
            fprintf(stderr, "npm install failed (needs the npm registry, or a prepared tests/serve/node_modules)\n");
            return -1;
        }
    }
    scratch = data_fixture_dir();
    const char *names[5] = {"original.png", "A.png", "B.png", "C.png", "D.png"};
    const int levels[5] = {128, 128, 210, 128, 30}; // B and D are flawed for the fake
    for (int i = 0; i < 5; i++) write_level_png(names[i], levels[i]);
    data_fixture_images(scratch, 40, 30);
    char *line = data_fixture_line("ex1", "placement", "[\"C\"]");
    char *jsonl = NULL;
    if (asprintf(&jsonl, "%s\n", line) < 0) return -1;
    data_fixture_write(scratch, "data.jsonl", jsonl);
    free(jsonl);
    free(line);

    ServeOptions options;
    serve_options_default(&options);
    options.port = 0;
    char *example = data_fixture_path(scratch, "data.jsonl");
    options.example_path = example;
    Error err = {{0}};
    if (fake_screener_open(&screener, 1, 400) != 0) return -1; // 400 ms a reply, streamed in pieces
    int rc = serve_server_start(&server, &options, &screener, &err);
    free(example);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", serve_server_port(server));
    return 0;
}

static int teardown(void **state) {
    (void)state;
    serve_server_stop(server, 5);
    screener_close(&screener);
    data_fixture_remove(scratch);
    free(scratch);
    return 0;
}

static void test_openai_package_completes_and_streams(void **state) {
    (void)state;
    char command[1024];
    // streamed as generated: the first piece within the first half of the reply's time
    snprintf(command, sizeof command, "STREAM_RATIO_MAX=0.5 node tests/serve/openai_client.mjs '%s/v1' '%s' 'B, D'", base_url,
             scratch);
    assert_int_equal(system(command), 0);
}

static void test_chromium_screens_five_uploads(void **state) {
    (void)state;
    const char *folder = getenv("IAR_ARTEFACT_DIR") ? getenv("IAR_ARTEFACT_DIR") : "build/test-artefacts";
    Error err;
    assert_int_equal(dir_create_all(folder, &err), 0);
    char *screenshot = path_join(folder, "serve_page.png");
    remove(screenshot);
    char command[1024];
    // the fake screener gives every candidate evidence, as a candidate head does
    snprintf(command, sizeof command, "EXPECT_EVIDENCE=1 node tests/serve/page_test.mjs '%s/' '%s' '%s' 'B, D'", base_url,
             scratch, screenshot);
    assert_int_equal(system(command), 0);
    struct stat info;
    assert_int_equal(stat(screenshot, &info), 0);
    assert_true(info.st_size > 10000); // a real rendering, not an empty file
    fprintf(stderr, "screenshot: %s (%lld bytes)\n", screenshot, (long long)info.st_size);
    free(screenshot);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai_package_completes_and_streams),
        cmocka_unit_test(test_chromium_screens_five_uploads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
