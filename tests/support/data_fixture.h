// data_fixture.h — test helpers of the data layer: a scratch folder with small images and JSONL
// files, and a known-good sample line to mutate.
#ifndef IAR_TESTS_DATA_FIXTURE_H
#define IAR_TESTS_DATA_FIXTURE_H

// Creates a fresh scratch folder (under $IAR_TEST_TMP or $TMPDIR or /tmp); malloc'd path.
char *data_fixture_dir(void);
// cmocka setup/teardown: *state becomes a DataScratch whose folder holds data_fixture_images(20, 12).
typedef struct DataScratch {
    char *dir;
} DataScratch;
int data_fixture_setup(void **state);
int data_fixture_teardown(void **state);
// Removes a scratch folder and everything in it.
void data_fixture_remove(const char *dir);
// Writes `text` to dir/name (creating the sub-folders); aborts the test program on failure.
void data_fixture_write(const char *dir, const char *name, const char *text);
void data_fixture_write_bytes(const char *dir, const char *name, const void *bytes, unsigned long size);
// Writes img/o.png, img/a.png .. img/d.png (width x height RGB) and img/j.jpg (a JPEG of the same size).
void data_fixture_images(const char *dir, int width, int height);
// A valid sample line using the images above; malloc'd. `answer_json` like "[\"B\",\"D\"]".
char *data_fixture_line(const char *id, const char *dimension, const char *answer_json);
// Copy of `text` with the first occurrence of `from` replaced by `to` (aborts when absent); malloc'd.
char *data_fixture_replace(const char *text, const char *from, const char *to);
// dir/name, malloc'd.
char *data_fixture_path(const char *dir, const char *name);

#endif
