/* Vectors, similarity, hybrid score and the /embeddings wire format. */
#include "find/embedding.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

void embedding_encode(const float *vector, size_t dimension, unsigned char *out)
{
	for (size_t i = 0; i < dimension; i++) {
		uint32_t bits;
		memcpy(&bits, &vector[i], sizeof(bits));
		/* Little-endian whatever the host: a dump moves between machines. */
		out[4 * i] = (unsigned char)(bits & 0xff);
		out[4 * i + 1] = (unsigned char)((bits >> 8) & 0xff);
		out[4 * i + 2] = (unsigned char)((bits >> 16) & 0xff);
		out[4 * i + 3] = (unsigned char)((bits >> 24) & 0xff);
	}
}

size_t embedding_decode(const unsigned char *data, size_t length, float *out, size_t max_dimension)
{
	if (data == NULL || length == 0 || length % 4 != 0 || length / 4 > max_dimension)
		return 0;
	size_t dimension = length / 4;
	for (size_t i = 0; i < dimension; i++) {
		uint32_t bits = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 | (uint32_t)data[4 * i + 2] << 16 |
			(uint32_t)data[4 * i + 3] << 24;
		memcpy(&out[i], &bits, sizeof(bits));
		if (!isfinite(out[i]))
			return 0;
	}
	return dimension;
}

double embedding_cosine(const float *a, const float *b, size_t dimension)
{
	double dot = 0, norm_a = 0, norm_b = 0;
	for (size_t i = 0; i < dimension; i++) {
		dot += (double)a[i] * b[i];
		norm_a += (double)a[i] * a[i];
		norm_b += (double)b[i] * b[i];
	}
	if (norm_a <= 0 || norm_b <= 0)
		return 0;
	double cosine = dot / (sqrt(norm_a) * sqrt(norm_b));
	return cosine > 1 ? 1 : cosine < -1 ? -1 : cosine;
}

double embedding_hybrid_score(double text_normalized, int has_vector, double cosine)
{
	if (!has_vector)
		return text_normalized;
	return EMBEDDING_WEIGHT_TEXT * text_normalized + EMBEDDING_WEIGHT_SEMANTIC * (cosine > 0 ? cosine : 0);
}

void embedding_rerank(struct embedding_candidate *candidates, size_t count)
{
	double best = 0;
	for (size_t i = 0; i < count; i++)
		if (candidates[i].text_score > best)
			best = candidates[i].text_score;
	for (size_t i = 0; i < count; i++)
		candidates[i].hybrid_score = embedding_hybrid_score(best > 0 ? candidates[i].text_score / best : 0,
			candidates[i].has_vector, candidates[i].cosine);
	/* Insertion sort: at most a few dozen candidates, and it is stable. */
	for (size_t i = 1; i < count; i++) {
		struct embedding_candidate moving = candidates[i];
		size_t j = i;
		while (j > 0 && candidates[j - 1].hybrid_score < moving.hybrid_score) {
			candidates[j] = candidates[j - 1];
			j--;
		}
		candidates[j] = moving;
	}
}

void embedding_content_hash(const char *model, const char *text, size_t text_length, char *out)
{
	uint64_t hash = 1469598103934665603ULL;
	for (const char *p = model; *p != '\0'; p++)
		hash = (hash ^ (unsigned char)*p) * 1099511628211ULL;
	hash = (hash ^ 0) * 1099511628211ULL; /* the model ends here */
	for (size_t i = 0; i < text_length; i++)
		hash = (hash ^ (unsigned char)text[i]) * 1099511628211ULL;
	snprintf(out, EMBEDDING_HASH_LENGTH + 1, "%016llx", (unsigned long long)hash);
}

size_t embedding_text_cut(const char *text, size_t length, size_t max_bytes)
{
	if (length <= max_bytes)
		return length;
	size_t cut = max_bytes;
	while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
		cut--;
	return cut;
}

char *embedding_request_json(const char *model, const char *const *texts, const size_t *lengths, size_t count)
{
	json_object *request = json_object_new_object();
	json_object_object_add(request, "model", json_object_new_string(model));
	json_object *input = json_object_new_array();
	for (size_t i = 0; i < count; i++)
		json_object_array_add(input, json_object_new_string_len(texts[i], (int)lengths[i]));
	json_object_object_add(request, "input", input);
	char *body = xstrdup(json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN));
	json_object_put(request);
	return body;
}

int embedding_parse_answer(const char *answer, size_t count, float **vectors, size_t *dimension, char *why,
	size_t why_size)
{
	*vectors = NULL;
	*dimension = 0;
	json_object *root = json_tokener_parse(answer);
	json_object *data = NULL;
	if (root == NULL || !json_object_object_get_ex(root, "data", &data) ||
		!json_object_is_type(data, json_type_array) || json_object_array_length(data) != count) {
		snprintf(why, why_size, "the answer has no data array of %zu vectors", count);
		json_object_put(root);
		return -1;
	}
	float *out = NULL;
	unsigned char *seen = xcalloc(count ? count : 1, 1);
	int status = 0;
	for (size_t i = 0; i < count && status == 0; i++) {
		json_object *item = json_object_array_get_idx(data, i), *embedding = NULL, *index = NULL;
		size_t at = i;
		if (json_object_object_get_ex(item, "index", &index) && json_object_is_type(index, json_type_int)) {
			int64_t value = json_object_get_int64(index);
			at = value >= 0 && (uint64_t)value < count ? (size_t)value : count;
		}
		if (at >= count || seen[at] || !json_object_object_get_ex(item, "embedding", &embedding) ||
			!json_object_is_type(embedding, json_type_array)) {
			snprintf(why, why_size, "vector %zu is missing or repeated", i);
			status = -1;
			break;
		}
		seen[at] = 1;
		size_t length = json_object_array_length(embedding);
		if (length == 0 || length > EMBEDDING_DIMENSION_MAX || (out != NULL && length != *dimension)) {
			snprintf(why, why_size, "vector %zu has %zu dimensions", i, length);
			status = -1;
			break;
		}
		if (out == NULL) {
			*dimension = length;
			out = xcalloc(count * length, sizeof(*out));
		}
		for (size_t k = 0; k < length; k++) {
			json_object *number = json_object_array_get_idx(embedding, k);
			if (!json_object_is_type(number, json_type_double) && !json_object_is_type(number, json_type_int)) {
				snprintf(why, why_size, "vector %zu holds a non-number", i);
				status = -1;
				break;
			}
			double value = json_object_get_double(number);
			if (!isfinite(value)) {
				snprintf(why, why_size, "vector %zu holds a non-finite number", i);
				status = -1;
				break;
			}
			out[at * length + k] = (float)value;
		}
	}
	free(seen);
	json_object_put(root);
	if (status != 0) {
		free(out);
		*dimension = 0;
		return -1;
	}
	*vectors = out;
	return 0;
}

int embedding_retry_delay_s(unsigned attempts)
{
	if (attempts >= EMBEDDING_ATTEMPTS_MAX)
		return -1;
	long delay = EMBEDDING_RETRY_BASE_S;
	for (unsigned i = 1; i < attempts && delay < EMBEDDING_RETRY_MAX_S; i++)
		delay *= 2;
	return delay > EMBEDDING_RETRY_MAX_S ? EMBEDDING_RETRY_MAX_S : (int)delay;
}
