/* A cap on password hashes computed at once by all the workers of one
 * master. An Argon2id hash takes 19 MiB and about 20 ms of a CPU: a flood of
 * logins must leave workers (and memory) for everything else. The master
 * makes a System V semaphore before it forks; SEM_UNDO gives the slot of a
 * worker killed mid-hash back. Without a master (mod_fcgid's --single
 * processes, the admin tool) there is no cap: hash_slot_take always succeeds. */
#ifndef INTUKA_AUTH_HASH_SLOTS_H
#define INTUKA_AUTH_HASH_SLOTS_H

/* Master, before forking: slots hashes at once. 0, or -1 (no cap then). */
int hash_slots_create(int slots);
/* Master, on exit. */
void hash_slots_destroy(void);
/* 0 when a slot is held (or there is no cap), -1 when none came free within wait_ms. */
int hash_slot_take(int wait_ms);
/* Gives back the slot hash_slot_take took (nothing without a cap). */
void hash_slot_give(void);

#endif
