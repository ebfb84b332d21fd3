/* The semaphore's id lives in a static set by the master and inherited by
 * its workers; -1 means no cap. */
#include "auth/hash_slots.h"
#include "core/log.h"

#include <errno.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

static int hash_slots_id = -1;

/* semctl's fourth argument, which the caller defines (see semctl(2)). */
union hash_slots_argument {
	int value;
	struct semid_ds *status;
	unsigned short *values;
};

int hash_slots_create(int slots)
{
	int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	if (id < 0) {
		log_warn("password hashes: no semaphore (%s); hashes are not capped", strerror(errno));
		return -1;
	}
	union hash_slots_argument argument = {.value = slots};
	if (semctl(id, 0, SETVAL, argument) != 0) {
		log_warn("password hashes: cannot set the cap (%s); hashes are not capped", strerror(errno));
		semctl(id, 0, IPC_RMID);
		return -1;
	}
	hash_slots_id = id;
	return 0;
}

void hash_slots_destroy(void)
{
	if (hash_slots_id >= 0)
		semctl(hash_slots_id, 0, IPC_RMID);
	hash_slots_id = -1;
}

int hash_slot_take(int wait_ms)
{
	if (hash_slots_id < 0)
		return 0;
	struct sembuf take = {.sem_num = 0, .sem_op = -1, .sem_flg = SEM_UNDO};
	struct timespec wait = {.tv_sec = wait_ms / 1000, .tv_nsec = (long)(wait_ms % 1000) * 1000000L};
	while (semtimedop(hash_slots_id, &take, 1, &wait) != 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			log_warn("password hashes: semaphore unusable (%s)", strerror(errno));
		return -1;
	}
	return 0;
}

void hash_slot_give(void)
{
	if (hash_slots_id < 0)
		return;
	struct sembuf give = {.sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO};
	while (semop(hash_slots_id, &give, 1) != 0 && errno == EINTR)
		;
}
