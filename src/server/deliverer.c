/* Webhook delivery loop. Signals only set a flag: a delivery in flight is
 * finished (it is bounded by its timeout, at most 30 s), the rest of the
 * batch is given back due now, and the process exits 0. Anything it could
 * not record stays claimed until the lease ends and is then retried: a
 * receiver may see a delivery twice, never zero times, and recognizes
 * repeats by X-Webhook-Id. */
#include "server/deliverer.h"
#include "core/config.h"
#include "core/log.h"
#include "db/db.h"
#include "find/webhook_outbox.h"
#include "find/webhook_target.h"
#include "server/pid_file.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Deliveries of a webhook that is inactive or suspended wait this long
 * before being looked at again (a PUT to active releases them at once). */
#define DELIVERER_HOLD_S 60
#define DELIVERER_PURGE_INTERVAL_S 60
/* After a database error, wait before claiming again (not a busy loop). */
#define DELIVERER_ERROR_PAUSE_MS 2000

static volatile sig_atomic_t deliverer_stop_requested;
static volatile sig_atomic_t deliverer_reopen_requested;

static void deliverer_on_stop_signal(int signal_number)
{
	(void)signal_number;
	deliverer_stop_requested = 1;
}

/* SIGUSR1: open the log file again (logrotate's postrotate). */
static void deliverer_on_reopen_signal(int signal_number)
{
	(void)signal_number;
	deliverer_reopen_requested = 1;
}

static int deliverer_install_signals(void)
{
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = deliverer_on_stop_signal;
	sigemptyset(&action.sa_mask);
	/* No SA_RESTART: a stop request cuts the idle sleep short. */
	if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0)
		return -1;
	/* SA_RESTART: a reopen must not cut a delivery's network calls short. */
	action.sa_handler = deliverer_on_reopen_signal;
	action.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR1, &action, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	return 0;
}

/* Sleeps up to milliseconds; returns early when a stop is requested. */
static void deliverer_sleep_ms(int milliseconds)
{
	struct timespec remaining = {milliseconds / 1000, (long)(milliseconds % 1000) * 1000000L};
	while (!deliverer_stop_requested && nanosleep(&remaining, &remaining) != 0 && errno == EINTR)
		;
}

static void deliverer_send_one(struct db *db, const struct config *config, const struct webhook_claim *claim,
	const char *token)
{
	struct webhook_delivery delivery;
	enum db_result result = webhook_outbox_load(db, claim, token, config->webhook_lease_s, &delivery);
	if (result != DB_OK) {
		log_error("webhook delivery %llu: loading failed: %s", (unsigned long long)claim->delivery_id,
			db_last_error(db));
		webhook_outbox_delivery_free(&delivery);
		return;
	}
	if (!delivery.found) { /* taken over after our lease ended, or deleted with its webhook */
		webhook_outbox_delivery_free(&delivery);
		return;
	}
	struct webhook_outcome outcome;
	if (delivery.webhook_missing) {
		memset(&outcome, 0, sizeof(outcome));
		snprintf(outcome.error, sizeof(outcome.error), "webhook no longer exists");
		delivery.max_attempts = 0; /* fail now, no retry */
	} else if (strcmp(delivery.status, "active") != 0) {
		if (webhook_outbox_release(db, claim, token, DELIVERER_HOLD_S) != DB_OK)
			log_error("webhook delivery %llu: release failed: %s", (unsigned long long)claim->delivery_id,
				db_last_error(db));
		webhook_outbox_delivery_free(&delivery);
		return;
	} else {
		struct webhook_request request = {
			.url = delivery.url,
			.secret = delivery.secret,
			.event = delivery.event,
			.delivery_id = delivery.event_id,
			.headers_json = delivery.headers_json,
			.auth_type = delivery.auth_type,
			.auth_config = delivery.auth_config,
			.body = delivery.body,
			.body_length = delivery.body_length,
			.timeout_ms = delivery.timeout_ms,
			.allow_private_targets = config->webhook_allow_private_targets,
		};
		webhook_send(&request, &outcome);
	}
	const char *final_status = "?";
	result = webhook_outbox_record(db, &delivery, token, &outcome, config->webhook_suspend_after_failures,
		&final_status);
	if (result != DB_OK)
		log_error("webhook delivery %llu: recording the outcome failed (retried after the lease): %s",
			(unsigned long long)delivery.delivery_id, db_last_error(db));
	else
		log_msg(outcome.delivered ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, NULL,
			"webhook delivery %llu tenant %llu webhook %llu event %s attempt %d: HTTP %ld in %lld ms, %s%s%s",
			(unsigned long long)delivery.delivery_id, (unsigned long long)delivery.tenant_id,
			(unsigned long long)delivery.webhook_id, delivery.event, delivery.attempts + 1, outcome.response_code,
			(long long)outcome.response_ms, final_status, outcome.error[0] ? ": " : "", outcome.error);
	webhook_outbox_delivery_free(&delivery);
}

int deliverer_run(const struct config *config, const char *pid_file)
{
	if (deliverer_install_signals() != 0) {
		log_error("webhook deliverer: cannot install signal handlers: %s", strerror(errno));
		return 1;
	}
	if (pid_file != NULL && pid_file_write(pid_file) != 0) {
		log_error("webhook deliverer: cannot write %s: %s", pid_file, strerror(errno));
		return 1;
	}
	struct db *db = db_new(config);
	struct webhook_claim claims[WEBHOOK_OUTBOX_BATCH_MAX];
	time_t last_purge = 0;
	log_info("webhook deliverer started (pid %ld, batch %d, lease %d s, poll %d ms, private targets %s)",
		(long)getpid(), config->webhook_batch_size, config->webhook_lease_s, config->webhook_poll_interval_ms,
		config->webhook_allow_private_targets ? "allowed" : "refused");
	while (!deliverer_stop_requested) {
		if (deliverer_reopen_requested) {
			deliverer_reopen_requested = 0;
			char reopen_error[CONFIG_ERROR_MAX];
			if (log_reopen(reopen_error, sizeof(reopen_error)) != 0)
				log_error("webhook deliverer: cannot reopen the log, still writing to the old one: %s",
					reopen_error);
			else
				log_info("webhook deliverer: log reopened");
		}
		time_t now = time(NULL);
		if (now - last_purge >= DELIVERER_PURGE_INTERVAL_S) {
			uint64_t deleted = 0;
			if (webhook_outbox_purge(db, config->webhook_retention_days, &deleted) == DB_OK) {
				last_purge = now;
				if (deleted > 0)
					log_info("webhook deliverer: purged %llu finished deliveries", (unsigned long long)deleted);
			}
		}
		char token[WEBHOOK_CLAIM_TOKEN_MAX];
		size_t claimed = 0;
		if (webhook_outbox_new_token(token, sizeof(token)) != 0) {
			log_error("webhook deliverer: no randomness for a claim token");
			deliverer_sleep_ms(DELIVERER_ERROR_PAUSE_MS);
			continue;
		}
		enum db_result result = webhook_outbox_claim(db, token, config->webhook_lease_s,
			(size_t)config->webhook_batch_size, claims, &claimed);
		if (result != DB_OK) {
			log_error("webhook deliverer: claiming failed: %s", db_last_error(db));
			deliverer_sleep_ms(DELIVERER_ERROR_PAUSE_MS);
			continue;
		}
		if (claimed == 0) {
			deliverer_sleep_ms(config->webhook_poll_interval_ms);
			continue;
		}
		size_t sent = 0;
		for (; sent < claimed && !deliverer_stop_requested; sent++)
			deliverer_send_one(db, config, &claims[sent], token);
		/* Stopping: what we claimed but did not start goes back, due now. */
		for (size_t i = sent; i < claimed; i++)
			if (webhook_outbox_release(db, &claims[i], token, 0) != DB_OK)
				log_warn("webhook deliverer: delivery %llu stays claimed until its lease ends",
					(unsigned long long)claims[i].delivery_id);
	}
	log_info("webhook deliverer stopping");
	db_free(db);
	if (pid_file != NULL && unlink(pid_file) != 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", pid_file, strerror(errno));
	return 0;
}
