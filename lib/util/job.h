/*
 * job: one thread that runs one job at a time for its owner, so that the
 * owner can do something else meanwhile (intake reads the messages of the
 * next chunk while it commits the one before).
 *
 * job_thread_start() hands fn(arg) over and returns at once;
 * job_thread_wait() returns when it is done (everything fn wrote is then
 * visible to the caller).  One job at a time: wait before the next
 * start.  The thread takes no signals.  When no thread can be started,
 * job_thread_new() still succeeds and start runs the job at once, in
 * the caller's thread: slower, never wrong.
 */
#ifndef TICKETD_JOB_H
#define TICKETD_JOB_H

struct job_thread;

struct job_thread *job_thread_new(void);
void job_thread_start(struct job_thread *jt, void (*fn)(void *), void *arg);
void job_thread_wait(struct job_thread *jt);
/* Waits for the job in hand, ends the thread, frees it and sets *jt to NULL. */
void job_thread_free(struct job_thread **jt);

#endif
