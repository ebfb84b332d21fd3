/* Find content documents: what a product, post or taxonomy sent by a client
 * must look like, and the column values (text, prices, term lists) the
 * search tables index. Pure: no database, so every rule is unit-tested. */
#ifndef INTUKA_MODULES_FIND_DOCUMENTS_H
#define INTUKA_MODULES_FIND_DOCUMENTS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

enum find_entity_kind { FIND_PRODUCT, FIND_POST, FIND_TAXONOMY, FIND_ENTITY__MAX };

/* The term lists filters and facets read (find_terms.facet). */
enum find_facet { FIND_FACET_CATEGORIES, FIND_FACET_TAGS, FIND_FACET_BRANDS, FIND_FACET__MAX };

/* Text columns; "" when the document has no such field. */
enum find_text_column {
	FIND_TEXT_TITLE, /* products and taxonomies: name; posts: title */
	FIND_TEXT_CONTENT,
	FIND_TEXT_EXCERPT,
	FIND_TEXT_SKU,
	FIND_TEXT_STOCK_STATUS,
	FIND_TEXT_STATUS,
	FIND_TEXT_URL,
	FIND_TEXT_AUTHOR_NAME,
	FIND_TEXT_SLUG,
	FIND_TEXT_TAXONOMY_NAME,
	FIND_TEXT_PARENT,
	FIND_TEXT__MAX
};

enum find_number_column { FIND_NUMBER_PRICE, FIND_NUMBER_SALE_PRICE, FIND_NUMBER_REGULAR_PRICE, FIND_NUMBER_RATING, FIND_NUMBER__MAX };

#define FIND_ID_MAX_CHARS 191
#define FIND_TERM_MAX_CHARS 191
#define FIND_TERMS_PER_FACET_MAX 50
#define FIND_DOCUMENT_MAX_BYTES (64 * 1024)
#define FIND_PRICE_MAX 99999999999.0 /* DECIMAL(15,4) */
#define FIND_RATING_MAX 999.0        /* DECIMAL(5,2) */

#define FIND_ERRORS_MAX 16
struct find_field_error {
	char field[48];
	char message[160];
};
/* Every failing field of one document (or request), in order found. */
struct find_errors {
	size_t count;
	struct find_field_error items[FIND_ERRORS_MAX];
};

void find_errors_add(struct find_errors *errors, const char *field, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
/* "name: is required; price: must be a number >= 0" for a bulk failedItems error. */
void find_errors_summary(const struct find_errors *errors, char *out, size_t out_size);

struct find_term_list {
	size_t count;
	const char *terms[FIND_TERMS_PER_FACET_MAX]; /* point into the document */
};

/* Column values of one validated document. Strings point into the JSON
 * object it was read from (valid while that object lives); the joined
 * texts, the term rows and the serialized document are owned here and
 * released by find_columns_release. */
struct find_columns {
	enum find_entity_kind kind;
	const char *id;
	const char *text[FIND_TEXT__MAX];
	int has_number[FIND_NUMBER__MAX];
	double number[FIND_NUMBER__MAX];
	char number_text[FIND_NUMBER__MAX][32]; /* "%.4f", bound as text for DECIMAL columns */
	int on_sale;
	struct find_term_list terms[FIND_FACET__MAX];
	char *joined_terms[FIND_FACET__MAX]; /* "a | b", for FULLTEXT */
	char *term_rows;                     /* [["categories","a"],…] for one batched INSERT */
	char *document;                      /* the stored JSON text */
	size_t document_length;
};

/* Singular and plural names: "product", "products", "Product". */
const char *find_entity_singular(enum find_entity_kind kind);
const char *find_entity_plural(enum find_entity_kind kind);
const char *find_entity_title(enum find_entity_kind kind);
const char *find_facet_name(enum find_facet facet);
/* Whether the entity has that term list (brands: products only; taxonomies: none). */
int find_entity_has_facet(enum find_entity_kind kind, enum find_facet facet);

/* Validates entity (a JSON object) and fills columns. The object is
 * normalized in place (a numeric id becomes a string, a single term string
 * becomes a one-item array) so the stored document reads back the same way.
 * Returns 0, or -1 with every failure in errors (columns then released). */
int find_document_parse(enum find_entity_kind kind, json_object *entity, struct find_columns *columns,
	struct find_errors *errors);
void find_columns_release(struct find_columns *columns);

/* An id as the API accepts it: 1-191 characters, valid UTF-8 assumed, no
 * control characters. */
int find_id_valid(const char *id);
/* Characters (not bytes) of a UTF-8 string. */
size_t find_utf8_chars(const char *text);
/* Longest prefix of text with at most max_bytes bytes that ends on a
 * character boundary. */
size_t find_utf8_prefix(const char *text, size_t max_bytes);

/* The indexing cap decision: may a new row be added when live_rows_after
 * rows would then exist and the plan allows cap? A cap of 0 means none may. */
int find_cap_allows(int64_t live_rows_after, uint32_t cap);

#endif
