/* Fuzz target for the strict JSON recogniser. Properties: it never crashes
 * or reads past the text, a refusal points inside the text (or at its end)
 * with a short printable reason, check and parse agree, and whatever it
 * accepts json-c writes back as text it accepts again. make check replays
 * the unit vectors and tests/fuzz/corpus/json_strict through it;
 * tests/fuzz/run.sh runs it under libFuzzer (tests/fuzz/README.md). */
#include "core/json_strict.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_json_strict_require(int condition)
{
	if (!condition)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees any read past the end. */
	char *text = malloc(size == 0 ? 1 : size);
	fuzz_json_strict_require(text != NULL);
	if (size > 0)
		memcpy(text, data, size);
	/* The first byte picks a depth limit, so the limit itself is fuzzed. */
	int max_depth = size > 0 ? data[0] % 40 : 32;

	struct json_strict_fault checked, parsed_fault;
	int check_result = json_strict_check(text, size, max_depth, &checked);
	json_object *tree = NULL;
	int parse_result = json_strict_parse(text, size, max_depth, &tree, &parsed_fault);
	fuzz_json_strict_require(check_result == parse_result);
	if (check_result != 0) {
		fuzz_json_strict_require(checked.kind != JSON_STRICT_FAULT_NONE && checked.offset <= size);
		fuzz_json_strict_require(tree == NULL && parsed_fault.offset == checked.offset);
		size_t reason_length = strnlen(checked.reason, sizeof(checked.reason));
		fuzz_json_strict_require(reason_length > 0 && reason_length < sizeof(checked.reason));
		for (size_t i = 0; i < reason_length; i++)
			fuzz_json_strict_require(checked.reason[i] >= 0x20 && checked.reason[i] <= 0x7e);
	} else {
		fuzz_json_strict_require(checked.kind == JSON_STRICT_FAULT_NONE);
		size_t written_length = 0;
		const char *written = json_object_to_json_string_length(tree, JSON_C_TO_STRING_PLAIN, &written_length);
		fuzz_json_strict_require(json_strict_check(written, written_length, max_depth, NULL) == 0);
	}
	json_object_put(tree);
	free(text);
	return 0;
}
