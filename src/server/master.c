/* Master loop: spawn, reap, respawn with back-off, reload by generations,
 * reopen log files on SIGUSR1 (its own, then each worker's), drain on
 * SIGTERM with a deadline. Under systemd (Type=notify) it reports ready once
 * the socket listens and the database answers, and says when it reloads
 * and stops. */
#include "server/master.h"
#include "auth/hash_slots.h"
#include "auth/jwt.h"
#include "flow/registry.h"
#include "core/log.h"
#include "db/db.h"
#include "server/keys.h"
#include "server/notify.h"
#include "server/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef INTUKA_LEAK_CHECK
#include <sanitizer/lsan_interface.h>
#endif

#define MASTER_MAX_PROCESSES 1024 /* two generations of the largest pool, with room */
#define MASTER_QUICK_DEATH_MS 1000
#define MASTER_BACKOFF_MAX_MS 5000

struct worker_slot {
	pid_t pid; /* 0 = free */
	unsigned generation;
	long long started_ms;
};

struct master_state {
	struct worker_slot slots[MASTER_MAX_PROCESSES];
	unsigned generation;
	unsigned quick_deaths; /* consecutive early deaths: drives the back-off */
	long long next_spawn_ms;
	int draining;
	long long drain_deadline_ms;
	int fatal;
	int ready;                  /* the service manager was told READY=1 */
	long long next_ready_check_ms;
	int ready_failures;         /* database checks that failed before readiness */
};

static volatile sig_atomic_t master_got_child;
static volatile sig_atomic_t master_got_reload;
static volatile sig_atomic_t master_got_stop;
static volatile sig_atomic_t master_got_alarm;
static volatile sig_atomic_t master_got_reopen;

static void master_on_signal(int signal_number)
{
	switch (signal_number) {
	case SIGCHLD:
		master_got_child = 1;
		break;
	case SIGHUP:
		master_got_reload = 1;
		break;
	case SIGALRM:
		master_got_alarm = 1;
		break;
	case SIGUSR1:
		master_got_reopen = 1;
		break;
	default:
		master_got_stop = 1;
		break;
	}
}

static long long master_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static const int master_signals[] = {SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGALRM, SIGUSR1};
#define MASTER_SIGNAL_COUNT (sizeof(master_signals) / sizeof(master_signals[0]))

static int master_install_signals(sigset_t *previous_mask)
{
	sigset_t blocked;
	sigemptyset(&blocked);
	for (size_t i = 0; i < MASTER_SIGNAL_COUNT; i++)
		sigaddset(&blocked, master_signals[i]);
	if (sigprocmask(SIG_BLOCK, &blocked, previous_mask) != 0)
		return -1;
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = master_on_signal;
	sigemptyset(&action.sa_mask);
	action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	for (size_t i = 0; i < MASTER_SIGNAL_COUNT; i++)
		if (sigaction(master_signals[i], &action, NULL) != 0)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* In the child: default dispositions and the mask the master started with,
 * except SIGUSR1, which stays blocked until the worker has its own handler:
 * a reopen forwarded in between waits for it instead of killing the worker
 * (SIGUSR1's default action). */
static void master_reset_child_signals(const sigset_t *original_mask)
{
	for (size_t i = 0; i < MASTER_SIGNAL_COUNT; i++)
		if (master_signals[i] != SIGUSR1)
			signal(master_signals[i], SIG_DFL);
	sigset_t child_mask = *original_mask;
	sigaddset(&child_mask, SIGUSR1);
	sigprocmask(SIG_SETMASK, &child_mask, NULL);
}

static size_t master_count(const struct master_state *state, unsigned generation)
{
	size_t count = 0;
	for (size_t i = 0; i < MASTER_MAX_PROCESSES; i++)
		if (state->slots[i].pid != 0 && state->slots[i].generation == generation)
			count++;
	return count;
}

static size_t master_count_all(const struct master_state *state)
{
	size_t count = 0;
	for (size_t i = 0; i < MASTER_MAX_PROCESSES; i++)
		count += state->slots[i].pid != 0;
	return count;
}

static int master_spawn(struct master_state *state, const struct config *config, int listen_fd,
	const sigset_t *original_mask)
{
	size_t free_slot = MASTER_MAX_PROCESSES;
	for (size_t i = 0; i < MASTER_MAX_PROCESSES && free_slot == MASTER_MAX_PROCESSES; i++)
		if (state->slots[i].pid == 0)
			free_slot = i;
	if (free_slot == MASTER_MAX_PROCESSES) {
		log_error("master: no free worker slot");
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_error("master: fork failed: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		master_reset_child_signals(original_mask);
		int worker_status = worker_run(config, listen_fd);
#ifdef INTUKA_LEAK_CHECK
		/* A worker leaves with _exit (the master's exit work is not its
		 * own), which skips LeakSanitizer's check at exit: run it here. A
		 * leak ends the worker with LeakSanitizer's report in the log. */
		__lsan_do_leak_check();
#endif
		_exit(worker_status);
	}
	state->slots[free_slot].pid = pid;
	state->slots[free_slot].generation = state->generation;
	state->slots[free_slot].started_ms = master_now_ms();
	log_msg(LOG_LEVEL_DEBUG, NULL, "master: started worker %ld (generation %u)", (long)pid, state->generation);
	return 0;
}

static void master_signal_generation(struct master_state *state, unsigned generation, int signal_number)
{
	for (size_t i = 0; i < MASTER_MAX_PROCESSES; i++)
		if (state->slots[i].pid != 0 && state->slots[i].generation == generation)
			kill(state->slots[i].pid, signal_number);
}

static void master_signal_all(struct master_state *state, int signal_number)
{
	for (size_t i = 0; i < MASTER_MAX_PROCESSES; i++)
		if (state->slots[i].pid != 0)
			kill(state->slots[i].pid, signal_number);
}

static void master_reap(struct master_state *state)
{
	int wait_status;
	pid_t pid;
	while ((pid = waitpid(-1, &wait_status, WNOHANG)) > 0) {
		struct worker_slot *slot = NULL;
		for (size_t i = 0; i < MASTER_MAX_PROCESSES && slot == NULL; i++)
			if (state->slots[i].pid == pid)
				slot = &state->slots[i];
		if (slot == NULL)
			continue;
		long long lived_ms = master_now_ms() - slot->started_ms;
		int current = slot->generation == state->generation;
		slot->pid = 0;
		if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
			/* Recycled after max requests, or retired by a reload/drain. */
			log_msg(LOG_LEVEL_DEBUG, NULL, "master: worker %ld exited after %lld ms", (long)pid, lived_ms);
			state->quick_deaths = 0;
			continue;
		}
		if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == WORKER_EXIT_FATAL) {
			log_error("master: worker %ld cannot start (exit %d); not respawning, shutting down", (long)pid,
				WORKER_EXIT_FATAL);
			state->fatal = 1;
			continue;
		}
		if (WIFSIGNALED(wait_status))
			log_warn("master: worker %ld killed by signal %d after %lld ms%s", (long)pid,
				WTERMSIG(wait_status), lived_ms, current && !state->draining ? "; respawning" : "");
		else
			log_warn("master: worker %ld exited with status %d after %lld ms", (long)pid,
				WEXITSTATUS(wait_status), lived_ms);
		if (lived_ms < MASTER_QUICK_DEATH_MS) {
			/* Crashing at start: wait longer each time instead of fork-looping. */
			if (state->quick_deaths < 16)
				state->quick_deaths++;
			long long delay_ms = 100LL << (state->quick_deaths - 1);
			if (delay_ms > MASTER_BACKOFF_MAX_MS)
				delay_ms = MASTER_BACKOFF_MAX_MS;
			state->next_spawn_ms = master_now_ms() + delay_ms;
		} else {
			state->quick_deaths = 0;
		}
	}
}

/* Readiness: the socket listens already (main opened it); the database must
 * answer too, so that "systemctl start" returning means requests can be
 * served. Until it does, the status line says why and the check is
 * repeated every second; systemd's TimeoutStartSec decides when to give up. */
static void master_check_ready(struct master_state *state, const struct config *config)
{
	struct db *probe = db_new(config);
	enum db_result result = db_ensure_connected(probe);
	char status[600];
	if (result == DB_OK) {
		state->ready = 1;
		snprintf(status, sizeof(status), "READY=1\nSTATUS=serving on %.500s with %d workers", config->listen,
			config->workers);
		if (state->ready_failures > 0)
			log_info("master: the database answers; ready");
	} else {
		state->next_ready_check_ms = master_now_ms() + 1000;
		/* Once at warn level, then quietly: the status line keeps the reason. */
		log_msg(state->ready_failures == 0 ? LOG_LEVEL_WARN : LOG_LEVEL_DEBUG, NULL,
			"master: waiting for the database before reporting ready: %s", db_last_error(probe));
		state->ready_failures++;
		snprintf(status, sizeof(status), "STATUS=waiting for the database: %.500s", db_last_error(probe));
	}
	db_free(probe);
	if (notify_send(status) < 0)
		log_warn("master: cannot notify the service manager (NOTIFY_SOCKET): %s", strerror(errno));
}

/* SIGUSR1 (logrotate's postrotate): the master's file first, then every
 * worker's, which each worker opens again between two requests. */
static void master_reopen_logs(struct master_state *state)
{
	char error[CONFIG_ERROR_MAX];
	if (log_reopen(error, sizeof(error)) != 0)
		log_error("master: cannot reopen the log, still writing to the old one: %s", error);
	else
		log_info("master: log reopened");
	master_signal_all(state, SIGUSR1);
}

static void master_reload_apply(struct master_state *state, const struct master_options *options,
	struct config *config, int listen_fd, const sigset_t *original_mask)
{
	struct config *fresh = malloc(sizeof(*fresh));
	char error[CONFIG_ERROR_MAX];
	if (fresh == NULL || config_load(fresh, options->config_path, error, sizeof(error)) != 0 ||
		registry_prepare(fresh, error, sizeof(error)) != 0) {
		log_error("master: reload refused, keeping the running configuration: %s",
			fresh ? error : "out of memory");
		free(fresh);
		return;
	}
	static struct jwt_keyring keyring;
	if (server_keyring_from_config(fresh, &keyring, error, sizeof(error)) != 0) {
		log_error("master: reload refused, keeping the running configuration: %s", error);
		explicit_bzero(fresh, sizeof(*fresh));
		free(fresh);
		return;
	}
	jwt_keyring_clear(&keyring);
	/* The socket and the identity were fixed at start; say so rather than
	 * pretend they changed. */
	if (strcmp(fresh->listen, config->listen) != 0 || strcmp(fresh->user, config->user) != 0)
		log_warn("master: listen and user changes take effect on restart only");
	memcpy(fresh->listen, config->listen, sizeof(fresh->listen));
	memcpy(fresh->user, config->user, sizeof(fresh->user));
	fresh->listen_backlog = config->listen_backlog;
	fresh->socket_mode = config->socket_mode;
	*config = *fresh;
	explicit_bzero(fresh, sizeof(*fresh));
	free(fresh);

	/* A log file that cannot be opened leaves logging as it was (the
	 * workers of the new generation inherit it); the rest still applies. */
	if (log_configure(config->log_target, config->log_level, config->log_file, "intukad", error, sizeof(error)) != 0)
		log_error("master: reload: logging unchanged: %s", error);

	/* New generation first, then retire the old one: there is never a
	 * moment with nobody accepting, and old workers finish what they hold. */
	unsigned old_generation = state->generation++;
	state->quick_deaths = 0;
	state->next_spawn_ms = 0;
	for (int i = 0; i < config->workers; i++)
		master_spawn(state, config, listen_fd, original_mask);
	master_signal_generation(state, old_generation, SIGTERM);
	log_info("master: configuration reloaded; generation %u serving with %d workers", state->generation,
		config->workers);
}

static void master_reload(struct master_state *state, const struct master_options *options, struct config *config,
	int listen_fd, const sigset_t *original_mask)
{
	notify_send("RELOADING=1");
	master_reload_apply(state, options, config, listen_fd, original_mask);
	/* Back to ready whatever happened: a refused reload keeps the running
	 * configuration serving. */
	if (state->ready)
		notify_send("READY=1");
}

int master_run(const struct master_options *options, struct config *config)
{
	static struct master_state state; /* large; not on the stack */
	memset(&state, 0, sizeof(state));
	sigset_t original_mask;
	if (master_install_signals(&original_mask) != 0) {
		log_error("master: cannot install signal handlers: %s", strerror(errno));
		return 1;
	}
	int listen_fd = options->listen_fd;
	/* Set once: a reload keeps the cap its first configuration gave. */
	int hash_slots = config->password_hash_concurrency > 0 ? config->password_hash_concurrency
							       : (config->workers + 1) / 2;
	hash_slots_create(hash_slots);
	for (int i = 0; i < config->workers; i++)
		master_spawn(&state, config, listen_fd, &original_mask);
	log_info("master: serving on %s with %d workers", listen_fd == 0 ? "inherited socket (fd 0)" : config->listen,
		config->workers);

	sigset_t wait_mask = original_mask;
	for (size_t i = 0; i < MASTER_SIGNAL_COUNT; i++)
		sigdelset(&wait_mask, master_signals[i]);

	for (;;) {
		if (master_got_child) {
			master_got_child = 0;
			master_reap(&state);
		}
		if (state.fatal && !state.draining)
			master_got_stop = 1;
		if (master_got_stop && !state.draining) {
			master_got_stop = 0;
			notify_send("STOPPING=1");
			state.draining = 1;
			state.drain_deadline_ms = master_now_ms() + (long long)config->shutdown_timeout_s * 1000;
			log_info("master: draining %zu workers (deadline %d s)", master_count_all(&state),
				config->shutdown_timeout_s);
			master_signal_all(&state, SIGTERM);
		}
		if (master_got_reload) {
			master_got_reload = 0;
			if (!state.draining)
				master_reload(&state, options, config, listen_fd, &original_mask);
		}
		if (master_got_reopen) {
			master_got_reopen = 0;
			master_reopen_logs(&state);
		}
		master_got_alarm = 0;
		long long now_ms = master_now_ms();
		if (state.draining) {
			if (master_count_all(&state) == 0)
				break;
			if (now_ms >= state.drain_deadline_ms) {
				log_warn("master: drain deadline passed; killing %zu workers", master_count_all(&state));
				master_signal_all(&state, SIGKILL);
				state.drain_deadline_ms = now_ms + 60 * 1000; /* only kill once; reap follows */
			}
		} else {
			if (now_ms >= state.next_spawn_ms) {
				while (master_count(&state, state.generation) < (size_t)config->workers)
					if (master_spawn(&state, config, listen_fd, &original_mask) != 0) {
						state.next_spawn_ms = now_ms + MASTER_BACKOFF_MAX_MS;
						break;
					}
			}
			if (!state.ready && now_ms >= state.next_ready_check_ms)
				master_check_ready(&state, config);
		}
		/* Wake up for timers: a pending respawn, the drain deadline, or the
		 * next database check before readiness. */
		int need_timer = state.draining || !state.ready ||
			master_count(&state, state.generation) < (size_t)config->workers;
		alarm(need_timer ? 1 : 0);
		if (!master_got_child && !master_got_reload && !master_got_stop && !master_got_alarm && !master_got_reopen)
			sigsuspend(&wait_mask);
	}
	alarm(0);
	hash_slots_destroy();
	log_info("master: all workers stopped; exiting");
	return state.fatal ? 1 : 0;
}
