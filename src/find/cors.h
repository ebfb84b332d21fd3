/* CORS for the find API: browsers call it with publishable keys from the
 * origins registered on those keys, or from any origin with a key made
 * without origins. A preflight carries no key, so it is answered when the
 * route it asks about accepts publishable keys and some active publishable
 * key registers the origin, or some active one has no origins at all (it
 * may be used from this origin; the request itself decides). */
#ifndef INTUKA_FIND_CORS_H
#define INTUKA_FIND_CORS_H

#include <stddef.h>

/* The find_key_origins row of a publishable key made without origins: it
 * matches every preflight, and is no origin a browser can send. */
#define FIND_CORS_ANY_ORIGIN "*"

struct request_context;
struct response;
struct db_statement_def;

/* Whether the path is under the find API's base. */
int find_cors_path(const char *path);
/* Answer an OPTIONS request on a find path (allowed or refused). */
void find_cors_preflight(struct request_context *context);
/* Access-Control-* headers of an actual response to an allowed origin. */
void find_cors_allow(struct response *response, const char *origin);
const struct db_statement_def *find_cors_statement_table(size_t *count);

#endif
