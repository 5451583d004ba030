// test_files.h — file helpers shared by the tests that compare generated output.
#ifndef IAR_TESTS_SUPPORT_TEST_FILES_H
#define IAR_TESTS_SUPPORT_TEST_FILES_H

// 1 when a_dir/name and b_dir/name hold the same bytes; 0 when they differ or cannot be read.
int test_files_same(const char *a_dir, const char *b_dir, const char *name);

#endif
