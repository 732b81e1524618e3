#include "job.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "xmalloc.h"

struct job_thread {
	pthread_t thread;
	int running;              /* the thread exists */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void (*fn)(void *);       /* the job handed over and not taken yet, or NULL */
	void *arg;
	int busy;                 /* a job was handed over and is not done yet */
	int quit;
};

static void *
job_main(void *p)
{
	struct job_thread *jt = p;
	void (*fn)(void *);
	void *arg;

	pthread_mutex_lock(&jt->lock);
	for (;;) {
		while (jt->fn == NULL && !jt->quit)
			pthread_cond_wait(&jt->cond, &jt->lock);
		if (jt->fn == NULL)
			break;
		fn = jt->fn;
		arg = jt->arg;
		jt->fn = NULL;
		pthread_mutex_unlock(&jt->lock);
		fn(arg);
		pthread_mutex_lock(&jt->lock);
		jt->busy = 0;
		pthread_cond_broadcast(&jt->cond);
	}
	pthread_mutex_unlock(&jt->lock);
	return NULL;
}

struct job_thread *
job_thread_new(void)
{
	struct job_thread *jt = xcalloc(1, sizeof(*jt));
	sigset_t all, old;

	pthread_mutex_init(&jt->lock, NULL);
	pthread_cond_init(&jt->cond, NULL);
	/* Signals go to the threads that wait for them, never to this one. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	jt->running = pthread_create(&jt->thread, NULL, job_main, jt) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return jt;
}

void
job_thread_start(struct job_thread *jt, void (*fn)(void *), void *arg)
{
	if (!jt->running) {
		fn(arg);
		return;
	}
	pthread_mutex_lock(&jt->lock);
	jt->fn = fn;
	jt->arg = arg;
	jt->busy = 1;
	pthread_cond_broadcast(&jt->cond);
	pthread_mutex_unlock(&jt->lock);
}

void
job_thread_wait(struct job_thread *jt)
{
	if (!jt->running)
		return;
	pthread_mutex_lock(&jt->lock);
	while (jt->busy)
		pthread_cond_wait(&jt->cond, &jt->lock);
	pthread_mutex_unlock(&jt->lock);
}

void
job_thread_free(struct job_thread **jtp)
{
	struct job_thread *jt = *jtp;

	if (jt == NULL)
		return;
	if (jt->running) {
		job_thread_wait(jt);
		pthread_mutex_lock(&jt->lock);
		jt->quit = 1;
		pthread_cond_broadcast(&jt->cond);
		pthread_mutex_unlock(&jt->lock);
		pthread_join(jt->thread, NULL);
	}
	pthread_cond_destroy(&jt->cond);
	pthread_mutex_destroy(&jt->lock);
	free(jt);
	*jtp = NULL;
}
