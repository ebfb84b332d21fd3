/* CORS for the find API: browsers call it with publishable keys from the
 * origins registered on those keys. A preflight carries no key, so it is
 * answered when some active publishable key registers the origin and the
 * route it asks about accepts publishable keys. */
#ifndef INTUKA_FIND_CORS_H
#define INTUKA_FIND_CORS_H

#include <stddef.h>

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
