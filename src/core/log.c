/* JSON-lines logger shared by master, workers and the admin tool. */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static enum log_target log_current_target = LOG_TARGET_STDERR;
static enum log_level log_current_level = LOG_LEVEL_INFO;
/* The id of the request a worker is serving, or NULL / "" between requests;
 * per thread, so the worker's sender thread never reads it mid-change. */
static __thread const char *log_bound_request_id;
static const char *log_program_name = "intuka";
/* The file of LOG_TARGET_FILE, kept to open it again on log_reopen. */
static char log_file_path[1024];
/* What stderr was before the log file took its place, for a reload that
 * goes back to log_target = stderr or syslog; -1 while no file did. */
static int log_original_stderr = -1;

static const char *const log_level_names[LOG_LEVEL__MAX] = {"error", "warn", "info", "debug"};
static const int log_syslog_priorities[LOG_LEVEL__MAX] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

void log_init(enum log_target target, enum log_level level, const char *program_name)
{
	if (log_current_target == LOG_TARGET_SYSLOG && target != LOG_TARGET_SYSLOG)
		closelog();
	log_current_target = target;
	log_current_level = level;
	if (target != LOG_TARGET_FILE)
		log_file_path[0] = '\0'; /* nothing to reopen any more */
	log_program_name = program_name;
	if (target == LOG_TARGET_SYSLOG)
		openlog(program_name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Opens path for appending and puts it on stderr (fd 2). */
static int log_open_onto_stderr(const char *path, char *error, size_t error_size)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		snprintf(error, error_size, "log_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fd != STDERR_FILENO) {
		/* dup2 clears FD_CLOEXEC on fd 2: children (mail_command) keep it. */
		int failed = dup2(fd, STDERR_FILENO) < 0;
		int saved_errno = errno;
		close(fd);
		if (failed) {
			snprintf(error, error_size, "log_file %s: dup2: %s", path, strerror(saved_errno));
			return -1;
		}
	}
	return 0;
}

int log_configure(const char *target_text, const char *level_text, const char *file_path, const char *program_name,
	char *error, size_t error_size)
{
	enum log_target target;
	enum log_level level;
	if (log_target_parse(target_text, &target) != 0) {
		snprintf(error, error_size, "log_target: expected stderr, file or syslog, got \"%s\"", target_text);
		return -1;
	}
	if (log_level_parse(level_text, &level) != 0) {
		snprintf(error, error_size, "log_level: expected error, warn, info or debug, got \"%s\"", level_text);
		return -1;
	}
	if (target == LOG_TARGET_FILE) {
		if (file_path == NULL || file_path[0] == '\0' || strlen(file_path) >= sizeof(log_file_path)) {
			snprintf(error, error_size, "log_file: log_target = file needs a path (below %zu bytes)",
				sizeof(log_file_path));
			return -1;
		}
		if (log_file_path[0] == '\0') {
			if (log_original_stderr >= 0)
				close(log_original_stderr);
			log_original_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		}
		if (log_open_onto_stderr(file_path, error, error_size) != 0)
			return -1;
		snprintf(log_file_path, sizeof(log_file_path), "%s", file_path);
	} else {
		if (log_file_path[0] != '\0' && log_original_stderr >= 0 && dup2(log_original_stderr, STDERR_FILENO) < 0) {
			snprintf(error, error_size, "log_target: cannot go back to stderr: %s", strerror(errno));
			return -1;
		}
		log_file_path[0] = '\0';
	}
	log_init(target, level, program_name);
	return 0;
}

int log_reopen(char *error, size_t error_size)
{
	if (log_current_target == LOG_TARGET_SYSLOG) {
		closelog();
		openlog(log_program_name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		return 0;
	}
	if (log_current_target != LOG_TARGET_FILE || log_file_path[0] == '\0')
		return 0;
	return log_open_onto_stderr(log_file_path, error, error_size);
}

int log_level_parse(const char *text, enum log_level *level)
{
	for (int i = 0; i < LOG_LEVEL__MAX; i++) {
		if (strcmp(text, log_level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int log_target_parse(const char *text, enum log_target *target)
{
	if (strcmp(text, "stderr") == 0)
		*target = LOG_TARGET_STDERR;
	else if (strcmp(text, "syslog") == 0)
		*target = LOG_TARGET_SYSLOG;
	else if (strcmp(text, "file") == 0)
		*target = LOG_TARGET_FILE;
	else
		return -1;
	return 0;
}

size_t log_json_escape(char *out, size_t out_size, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	size_t used = 0;
	if (out_size == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		char escaped[7];
		size_t escaped_len;
		if (*p == '"' || *p == '\\') {
			escaped[0] = '\\';
			escaped[1] = (char)*p;
			escaped_len = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			memcpy(escaped, "\\u00", 4);
			escaped[4] = hex[*p >> 4];
			escaped[5] = hex[*p & 0xf];
			escaped_len = 6;
		} else {
			escaped[0] = (char)*p;
			escaped_len = 1;
		}
		if (used + escaped_len >= out_size)
			break;
		memcpy(out + used, escaped, escaped_len);
		used += escaped_len;
	}
	out[used] = '\0';
	return used;
}

static void log_timestamp(char *out, size_t out_size)
{
	/* The date and time to the second change once a second: kept, so a
	 * busy worker formats them once a second, not once a line. */
	static time_t kept_second = -1;
	static char kept_text[24];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != kept_second) {
		struct tm utc;
		gmtime_r(&now.tv_sec, &utc);
		if (strftime(kept_text, sizeof(kept_text), "%Y-%m-%dT%H:%M:%S", &utc) == 0)
			kept_text[0] = '\0';
		kept_second = now.tv_sec;
	}
	long milliseconds = now.tv_nsec / 1000000;
	char fraction[6] = {'.', (char)('0' + milliseconds / 100), (char)('0' + milliseconds / 10 % 10),
		(char)('0' + milliseconds % 10), 'Z', '\0'};
	size_t length = strlen(kept_text);
	if (length + sizeof(fraction) > out_size) {
		out[0] = '\0';
		return;
	}
	memcpy(out, kept_text, length);
	memcpy(out + length, fraction, sizeof(fraction));
}

static void log_emit(enum log_level level, const char *line_body)
{
	if (log_current_target == LOG_TARGET_SYSLOG) {
		syslog(log_syslog_priorities[level], "%s", line_body);
		return;
	}
	char timestamp[40];
	log_timestamp(timestamp, sizeof(timestamp));
	/* One fprintf per line: stderr is unbuffered, and a single write keeps
	 * lines from several workers sharing the file from interleaving. */
	char line[8192];
	int len = snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"level\":\"%s\",\"prog\":\"%s\",\"pid\":%ld,%s}\n",
		timestamp, log_level_names[level], log_program_name, (long)getpid(), line_body);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 2] = '}'; /* truncated: keep the line a closed object */
		line[len - 1] = '\n';
		/* the cut may land inside a string; readers still see where it ends */
	}
	ssize_t ignored = write(STDERR_FILENO, line, (size_t)len);
	(void)ignored; /* nowhere left to report a failed log write */
}

void log_bind_request_id(const char *request_id_buffer)
{
	log_bound_request_id = request_id_buffer;
}

void log_msg(enum log_level level, const char *request_id, const char *format, ...)
{
	if (level > log_current_level)
		return;
	char message[4096];
	va_list args;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);

	char escaped_message[6144];
	log_json_escape(escaped_message, sizeof(escaped_message), message);
	char body[7168];
	if (request_id == NULL && log_bound_request_id != NULL && log_bound_request_id[0] != '\0')
		request_id = log_bound_request_id;
	if (request_id != NULL) {
		char escaped_id[160];
		log_json_escape(escaped_id, sizeof(escaped_id), request_id);
		snprintf(body, sizeof(body), "\"requestId\":\"%s\",\"msg\":\"%s\"", escaped_id, escaped_message);
	} else {
		snprintf(body, sizeof(body), "\"msg\":\"%s\"", escaped_message);
	}
	log_emit(level, body);
}

void log_access(const struct access_record *record)
{
	if (LOG_LEVEL_INFO > log_current_level)
		return;
	char escaped_id[160], escaped_method[40], escaped_path[2200], escaped_tenant[200];
	log_json_escape(escaped_id, sizeof(escaped_id), record->request_id ? record->request_id : "");
	log_json_escape(escaped_method, sizeof(escaped_method), record->method ? record->method : "");
	log_json_escape(escaped_path, sizeof(escaped_path), record->path ? record->path : "");
	char tenant_json[210];
	if (record->tenant_slug != NULL) {
		log_json_escape(escaped_tenant, sizeof(escaped_tenant), record->tenant_slug);
		snprintf(tenant_json, sizeof(tenant_json), "\"%s\"", escaped_tenant);
	} else {
		snprintf(tenant_json, sizeof(tenant_json), "null");
	}
	char body[3072];
	snprintf(body, sizeof(body),
		"\"type\":\"access\",\"requestId\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"tenant\":%s,"
		"\"status\":%d,\"durationMs\":%.3f,\"bytes\":%zu,\"dbRoundTrips\":%llu",
		escaped_id, escaped_method, escaped_path, tenant_json, record->http_status, record->duration_ms,
		record->response_bytes, (unsigned long long)record->db_round_trips);
	log_emit(LOG_LEVEL_INFO, body);
}
