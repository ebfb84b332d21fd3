/* FastCGI framing of finished answers, and the response sender that
 * finishes them when the web server is slow to take them. */
#include "unit_suites.h"
#include "server/fcgi_frame.h"
#include "server/response_sender.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Parses records back: 0 when they are well formed, the stdout content
 * equals expected, an empty stdout record and an end-request close them. */
static int frame_check(const unsigned char *framed, size_t length, uint16_t request_id, const char *expected,
	size_t expected_length)
{
	size_t offset = 0, content_seen = 0;
	int stdout_ended = 0, ended = 0;
	while (offset + 8 <= length && !ended) {
		const unsigned char *header = framed + offset;
		size_t content = ((size_t)header[4] << 8) | header[5];
		size_t padding = header[6];
		if (header[0] != 1 || (((unsigned)header[2] << 8) | header[3]) != request_id ||
			(content + padding) % 8 != 0 || offset + 8 + content + padding > length)
			return -1;
		if (header[1] == 6 && content == 0)
			stdout_ended = 1;
		else if (header[1] == 6) {
			if (stdout_ended || content_seen + content > expected_length ||
				memcmp(framed + offset + 8, expected + content_seen, content) != 0)
				return -1;
			content_seen += content;
		} else if (header[1] == 3 && content == 8) {
			for (size_t i = 0; i < 8; i++)
				if (framed[offset + 8 + i] != 0)
					return -1;
			ended = 1;
		} else
			return -1;
		offset += 8 + content + padding;
	}
	return ended && stdout_ended && content_seen == expected_length && offset == length ? 0 : -1;
}

static void fcgi_frame_round_trips_answers_of_every_size(void)
{
	const size_t sizes[] = {0, 1, 7, 8, 100, 65527, 65528, 65529, 200000, 1000003};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t total = sizes[i], head_length = total < 40 ? total / 2 : 40;
		char *answer = malloc(total + 1);
		for (size_t b = 0; b < total; b++)
			answer[b] = (char)('a' + (b * 7) % 26);
		char *framed = malloc(fcgi_frame_response_size(total));
		size_t framed_length =
			fcgi_frame_response(513, answer, head_length, answer + head_length, total - head_length, framed);
		CU_ASSERT_EQUAL(framed_length, fcgi_frame_response_size(total));
		CU_ASSERT_EQUAL(frame_check((unsigned char *)framed, framed_length, 513, answer, total), 0);
		free(framed);
		free(answer);
	}
}

static int64_t unit_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Reads until end of file; returns bytes read. */
static size_t read_all(int fd, size_t limit, int timeout_ms)
{
	char buffer[65536];
	size_t total = 0;
	for (;;) {
		struct pollfd readable = {.fd = fd, .events = POLLIN};
		if (poll(&readable, 1, timeout_ms) != 1)
			return total;
		ssize_t got = read(fd, buffer, sizeof(buffer));
		if (got <= 0 || total + (size_t)got > limit)
			return total + (got > 0 ? (size_t)got : 0);
		total += (size_t)got;
	}
}

static void response_sender_finishes_an_answer_the_peer_reads_later(void)
{
	int pair[2];
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	struct response_sender *sender = response_sender_start(8 << 20, 4, 5000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sender);
	size_t length = 3 << 20;
	char *bytes = malloc(length);
	memset(bytes, 'x', length);
	int64_t started = unit_now_ms();
	CU_ASSERT_EQUAL(response_sender_take(sender, pair[0], bytes, length, 100, "unit"), 0);
	CU_ASSERT_TRUE(unit_now_ms() - started < 500); /* the hand-over does not wait for the reader */
	/* The sender closes its end when done: the reader sees exactly the rest, then end of file. */
	CU_ASSERT_EQUAL(read_all(pair[1], length, 5000), length - 100);
	response_sender_stop(sender);
	close(pair[1]);
}

static void response_sender_drops_an_unread_answer_at_its_deadline(void)
{
	int pair[2];
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	struct response_sender *sender = response_sender_start(8 << 20, 4, 300);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sender);
	size_t length = 4 << 20;
	char *bytes = malloc(length);
	memset(bytes, 'y', length);
	CU_ASSERT_EQUAL(response_sender_take(sender, pair[0], bytes, length, 0, "unit"), 0);
	usleep(800 * 1000); /* past the deadline, nothing read */
	/* Dropped: what was buffered arrives, then end of file, well short of the whole. */
	size_t got = read_all(pair[1], length, 2000);
	CU_ASSERT_TRUE(got < length);
	response_sender_stop(sender);
	close(pair[1]);
}

static void response_sender_refuses_answers_over_its_bounds(void)
{
	int first[2], second[2];
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, first), 0);
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, second), 0);
	struct response_sender *sender = response_sender_start(1 << 20, 1, 2000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sender);
	char *big = malloc(2 << 20);
	memset(big, 'z', 2 << 20);
	CU_ASSERT_EQUAL(response_sender_take(sender, first[0], big, 2 << 20, 0, "unit"), -1); /* over the bytes */
	CU_ASSERT_EQUAL(response_sender_take(sender, first[0], big, 2 << 20, (1 << 20) + 1, "unit"), 0);
	char *small = malloc(16);
	memset(small, 's', 16);
	CU_ASSERT_EQUAL(response_sender_take(sender, second[0], small, 16, 0, "unit"), -1); /* over the count */
	free(small);
	close(second[0]);
	close(second[1]);
	CU_ASSERT_EQUAL(read_all(first[1], 2 << 20, 3000), (2 << 20) - (1 << 20) - 1);
	response_sender_stop(sender);
	close(first[1]);
}

int register_fcgi_frame_suite(void)
{
	static const struct unit_test tests[] = {
		{"frame_round_trips_answers_of_every_size", fcgi_frame_round_trips_answers_of_every_size},
		{"sender_finishes_an_answer_the_peer_reads_later", response_sender_finishes_an_answer_the_peer_reads_later},
		{"sender_drops_an_unread_answer_at_its_deadline", response_sender_drops_an_unread_answer_at_its_deadline},
		{"sender_refuses_answers_over_its_bounds", response_sender_refuses_answers_over_its_bounds},
	};
	return UNIT_SUITE("fcgi_frame", tests);
}
