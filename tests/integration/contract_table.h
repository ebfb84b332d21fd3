/*
 * The SDK contract table (a JSON file of tests/integration/contracts): read
 * strictly, every row's shape checked before any row runs, so a typo in the
 * data file is a failed row, never a row that checks nothing. The format is
 * described in tests/integration/README.md.
 */
#ifndef INTUKA_ITEST_CONTRACT_TABLE_H
#define INTUKA_ITEST_CONTRACT_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct contract_row {
	char test_name[160];  /* "<method>" or "<method> (<case>)", unique in the table */
	json_object *row;     /* borrowed from the table's document */
	char problem[320];    /* not empty: the row is malformed and its test fails with this */
};

struct contract_table {
	json_object *document;  /* owned */
	json_object *types;     /* borrowed: name -> spec of a named type */
	json_object *envelope;  /* borrowed: spec of the members next to data in 2xx answers */
	json_object *stream;    /* borrowed: {"types": [...], "data": {chunk type: type text}} */
	struct contract_row *rows;
	size_t row_count;
	char problem[512];      /* not empty: the file cannot be used at all */
};

/* Reads and checks the file. On false, table->problem says why and no row
 * is usable; the table must be freed either way. */
bool contract_table_load(const char *file_path, struct contract_table *table);
void contract_table_free(struct contract_table *table);

const struct contract_row *contract_table_find_row(const struct contract_table *table, const char *test_name);

#endif
