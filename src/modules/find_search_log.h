/* The search log, written in batches: a search answers without a durable
 * write of its own. Entries wait in the worker (at most
 * FIND_SEARCH_LOG_BATCH of them, at most FIND_SEARCH_LOG_WAIT_MS) and go in
 * one multi-row INSERT; a worker that exits writes what it holds. A worker
 * killed outright loses at most those entries: a log, not data. */
#ifndef INTUKA_MODULES_FIND_SEARCH_LOG_H
#define INTUKA_MODULES_FIND_SEARCH_LOG_H

#include <stdint.h>

#include "modules/find_query.h"

struct db;
struct request_context;

#define FIND_SEARCH_LOG_BATCH 8
#define FIND_SEARCH_LOG_WAIT_MS 250

/* The after_response step of a search: its entry (in after_response_data)
 * joins the batch, written when full. */
void find_search_log_after_response(struct request_context *context);
/* Writes the batch if its oldest entry waited long enough (or force). */
void find_search_log_flush(struct db *db, int64_t now_ms, int force);

#endif
