/* Bulk writes and delete-by-query for find content: many entities per
 * request, in groups of items (or batches of matches) with a transaction
 * each; a group that fails is stored item by item, so one bad item never
 * undoes the others. */
#include "handler/context.h"
#include "core/alloc.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/embedding_store.h"
#include "http/request.h"
#include "http/response.h"
#include "modules/find_common.h"
#include "modules/find_content.h"
#include "modules/find_documents.h"
#include "modules/find_index_store.h"
#include "modules/find_query.h"
#include "modules/find_sql.h"

#include <stdio.h>
#include <string.h>

/* The array member of a bulk body: 1 to FIND_BULK_MAX items, or NULL after answering 400. */
static json_object *find_bulk_array(struct request_context *context, const char *member)
{
	json_object *body = find_content_body(context);
	json_object *array = NULL;
	if (body == NULL)
		return NULL;
	if (!json_object_object_get_ex(body, member, &array) || !json_object_is_type(array, json_type_array) ||
		json_object_array_length(array) == 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid bulk request");
		response_add_detail(context->response, member, "must be a non-empty array");
		return NULL;
	}
	if (json_object_array_length(array) > FIND_BULK_MAX) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Too many items in one bulk request");
		response_add_detail(context->response, member, "at most %d items per request; split the batch", FIND_BULK_MAX);
		return NULL;
	}
	return array;
}

static void find_add_failure(json_object *failed, json_object *id, size_t index, const char *error)
{
	json_object *item = json_object_new_object();
	json_object_object_add(item, "id", id);
	json_object_object_add(item, "index", json_object_new_int64((int64_t)index));
	json_object_object_add(item, "error", json_object_new_string(error));
	json_object_array_add(failed, item);
}

/* The id an item claims, for its failedItems entry (null when it has none). */
/* What a bulk item's failure tells the client: whether to retry it. */
static const char *find_content_batch_failure_text(int result, const char *otherwise)
{
	if (result == DB_UNAVAILABLE)
		return "database unavailable, retry this item";
	if (result == DB_OUTCOME_UNKNOWN)
		return "connection lost while saving; this item may or may not be saved, retry it";
	return otherwise;
}

static json_object *find_item_id(json_object *entity)
{
	json_object *id = NULL;
	if (json_object_is_type(entity, json_type_object) && json_object_object_get_ex(entity, "id", &id) &&
		(json_object_is_type(id, json_type_string) || json_object_is_type(id, json_type_int)))
		return json_object_new_string(json_object_get_string(id));
	return NULL;
}

/* Items stored together in one transaction: the search index is written
 * once per group (each of a term's buckets once), not once per item. */
#define FIND_BULK_GROUP 50

/* One item in its own transaction, its outcome added to the answer. */
static void find_bulk_store_one(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, struct find_columns *columns, size_t index, json_object *successful, json_object *failed)
{
	char error[512];
	int created = 0, result = DB_OK;
	switch (find_content_store(context, def, workspace, columns, &created, &result)) {
	case FIND_STORED:
		json_object_array_add(successful, json_object_new_string(columns->id));
		break;
	case FIND_CAP_REACHED:
		find_content_cap_message(context, def, error, sizeof(error));
		find_add_failure(failed, json_object_new_string(columns->id), index, error);
		break;
	case FIND_STORE_FAILED:
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "%s bulk item %zu: database error %d: %s",
			find_entity_plural(def->kind), index, result, db_last_error(context->db));
		find_add_failure(failed, json_object_new_string(columns->id), index,
			find_content_batch_failure_text(result, "internal error storing this item"));
		break;
	}
}

/* Stores the parsed items of a group (together, or one by one when that
 * fails), adds their outcomes in order and releases them. */
static void find_bulk_store_group(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, struct find_columns *columns, const size_t *indexes, size_t count, json_object *successful,
	json_object *failed)
{
	int created[FIND_BULK_GROUP];
	if (count > 1 && find_content_store_group(context, def, workspace, columns, count, created) == DB_OK) {
		for (size_t i = 0; i < count; i++)
			json_object_array_add(successful, json_object_new_string(columns[i].id));
	} else {
		for (size_t i = 0; i < count; i++)
			find_bulk_store_one(context, def, workspace, &columns[i], indexes[i], successful, failed);
	}
	for (size_t i = 0; i < count; i++)
		find_columns_release(&columns[i]);
}

void find_bulk_upsert(struct request_context *context)
{
	const struct find_entity_def *def = find_content_def(context);
	const char *workspace = find_require_workspace(context);
	json_object *entities;
	if (workspace == NULL || (entities = find_bulk_array(context, "entities")) == NULL)
		return;
	json_object *successful = json_object_new_array();
	json_object *failed = json_object_new_array();
	size_t length = json_object_array_length(entities);
	char error[512];
	struct find_columns *group = xcalloc(FIND_BULK_GROUP, sizeof(*group));
	size_t indexes[FIND_BULK_GROUP];
	size_t grouped = 0;
	for (size_t i = 0; i < length; i++) {
		json_object *entity = json_object_array_get_idx(entities, i);
		struct find_errors errors = {0};
		if (find_document_parse(def->kind, entity, &group[grouped], &errors) != 0) {
			/* Outcomes stay in the order of the items: the group before this one first. */
			find_bulk_store_group(context, def, workspace, group, indexes, grouped, successful, failed);
			grouped = 0;
			find_errors_summary(&errors, error, sizeof(error));
			find_add_failure(failed, find_item_id(entity), i, error);
			continue;
		}
		/* An id already in the group is stored after it (the later item wins, as before). */
		int repeated = 0;
		for (size_t j = 0; j < grouped && !repeated; j++)
			repeated = strcmp(group[j].id, group[grouped].id) == 0;
		if (repeated) {
			struct find_columns item = group[grouped];
			find_bulk_store_group(context, def, workspace, group, indexes, grouped, successful, failed);
			group[0] = item;
			grouped = 0;
		}
		indexes[grouped++] = i;
		if (grouped == FIND_BULK_GROUP) {
			find_bulk_store_group(context, def, workspace, group, indexes, grouped, successful, failed);
			grouped = 0;
		}
	}
	find_bulk_store_group(context, def, workspace, group, indexes, grouped, successful, failed);
	free(group);
	size_t stored = json_object_array_length(successful);
	json_object *data = json_object_new_object();
	json_object_object_add(data, "successfulIds", successful);
	json_object_object_add(data, "failedItems", failed);
	json_object_object_add(data, "processed", json_object_new_int64((int64_t)length));
	char message[128];
	snprintf(message, sizeof(message), "Indexed %zu of %zu %s", stored, length, find_entity_plural(def->kind));
	response_ok(context->response, STATUS_OK, data, message);
}

void find_bulk_delete(struct request_context *context)
{
	const struct find_entity_def *def = find_content_def(context);
	const char *workspace = find_require_workspace(context);
	json_object *ids;
	if (workspace == NULL || (ids = find_bulk_array(context, "ids")) == NULL)
		return;
	json_object *deleted = json_object_new_array();
	json_object *failed = json_object_new_array();
	size_t length = json_object_array_length(ids);
	for (size_t i = 0; i < length; i++) {
		json_object *item = json_object_array_get_idx(ids, i);
		if (!(json_object_is_type(item, json_type_string) || json_object_is_type(item, json_type_int)) ||
			!find_id_valid(json_object_get_string(item))) {
			find_add_failure(failed, find_item_id(item), i, "invalid id");
			continue;
		}
		const char *id = json_object_get_string(item);
		int found = 0;
		int result = find_content_remove(context, def, workspace, id, &found);
		if (result != DB_OK) {
			log_msg(LOG_LEVEL_ERROR, context->request->request_id, "%s bulk delete %zu: database error %d: %s",
				find_entity_plural(def->kind), i, result, db_last_error(context->db));
			find_add_failure(failed, json_object_new_string(id), i,
				find_content_batch_failure_text(result, "internal error"));
		} else if (!found) {
			find_add_failure(failed, json_object_new_string(id), i, "not found");
		} else {
			json_object_array_add(deleted, json_object_new_string(id));
		}
	}
	char message[128];
	snprintf(message, sizeof(message), "Deleted %zu of %zu %s", json_object_array_length(deleted), length,
		find_entity_plural(def->kind));
	json_object *data = json_object_new_object();
	json_object_object_add(data, "deletedIds", deleted);
	json_object_object_add(data, "failedItems", failed);
	response_ok(context->response, STATUS_OK, data, message);
}

/* The matches of one delete-by-query batch: their ids and, for products
 * and posts, what the search index holds of them. */
struct find_delete_matches {
	json_object *ids;
	struct find_indexed_row *rows;
	size_t count;
};

static int find_collect_match(void *callback_context, const struct db_row *row)
{
	struct find_delete_matches *matches = callback_context;
	if (row->column_count == 0 || row->values[0] == NULL)
		return 0;
	json_object_array_add(matches->ids, json_object_new_string(row->values[0]));
	if (row->column_count < 8)
		return 0;
	struct find_indexed_row *indexed = &matches->rows[matches->count++];
	memset(indexed, 0, sizeof(*indexed));
	struct db_row rest = {.column_count = row->column_count - 1, .values = row->values + 1, .lengths = row->lengths + 1};
	return find_content_read_indexed(indexed, &rest);
}

/* Takes the batch's postings out of the search index (in its transaction). */
static int find_delete_unindex(struct request_context *context, const struct find_entity_def *def,
	const struct find_delete_matches *matches)
{
	struct find_index_change changes[FIND_DELETE_BATCH];
	size_t count = 0;
	int result = DB_OK;
	for (size_t i = 0; i < matches->count && result == DB_OK; i++)
		if (matches->rows[i].doc != 0) {
			changes[count++] = (struct find_index_change){.doc = matches->rows[i].doc, .old_terms = &matches->rows[i].terms};
			/* Their vectors go with them. */
			result = embedding_store_forget(context->db, find_content_tenant(context), find_entity_singular(def->kind),
				matches->rows[i].doc);
		}
	if (result != DB_OK)
		return result;
	return count ? find_index_apply(context->db, find_content_tenant(context), def->kind, changes, count) : DB_OK;
}

/* Deletes what the filters match in batches, each batch one transaction
 * (ids selected, then their terms, postings, rows and count removed). */
void find_delete_by_query(struct request_context *context)
{
	const struct find_entity_def *def = find_content_def(context);
	const char *workspace = find_require_workspace(context);
	json_object *body;
	if (workspace == NULL || (body = find_content_body(context)) == NULL)
		return;
	json_object *filters_json = NULL;
	json_object_object_get_ex(body, "filters", &filters_json);
	struct find_filters filters;
	struct find_errors errors = {0};
	find_filters_init(&filters);
	if (find_delete_filters_parse(def->kind, filters_json, &filters, &errors) != 0) {
		find_filters_release(&filters);
		find_content_respond_errors(context, "Invalid delete-by-query filters", &errors);
		return;
	}
	uint64_t found_count = 0, deleted_count = 0;
	int result = DB_OK;
	for (int batch = 0; batch < 100000; batch++) {
		struct db_param params[2 + FIND_SQL_PRODUCT_FILTER_PARAMS];
		params[0] = DB_UINT(find_content_tenant(context));
		params[1] = DB_TEXT(workspace);
		size_t count = 2 + find_filters_bind(def->kind, &filters, params + 2);
		struct find_indexed_row rows[FIND_DELETE_BATCH];
		struct find_delete_matches matches = {.ids = json_object_new_array(), .rows = rows};
		json_object *ids = matches.ids;
		uint64_t removed = 0;
		result = db_begin(context->db);
		if (result == DB_OK)
			result = db_query(context->db, &def->statements[FC_MATCH_IDS], params, count, find_collect_match, &matches);
		size_t matched = json_object_array_length(ids);
		if (result == DB_OK && matched > 0) {
			const char *id_list = json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN);
			struct db_param targets[] = {params[0], params[1], DB_TEXT(id_list)};
			if (find_entity_has_facet(def->kind, FIND_FACET_CATEGORIES))
				result = db_exec(context->db, &def->statements[FC_TERMS_DELETE_IDS], targets, 3, NULL, NULL);
			if (result == DB_OK)
				result = db_exec(context->db, &def->statements[FC_DELETE_IDS], targets, 3, &removed, NULL);
			if (result == DB_OK && removed > 0)
				result = find_content_counter_add(context, def, -(int64_t)removed);
			if (result == DB_OK)
				result = find_delete_unindex(context, def, &matches);
			/* One event per batch, in its transaction, naming the ids it
			 * matched (an id another request deleted meanwhile is named too:
			 * it is gone either way). */
			if (result == DB_OK && removed > 0)
				result = find_content_emit_delete(context, def, workspace, ids);
		}
		if (result == DB_OK)
			result = db_commit(context->db);
		json_object_put(ids);
		for (size_t i = 0; i < matches.count; i++)
			find_index_terms_release(&rows[i].terms);
		if (result != DB_OK) {
			db_rollback(context->db);
			break;
		}
		found_count += matched;
		deleted_count += removed;
		if (matched < FIND_DELETE_BATCH || removed == 0)
			break;
	}
	find_filters_release(&filters);
	if (result != DB_OK) {
		respond_db_failure(context, result, find_entity_plural(def->kind));
		return;
	}
	char message[128];
	snprintf(message, sizeof(message), "Deleted %llu %s matching the filters", (unsigned long long)deleted_count,
		find_entity_plural(def->kind));
	json_object *data = json_object_new_object();
	json_object_object_add(data, "message", json_object_new_string(message));
	json_object_object_add(data, "found_count", json_object_new_int64((int64_t)found_count));
	json_object_object_add(data, "deleted_count", json_object_new_int64((int64_t)deleted_count));
	response_ok(context->response, STATUS_OK, data, message);
}
