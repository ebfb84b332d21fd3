/* make check's side of a fuzz target: built with the ordinary compiler
 * around one target's entry point, it replays every file of that target's
 * seed corpus (FUZZ_CORPUS_DIR, set by Makefile.am) as one CUnit test, so
 * the corpus and every regression input in it are tests without clang.
 * With file arguments it replays those instead (a reproducer from
 * tests/fuzz/run.sh). A property that fails aborts the program, naming the
 * file on stderr just before. */
#include "fuzz_check.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>

#ifndef FUZZ_TARGET_NAME
#error "FUZZ_TARGET_NAME names the target (set by Makefile.am)"
#endif
#ifndef FUZZ_CORPUS_DIR
#error "FUZZ_CORPUS_DIR is the target's seed corpus (set by Makefile.am)"
#endif

/* Inputs larger than this are not seeds; refusing them keeps a stray file
 * from slowing make check down. */
#define FUZZ_REPLAY_MAX_BYTES (1024 * 1024)

static char **fuzz_replay_files;
static size_t fuzz_replay_file_count;

/* Reads path whole; returns 0, or -1 with errno set. */
static int fuzz_replay_read(const char *path, uint8_t **data, size_t *size)
{
	FILE *file = fopen(path, "rb");
	if (file == NULL)
		return -1;
	uint8_t *buffer = malloc(FUZZ_REPLAY_MAX_BYTES + 1);
	size_t length = buffer ? fread(buffer, 1, FUZZ_REPLAY_MAX_BYTES + 1, file) : 0;
	int failed = buffer == NULL || ferror(file) || length > FUZZ_REPLAY_MAX_BYTES;
	fclose(file);
	if (failed) {
		free(buffer);
		errno = EFBIG;
		return -1;
	}
	*data = buffer;
	*size = length;
	return 0;
}

static void fuzz_replay_every_file(void)
{
	CU_ASSERT_FATAL(fuzz_replay_file_count > 0);
	for (size_t i = 0; i < fuzz_replay_file_count; i++) {
		uint8_t *data = NULL;
		size_t size = 0;
		if (fuzz_replay_read(fuzz_replay_files[i], &data, &size) != 0) {
			fprintf(stderr, "%s: %s\n", fuzz_replay_files[i], strerror(errno));
			CU_FAIL("an input file cannot be read");
			continue;
		}
		/* Flushed first, so a crash or a failed property names its input. */
		fprintf(stderr, "replaying %s (%zu bytes)\n", fuzz_replay_files[i], size);
		fflush(stderr);
		CU_ASSERT_EQUAL(LLVMFuzzerTestOneInput(data, size), 0);
		free(data);
	}
}

static int fuzz_replay_compare(const void *left, const void *right)
{
	return strcmp(*(char *const *)left, *(char *const *)right);
}

/* Every regular file of the corpus directory, sorted, so runs are alike. */
static int fuzz_replay_list_corpus(const char *directory)
{
	DIR *listing = opendir(directory);
	if (listing == NULL) {
		fprintf(stderr, "%s: %s\n", directory, strerror(errno));
		return -1;
	}
	size_t capacity = 0;
	for (struct dirent *entry; (entry = readdir(listing)) != NULL;) {
		if (entry->d_name[0] == '.')
			continue;
		size_t path_size = strlen(directory) + 1 + strlen(entry->d_name) + 1;
		char *path = malloc(path_size);
		FUZZ_REQUIRE(path != NULL);
		snprintf(path, path_size, "%s/%s", directory, entry->d_name);
		if (fuzz_replay_file_count == capacity) {
			capacity = capacity ? 2 * capacity : 32;
			fuzz_replay_files = realloc(fuzz_replay_files, capacity * sizeof(*fuzz_replay_files));
			FUZZ_REQUIRE(fuzz_replay_files != NULL);
		}
		fuzz_replay_files[fuzz_replay_file_count++] = path;
	}
	closedir(listing);
	if (fuzz_replay_file_count > 0)
		qsort(fuzz_replay_files, fuzz_replay_file_count, sizeof(*fuzz_replay_files), fuzz_replay_compare);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		fuzz_replay_files = malloc((size_t)(argc - 1) * sizeof(*fuzz_replay_files));
		FUZZ_REQUIRE(fuzz_replay_files != NULL);
		for (int i = 1; i < argc; i++)
			fuzz_replay_files[fuzz_replay_file_count++] = strdup(argv[i]);
	} else if (fuzz_replay_list_corpus(FUZZ_CORPUS_DIR) != 0) {
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite suite = CU_add_suite("fuzz_" FUZZ_TARGET_NAME "_corpus", NULL, NULL);
	if (suite == NULL ||
		CU_add_test(suite, "every seed of tests/fuzz/corpus/" FUZZ_TARGET_NAME " holds its properties",
			fuzz_replay_every_file) == NULL) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	unsigned tests_run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	printf("%zu input(s) replayed through fuzz_%s\n", fuzz_replay_file_count, FUZZ_TARGET_NAME);
	for (size_t i = 0; i < fuzz_replay_file_count; i++)
		free(fuzz_replay_files[i]);
	free(fuzz_replay_files);
	return failures != 0 || tests_run == 0 ? 1 : 0;
}
