/*
 * proc: who a process is, in words another process can check later.
 *
 * A process id alone is not enough: after a crash the next ticketd may
 * well get the same pid.  The identity is "HOST PID START", START being
 * the process's start time in clock ticks since boot (/proc/PID/stat),
 * which no later process with that pid shares.
 */
#ifndef TICKETD_PROC_H
#define TICKETD_PROC_H

#include <sys/types.h>

#define PROC_ID_MAX 320        /* bytes of an identity, with its NUL */

/* This process's identity into out (PROC_ID_MAX bytes). */
void proc_self_id(char *out, size_t outlen);

enum proc_state {
	PROC_GONE = 0,       /* no such process on this host any more */
	PROC_ALIVE = 1,      /* still running (the same process, not a reused pid) */
	PROC_ELSEWHERE = 2,  /* another host's process (or unreadable): unknown */
};

enum proc_state proc_id_state(const char *id);

#endif
