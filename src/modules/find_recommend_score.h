/* The pure part of product recommendations: reading the request (count,
 * exclusions, productFilter, the SDK's userId, weights, basketAffinity and
 * complimentaryProducts), scoring candidates by what they share with the
 * source product, ranking them and deciding on the fallback. The module
 * (find_recommend.c) gathers the numbers from the database. */
#ifndef INTUKA_MODULES_FIND_RECOMMEND_SCORE_H
#define INTUKA_MODULES_FIND_RECOMMEND_SCORE_H

#include <stddef.h>

#include <json-c/json.h>

#define FIND_RECOMMEND_DEFAULT_COUNT 5
#define FIND_RECOMMEND_MAX_COUNT 50
#define FIND_RECOMMEND_MAX_EXCLUDED 100
#define FIND_RECOMMEND_FILTER_TERMS_MAX 50
#define FIND_RECOMMEND_ID_MAX 191
/* Threads a pair must share for co-occurrence to count in full (and threads
 * of the visitor a product must have been shown in, for memory). */
#define FIND_RECOMMEND_COOCCURRENCE_SATURATION 3
#define FIND_RECOMMEND_MAX_BASKET 50
#define FIND_RECOMMEND_MAX_COMPLEMENTARY 50
#define FIND_RECOMMEND_MAX_FREQUENCY 1000000.0
#define FIND_RECOMMEND_MAX_WEIGHT 1000.0

/* The signals a candidate is scored on; the first three are find_terms
 * facets. Co-occurrence is threads that showed both products plus the
 * client's basketAffinity frequency; memory is threads of the request's
 * userId (the thread's visitor) that showed the candidate. */
enum find_signal {
	FIND_SIGNAL_CATEGORIES,
	FIND_SIGNAL_TAGS,
	FIND_SIGNAL_BRANDS,
	FIND_SIGNAL_COOCCURRENCE,
	FIND_SIGNAL_MEMORY,
	FIND_SIGNAL__MAX
};
#define FIND_SIGNAL_TERM_FACETS 3

/* "categories", "tags", "brands", "cooccurrence", "memory": strategy and weight names. */
const char *find_signal_name(enum find_signal signal);
/* What a recommendation's reasons say: "shared_categories", ... "viewed_together", "seen_by_visitor". */
const char *find_signal_reason(enum find_signal signal);

struct find_recommend_weights {
	double weight[FIND_SIGNAL__MAX];
};
/* categories 0.35, tags 0.2, brands 0.25, cooccurrence 0.2, memory 0: they
 * sum to 1, so scores lie in [0, 1]. */
extern const struct find_recommend_weights find_recommend_default_weights;

/* The SDK's weight groups: similarProducts spreads over the term signals
 * in the default proportions, basketAffinity is co-occurrence, memoryBased
 * is memory. */
enum find_weight_group { FIND_WEIGHT_SIMILAR, FIND_WEIGHT_BASKET, FIND_WEIGHT_MEMORY, FIND_WEIGHT__GROUPS };
/* "similarProducts", "basketAffinity", "memoryBased". */
const char *find_weight_group_name(enum find_weight_group group);

/* How many terms the source product has in each facet; semantic: the
 * product has a vector and the candidates' similarities are set. */
struct find_recommend_source {
	unsigned term_count[FIND_SIGNAL_TERM_FACETS];
	int semantic;
};

/* With a vector, a candidate's score is (1 - this) times its signals' score
 * plus this times its cosine similarity to the product (negative counts 0),
 * and a similarity above 0 is a reason (bit FIND_RECOMMEND_REASON_SEMANTIC). */
#define FIND_RECOMMEND_SEMANTIC_WEIGHT 0.5
#define FIND_RECOMMEND_REASON_SEMANTIC (1u << (FIND_SIGNAL__MAX + 1))

struct find_recommend_candidate {
	const char *product_id; /* borrowed */
	unsigned shared[FIND_SIGNAL__MAX]; /* shared terms per facet; threads shown together; the visitor's threads */
	double basket_frequency; /* basketAffinity's frequency, added to the threads shown together */
	double similarity; /* cosine with the source's vector, when source->semantic */
	unsigned complementary_rank; /* 1-based place in complimentaryProducts; 0 when not listed */
	int passes_filter; /* the product exists in the workspace and meets productFilter */
	void *user_data;   /* travels with the candidate through ranking */
	double score;      /* set by find_recommend_rank */
	unsigned reasons;  /* bit (1u << signal) for each signal that contributed */
};

/* Each term signal is the share of the source's terms the candidate has
 * (2 of 4 categories = 0.5); co-occurrence is threads together plus the
 * basket frequency over the saturation, memory the visitor's threads over
 * the saturation, both capped at 1. The score is their weighted sum, 4
 * decimals. */
double find_recommend_score(const struct find_recommend_candidate *candidate,
	const struct find_recommend_source *source, const struct find_recommend_weights *weights, unsigned *reasons);

/* Scores every candidate, keeps those that pass the filter, are neither the
 * source nor excluded and score above 0 or are listed complementary, and
 * moves them to the front in order: complementary ones first in the order
 * listed, then score descending, then product id ascending (the same answer
 * whatever order the database returned rows in). Returns how many qualify. */
size_t find_recommend_rank(struct find_recommend_candidate *candidates, size_t count,
	const struct find_recommend_source *source, const struct find_recommend_weights *weights,
	const char *source_id, const char *const *excluded_ids, size_t excluded_count);

/* The fallback (most recently updated products) answers when no candidate qualifies. */
int find_recommend_needs_fallback(size_t qualifying_count);

/* productFilter, read into bindable values. Term lists stay JSON arrays
 * (text owned by the request body) so one statement binds any length. */
struct find_product_filter {
	const char *terms_json[FIND_SIGNAL_TERM_FACETS]; /* NULL: no condition */
	int on_sale; /* -1: any */
	const char *stock_status; /* NULL: any */
	int has_min_price, has_max_price;
	char min_price_text[32], max_price_text[32]; /* "%.4f" for DECIMAL comparison */
};

struct find_recommend_basket_item {
	const char *product_id;
	double frequency;
};

struct find_recommend_request {
	const char *product_id;
	int max_recommendations;
	const char *excluded_ids[FIND_RECOMMEND_MAX_EXCLUDED];
	size_t excluded_count;
	struct find_product_filter filter;
	const char *user_id; /* NULL: no memory signal */
	int has_weight[FIND_WEIGHT__GROUPS];
	double weight[FIND_WEIGHT__GROUPS]; /* as sent, before normalising */
	struct find_recommend_basket_item basket[FIND_RECOMMEND_MAX_BASKET];
	size_t basket_count;
	const char *complementary_ids[FIND_RECOMMEND_MAX_COMPLEMENTARY];
	size_t complementary_count;
};

/* Reads a body the input spec has checked for the members it declares;
 * every member is checked here too (unknown ones refused), with
 * productFilter, weights and basketAffinity item by item: on failure
 * returns -1 with the field ("weights.memoryBased") and the issue. Strings
 * point into body. */
int find_recommend_parse(json_object *body, struct find_recommend_request *request, char *bad_field,
	size_t bad_field_size, char *issue, size_t issue_size);

/* The weights a request scores with: the SDK groups default to
 * similarProducts 0.8, basketAffinity 0.2, memoryBased 0.2 with a userId
 * (0 without), the client's values replace those it sends, and the groups
 * are normalised to sum 1 and spread over the signals. groups receives the
 * normalised group weights. Returns 0, or -1 when every weight is 0. */
int find_recommend_effective_weights(const struct find_recommend_request *request,
	struct find_recommend_weights *weights, double groups[FIND_WEIGHT__GROUPS]);

#endif
