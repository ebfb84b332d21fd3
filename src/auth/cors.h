/* CORS for routes open to browsers: those that accept publishable keys.
 * Browsers call them from the origins registered on those keys, or from any
 * origin with a key made without origins. A preflight carries no key, so it
 * is answered when the route it asks about accepts publishable keys and some
 * active publishable key registers the origin, or some active one has no
 * origins at all (it may be used from this origin; the request itself
 * decides). */
#ifndef INTUKA_AUTH_CORS_H
#define INTUKA_AUTH_CORS_H

#include <stddef.h>

/* The stored origin of a publishable key made without origins: it matches
 * every preflight, and is no origin a browser can send. */
#define CORS_ANY_ORIGIN "*"

struct db;
struct db_statement_def;
struct request;
struct response;
struct route_table;

enum cors_verdict {
	CORS_ALLOWED,
	CORS_NO_ORIGIN,      /* no http(s) Origin header */
	CORS_NOT_FOR_BROWSERS, /* the method and path asked for take no publishable key */
	CORS_ORIGIN_UNKNOWN, /* no active publishable key may be used from this origin */
	CORS_DB_UNAVAILABLE,
	CORS_DB_ERROR,
};

/* The answer to an OPTIONS request (Origin, Access-Control-Request-Method)
 * against the given route tables. */
enum cors_verdict cors_preflight(struct db *db, const struct request *request, const struct route_table *const *tables,
	size_t table_count);
/* Why a verdict refuses, for the answer's detail. */
const char *cors_verdict_reason(enum cors_verdict verdict);
/* The headers of an accepted preflight. */
void cors_preflight_headers(struct response *response, const char *origin);
/* Access-Control-* headers of an actual response to an allowed origin. */
void cors_allow(struct response *response, const char *origin);
const struct db_statement_def *cors_statement_table(size_t *count);

#endif
