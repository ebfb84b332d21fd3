/* What semantic ranking decides without I/O: vectors packed for storage
 * (float32 little-endian), cosine similarity, the hybrid score that mixes a
 * text score with a similarity, the re-ranking of a candidate list, the
 * content hash that says whether a text changed, the /embeddings request
 * and answer, and the retry schedule of the embedding queue. */
#ifndef INTUKA_FIND_EMBEDDING_H
#define INTUKA_FIND_EMBEDDING_H

#include <stddef.h>
#include <stdint.h>

/* Larger vectors are refused (text-embedding-3-large has 3072). */
#define EMBEDDING_DIMENSION_MAX 4096
/* Text given to the model for one document, bytes (cut at a UTF-8 boundary). */
#define EMBEDDING_TEXT_MAX 4000
#define EMBEDDING_HASH_LENGTH 16 /* hex characters */

/* The hybrid score: weights of the text score (normalized to the best
 * candidate's) and of the cosine similarity (negative ones count as 0). */
#define EMBEDDING_WEIGHT_TEXT 0.4
#define EMBEDDING_WEIGHT_SEMANTIC 0.6

/* The queue's retries: a failed document is tried again after
 * EMBEDDING_RETRY_BASE_S * 2^(attempts-1) seconds (capped at
 * EMBEDDING_RETRY_MAX_S), and given up after EMBEDDING_ATTEMPTS_MAX. */
#define EMBEDDING_RETRY_BASE_S 10
#define EMBEDDING_RETRY_MAX_S 3600
#define EMBEDDING_ATTEMPTS_MAX 6

/* Packs dimension floats into out (4 * dimension bytes). */
void embedding_encode(const float *vector, size_t dimension, unsigned char *out);
/* Unpacks length bytes into out (room for max_dimension floats); the
 * dimension, or 0 when length is not a whole, non-empty, bounded vector. */
size_t embedding_decode(const unsigned char *data, size_t length, float *out, size_t max_dimension);

/* Cosine similarity in [-1, 1]; 0 when either vector is all zeros. */
double embedding_cosine(const float *a, const float *b, size_t dimension);

/* text_normalized in [0, 1] (a candidate's text score over the best one's).
 * A candidate without a vector keeps its text score: its hybrid score is
 * text_normalized, as if its similarity matched its text score. */
double embedding_hybrid_score(double text_normalized, int has_vector, double cosine);

struct embedding_candidate {
	uint32_t doc;
	double text_score;   /* the text search's score */
	int has_vector;
	double cosine;       /* with the query, when has_vector */
	double hybrid_score; /* set by embedding_rerank */
};

/* Sets every hybrid score and sorts the candidates best first (ties keep
 * the text order). */
void embedding_rerank(struct embedding_candidate *candidates, size_t count);

/* The hex hash (EMBEDDING_HASH_LENGTH characters + NUL) of the model and
 * the text: FNV-1a 64-bit, a change detector, not a secret. */
void embedding_content_hash(const char *model, const char *text, size_t text_length, char *out);

/* Cuts text at max_bytes without splitting a UTF-8 character; the new length. */
size_t embedding_text_cut(const char *text, size_t length, size_t max_bytes);

/* The /embeddings request body: {"model", "input": [texts]} (caller frees). */
char *embedding_request_json(const char *model, const char *const *texts, const size_t *lengths, size_t count);

/* Reads an /embeddings answer for count inputs: every data[i].embedding
 * (placed by its index), all of one dimension. 0 with *vectors
 * (count * *dimension floats, caller frees) or -1 with why. */
int embedding_parse_answer(const char *answer, size_t count, float **vectors, size_t *dimension, char *why,
	size_t why_size);

/* Seconds before the next attempt after `attempts` failures, or -1 when
 * the document is given up. */
int embedding_retry_delay_s(unsigned attempts);

#endif
