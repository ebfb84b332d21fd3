/* Generic tenant-owned records ("resources"): a module describes a table's
 * API fields once, and gets list (filters, q, created range, whitelisted
 * sort, pagination), get, create, update (PATCH with If-Match against the
 * row version, answered with an ETag) and soft delete, with validation,
 * sensitive fields and Idempotency-Key replay on create. Each route names
 * the permission it needs (the route table is the one place); a record names
 * the permission that sees deleted rows and the one that sees sensitive
 * fields. Lists also take ranges on the money and date fields a resource
 * names, its boolean conditions (overdue), fields= to pick fields, and
 * answer CSV (format=csv or Accept: text/csv) and 304 to If-None-Match.
 * The SQL is generated once per process from the description, as
 * prepared statements bound to the tenant: the tenant id is the first
 * parameter of reads and inserts, and of UPDATEs the first of their WHERE. */
#ifndef INTUKA_MODULES_RESOURCE_H
#define INTUKA_MODULES_RESOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "db/db.h"
#include "http/pagination.h"
#include "http/validate.h"

struct request_context;

enum resource_field_kind {
	RESOURCE_TEXT,
	RESOURCE_EMAIL,
	RESOURCE_INTEGER, /* also money in minor units: never floating point */
	RESOURCE_BOOLEAN,
	RESOURCE_DATE,
	RESOURCE_ENUM,
	RESOURCE_CURRENCY,
	RESOURCE_REFERENCE, /* id of another record of the same tenant */
	RESOURCE_TIMESTAMP, /* DATETIME(3) set by the server, shown like createdAt; read-only */
};

enum resource_field_flag {
	RESOURCE_REQUIRED = 1u << 0,  /* must be given on create */
	RESOURCE_FILTER = 1u << 1,    /* ?apiName=value equality filter */
	RESOURCE_SEARCH = 1u << 2,    /* part of the q= prefix search */
	RESOURCE_SORT = 1u << 3,      /* allowed in sortBy */
	RESOURCE_SENSITIVE = 1u << 4, /* shown only with the resource's sensitive permission */
	RESOURCE_READONLY = 1u << 5,  /* set by the server (status, totals), never by the body */
	RESOURCE_NULLABLE = 1u << 6,  /* may be cleared with null */
};

struct resource_field {
	const char *api_name;
	const char *column;
	enum resource_field_kind kind;
	unsigned flags;
	size_t max_length;          /* text: bytes */
	int64_t min_value, max_value; /* integers */
	const char *const *enum_values;
	const char *reference_table;  /* RESOURCE_REFERENCE: table and id column that must hold the id */
	const char *reference_id_column;
	const char *reference_live_condition; /* NULL: "deleted_at IS NULL" */
	const char *default_sql;      /* value on create when absent (SQL literal), NULL = column default */
	const char *const *filter_values; /* RESOURCE_ENUM: values accepted as a filter, NULL = enum_values */
	/* Range filters on money (RESOURCE_INTEGER) or a date (RESOURCE_DATE):
	 * "amount" gives amountMin and amountMax (integers, both inclusive),
	 * "due" gives dueBefore and dueAfter (dates, both exclusive). NULL: none.
	 * Never on a sensitive field: a range would tell what the value hides. */
	const char *range_name;
};

/* A boolean list filter defined by a condition on the row: name=true keeps
 * the rows where it holds, name=false those where it does not (or is NULL). */
struct resource_condition {
	const char *name; /* "overdue" */
	const char *sql;  /* fixed SQL on the table's own columns, never client text */
};

#define RESOURCE_MAX_FIELDS 24
#define RESOURCE_MAX_SORTS 8
#define RESOURCE_MAX_CONDITIONS 4
/* Names fields= accepts: the fields, id and the five the engine adds. */
#define RESOURCE_MAX_FIELD_NAMES (RESOURCE_MAX_FIELDS + 6)
/* A list's typed parameters beyond the common ones: q, fields, two per
 * range, one per condition. */
#define RESOURCE_MAX_LIST_QUERY (2 + 2 * RESOURCE_MAX_FIELDS + RESOURCE_MAX_CONDITIONS)
/* A CSV export holds at most this many rows (past it: 413). Read and sent
 * RESOURCE_CSV_BATCH_ROWS at a time, so a worker holds one batch (a few
 * hundred kilobytes at the widest rows), never the export. */
#define RESOURCE_CSV_MAX_ROWS 10000
#define RESOURCE_CSV_BATCH_ROWS 500
/* Unfiltered pages up to this offset are read in one step. */
#define RESOURCE_SHALLOW_OFFSET_MAX 100

/* Statements generated at first use; indexes of the fixed ones. */
enum resource_statement {
	RESOURCE_STMT_GET,
	RESOURCE_STMT_COUNT,
	RESOURCE_STMT_INSERT,
	RESOURCE_STMT_UPDATE,
	RESOURCE_STMT_DELETE,
	RESOURCE_STMT_COUNTER_ADD,
	RESOURCE_STMT_COUNTER_GET,
	RESOURCE_STMT__FIXED
};

struct resource_runtime {
	int ready;
	struct db_statement_def statements[RESOURCE_STMT__FIXED];
	struct db_statement_def list_statements[RESOURCE_MAX_SORTS * 2];
	/* Same lists with no filter at all: "? IS NULL OR col = ?" conditions
	 * name columns outside the sort index and cost a row lookup for every
	 * entry a deep page skips, so the plain list gets its own statements. */
	struct db_statement_def plain_list_statements[RESOURCE_MAX_SORTS * 2];
	/* The same pages in one step, for the first pages: reading a few rows
	 * directly costs less than the page of ids and its temporary table. */
	struct db_statement_def shallow_list_statements[RESOURCE_MAX_SORTS * 2];
	/* The same with a cached session's fingerprint as a last column: the
	 * page confirms its caller (auth/principal_confirm.h). */
	struct db_statement_def confirming_list_statements[RESOURCE_MAX_SORTS * 2];
	struct db_statement_def reference_checks[RESOURCE_MAX_FIELDS];
	struct sort_field sort_fields[RESOURCE_MAX_SORTS];
	struct sort_whitelist sorts;
	struct field_spec create_fields[RESOURCE_MAX_FIELDS];
	struct field_spec update_fields[RESOURCE_MAX_FIELDS];
	struct input_spec create_input;
	struct input_spec update_input;
	size_t filter_count;
	size_t search_count;
	size_t range_count;
	/* The list's own typed parameters (the route's query spec adds them
	 * through resource_list_query.extra), and their names. */
	struct query_field list_query_fields[RESOURCE_MAX_LIST_QUERY];
	struct query_spec list_query;
	char range_names[RESOURCE_MAX_FIELDS][2][64];
	const char *field_names[RESOURCE_MAX_FIELD_NAMES + 1]; /* what fields= accepts, NULL-terminated */
	char *sql_texts[RESOURCE_STMT__FIXED + RESOURCE_MAX_SORTS * 8 + RESOURCE_MAX_FIELDS];
};

struct resource_def {
	const char *name;     /* "leads": also the counter key */
	const char *singular; /* "Lead" */
	const char *table;
	const char *id_column;
	const char *delete_permission;
	const char *sensitive_permission; /* NULL: no sensitive fields */
	const struct resource_field *fields;
	size_t field_count;
	struct resource_runtime *runtime; /* owned by the module, filled by resource_prepare */
	/* SQL condition under which a record may no longer be changed or
	 * deleted through PATCH/DELETE (e.g. a converted lead), and why. */
	const char *locked_condition;
	const char *locked_message;
	/* Boolean list filters (invoices' overdue): at most RESOURCE_MAX_CONDITIONS. */
	const struct resource_condition *conditions;
	size_t condition_count;
};

/* Generate SQL and specs once; safe to call on every request. 0 or -1. */
int resource_prepare(const struct resource_def *resource);

/* The query of resource_list: pagination, includeDeleted, createdFrom,
 * createdTo, format, and from the resource (the route's data) its filter
 * fields, q when it has searched fields, fields, its ranges and its
 * conditions. */
extern const struct query_spec resource_list_query;

/* The one path of a create: a transaction, the Idempotency-Key (replayed or
 * reserved), the checks that read, the row, the rows beside it, the answer,
 * the stored idempotent answer and the commit. A module gives its own
 * steps; NULL ones do what the engine does. Every step runs in the
 * transaction; a step that fails sets the response (or returns the
 * db_result) and the request flow rolls back. */
struct resource_create_steps {
	/* Before anything is written: 0 to go on, -1 with the response set. */
	int (*check)(struct request_context *context, void *state);
	/* The row: NULL inserts the validated body (resource_insert_from_body). A db_result. */
	int (*insert)(struct request_context *context, void *state, uint64_t *id);
	/* Rows beside it (lines, audit entries): a db_result. */
	int (*after_insert)(struct request_context *context, void *state, uint64_t id);
	/* A failed insert's answer: NULL answers respond_db_failure. */
	void (*fail)(struct request_context *context, void *state, int result);
	/* The answer (201): NULL answers the record as stored (resource_respond_one). */
	void (*respond)(struct request_context *context, void *state, uint64_t id, const char *message);
	const char *message; /* "Lead created" */
	void *state;
};
void resource_create_with(struct request_context *context, const struct resource_def *resource,
	const struct resource_create_steps *steps);

/* Generic route handlers: the route's data points at the resource_def. */
void resource_list(struct request_context *context);
void resource_get(struct request_context *context);
void resource_create(struct request_context *context);
void resource_update(struct request_context *context);
void resource_delete(struct request_context *context);

/* Building blocks for module-specific handlers. */
/* One record as JSON (NULL when absent in this tenant); *version set. */
int resource_load(struct request_context *context, const struct resource_def *resource, uint64_t id,
	int include_deleted, json_object **out, int64_t *version);
/* Answer with one record, setting ETag; status 200 or 201. */
void resource_respond_one(struct request_context *context, const struct resource_def *resource, uint64_t id,
	int created_status, const char *message);
/* Insert from the validated body (plus the tenant, creator) inside the
 * caller's transaction; bumps the live counter. Returns a db_result. */
int resource_insert_from_body(struct request_context *context, const struct resource_def *resource,
	uint64_t *new_id);
/* Each reference the validated body gives must name a live record of this
 * tenant: 0, or -1 with the response set (422 naming each field). */
int resource_check_references_or_reply(struct request_context *context, const struct resource_def *resource);
/* Adjust the live row counter behind unfiltered list totals (same transaction as the write). */
int resource_count_rows(struct request_context *context, const struct resource_def *resource, int64_t delta);
/* The record a PATCH/DELETE names: its id from the path and the If-Match
 * version (0 when absent). 0, or -1 with 404 (bad id) or 400 (bad If-Match) set. */
int resource_read_target_or_reply(struct request_context *context, const struct resource_def *resource, uint64_t *id,
	int64_t *expected_version);
/* Parsed If-Match version: 0 when absent, -1 when malformed. */
int64_t resource_if_match(const struct request_context *context);
/* The route's resource. */
const struct resource_def *resource_of(const struct request_context *context);
/* Every generated statement, for the tenant-binding test (after prepare). */
size_t resource_statements(const struct resource_def *resource, const struct db_statement_def **out, size_t capacity);

#endif
