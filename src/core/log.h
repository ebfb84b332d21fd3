/* Logging: one JSON object per line on stderr, in a file of our own or to
 * syslog, so a sysadmin can read it with tail and a machine can parse it.
 * Never pass a secret here. */
#ifndef INTUKA_CORE_LOG_H
#define INTUKA_CORE_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG, LOG_LEVEL__MAX };
enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG, LOG_TARGET_FILE, LOG_TARGET__MAX };

struct access_record {
	const char *request_id;
	const char *method;
	const char *path;
	const char *tenant_slug; /* NULL before tenant resolution */
	int http_status;
	double duration_ms;
	size_t response_bytes;
	uint64_t db_round_trips; /* MariaDB round trips made while serving the request */
};

void log_init(enum log_target target, enum log_level level, const char *program_name);
/* log_init for a configuration's log_target, log_level and log_file. For the
 * file target the file is opened (O_APPEND, created 0640) onto stderr, so
 * whatever else writes to stderr (a library, a sanitizer report) lands there
 * too. Returns 0, or -1 with the reason in error; logging is unchanged then. */
int log_configure(const char *target_text, const char *level_text, const char *file_path, const char *program_name,
	char *error, size_t error_size);
/* Opens the log file again by its name (after logrotate moved it away) and
 * reconnects to syslog; nothing to do for stderr. On failure the old file
 * stays in use and -1 comes back with the reason in error. */
int log_reopen(char *error, size_t error_size);
int log_level_parse(const char *text, enum log_level *level);
int log_target_parse(const char *text, enum log_target *target);
/* A worker serves one request at a time: a line logged with no request id
 * while it does (the database layer's failover and conflict warnings) names
 * the request from this buffer, the request's own id field, empty between
 * requests. NULL unbinds. */
void log_bind_request_id(const char *request_id_buffer);
/* request_id may be NULL outside a request. */
void log_msg(enum log_level level, const char *request_id, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
void log_access(const struct access_record *record);
/* Appends text to out as the inside of a JSON string; returns bytes written
 * (always NUL-terminated, truncated to fit). Exposed for tests. */
size_t log_json_escape(char *out, size_t out_size, const char *text);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, NULL, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, NULL, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, NULL, __VA_ARGS__)

#endif
