/*
 * smtp-discard: a fast SMTP sink for t/bench/run, and a client to
 * measure it.  The aiosmtpd sink of the tests writes two files per
 * message and tops out near a thousand messages a second; this one
 * answers every command (PIPELINING, SMTPUTF8, 8BITMIME), counts the
 * messages and throws them away, so the sender is what gets measured.
 *
 *	smtp-discard serve PORT_FILE     listen on a free loopback port, write
 *	                                 it to PORT_FILE; on SIGTERM print
 *	                                 "messages=N" and exit
 *	smtp-discard blast PORT N CONNS SIZE
 *	                                 send N messages of SIZE bytes over CONNS
 *	                                 connections (pipelined); print the rate
 *
 * One thread, epoll, non-blocking sockets.  Built only with
 * -DTICKETD_BENCH=ON.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define BUF_SIZE 65536

struct sconn {
	int fd;
	int in_data;
	int tail;              /* how much of "\r\n.\r\n" the data has ended with */
	char line[1024];
	size_t line_len;
	char out[8192];
	size_t out_len;
};

static volatile sig_atomic_t stop;
static unsigned long messages;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
out_add(struct sconn *c, const char *s)
{
	size_t n = strlen(s);

	if (c->out_len + n <= sizeof(c->out)) {
		memcpy(c->out + c->out_len, s, n);
		c->out_len += n;
	}
}

static int
out_flush(struct sconn *c)
{
	size_t off = 0;
	ssize_t w;

	while (off < c->out_len) {
		w = write(c->fd, c->out + off, c->out_len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* The client reads its answers: a short wait is fine here. */
				usleep(100);
				continue;
			}
			return -1;
		}
		off += (size_t)w;
	}
	c->out_len = 0;
	return 0;
}

static void
command(struct sconn *c, const char *line)
{
	if (strncasecmp(line, "EHLO", 4) == 0)
		out_add(c, "250-discard.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
			"250 SIZE 104857600\r\n");
	else if (strncasecmp(line, "HELO", 4) == 0)
		out_add(c, "250 discard.test\r\n");
	else if (strncasecmp(line, "DATA", 4) == 0) {
		out_add(c, "354 go ahead\r\n");
		c->in_data = 1;
		c->tail = 2;   /* the CRLF before DATA's first line counts */
	} else if (strncasecmp(line, "QUIT", 4) == 0)
		out_add(c, "221 bye\r\n");
	else
		out_add(c, "250 ok\r\n");
}

/* Returns -1 when the connection is to be closed. */
static int
serve_input(struct sconn *c, const char *buf, size_t n)
{
	static const char end[] = "\r\n.\r\n";
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = buf[i];

		if (c->in_data) {
			/* A small automaton for CRLF "." CRLF. */
			if (ch == end[c->tail])
				c->tail++;
			else
				c->tail = ch == '\r' ? 1 : 0;
			if (c->tail == 5) {
				c->in_data = 0;
				c->tail = 0;
				messages++;
				out_add(c, "250 2.0.0 discarded\r\n");
			}
			continue;
		}
		if (ch == '\n') {
			c->line[c->line_len] = '\0';
			if (c->line_len > 0 && c->line[c->line_len - 1] == '\r')
				c->line[c->line_len - 1] = '\0';
			command(c, c->line);
			if (strncasecmp(c->line, "QUIT", 4) == 0) {
				out_flush(c);
				return -1;
			}
			c->line_len = 0;
		} else if (c->line_len + 1 < sizeof(c->line)) {
			c->line[c->line_len++] = ch;
		}
	}
	return out_flush(c);
}

static int
listen_loopback(uint16_t *port_r)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*port_r = ntohs(sa.sin_port);
	return fd;
}

static int
serve(const char *port_file)
{
	struct epoll_event ev, evs[64];
	struct sconn *conns[MAX_CONNS] = { NULL };
	char buf[BUF_SIZE], tmp[4096];
	uint16_t port;
	int lfd, ep, n, i, fd, one = 1;
	ssize_t r;
	FILE *f;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	lfd = listen_loopback(&port);
	if (lfd < 0) {
		perror("smtp-discard: listen");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, port_file) < 0) {
		perror("smtp-discard: port file");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!stop) {
		n = epoll_wait(ep, evs, 64, 200);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (cfd < 0)
					continue;
				if (cfd >= MAX_CONNS) {
					close(cfd);
					continue;
				}
				setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				conns[cfd] = calloc(1, sizeof(struct sconn));
				conns[cfd]->fd = cfd;
				out_add(conns[cfd], "220 discard.test ESMTP\r\n");
				out_flush(conns[cfd]);
				ev.events = EPOLLIN;
				ev.data.fd = cfd;
				epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0 || serve_input(conns[fd], buf, (size_t)r) < 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
				free(conns[fd]);
				conns[fd] = NULL;
			}
		}
	}
	printf("messages=%lu\n", messages);
	return 0;
}

/* ---- the client ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read until count lines starting with a digit and a space have arrived. */
static int
read_replies(int fd, int count)
{
	char buf[4096];
	int seen = 0, at_start = 1;
	ssize_t r, i;
	char first[4] = { 0 };
	int pos = 0;

	while (seen < count) {
		r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			return -1;
		for (i = 0; i < r; i++) {
			if (at_start)
				pos = 0;
			at_start = 0;
			if (pos < 4)
				first[pos] = buf[i];
			pos++;
			if (buf[i] == '\n') {
				if (first[3] == ' ')
					seen++;
				at_start = 1;
			}
		}
	}
	return 0;
}

static int
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
blast(uint16_t port, long total, int conns, size_t size)
{
	struct sockaddr_in sa;
	char *msg = malloc(size + 64), *cmd;
	int one = 1;
	size_t i, cmd_len;
	long sent = 0;
	double t0, t1;
	int fds[MAX_CONNS], c;

	if (msg == NULL || conns < 1 || conns > MAX_CONNS)
		return 2;
	for (i = 0; i < size; i++)
		msg[i] = (i % 72 == 71) ? '\n' : 'x';
	memcpy(msg, "Subject: blast\r\n\r\n", 18);
	memcpy(msg + size, "\r\n.\r\n", 5);
	cmd = malloc(size + 256);
	cmd_len = (size_t)snprintf(cmd, 256, "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
	/* DATA in one write after the 354: with PIPELINING the client may not send it earlier. */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	t0 = now_s();
	for (c = 0; c < conns; c++) {
		fds[c] = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fds[c], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fds[c], (struct sockaddr *)&sa, sizeof(sa)) < 0 || read_replies(fds[c], 1) < 0 ||
		    write_all(fds[c], "EHLO blast\r\n", 12) < 0 || read_replies(fds[c], 1) < 0)
			return 1;
	}
	while (sent < total) {
		int round = 0;

		for (c = 0; c < conns && sent < total; c++, sent++, round++) {
			if (write_all(fds[c], cmd, cmd_len) < 0 || read_replies(fds[c], 3) < 0 ||
			    write_all(fds[c], msg, size + 5) < 0)
				return 1;
		}
		for (c = 0; c < round; c++)
			if (read_replies(fds[c], 1) < 0)
				return 1;
	}
	t1 = now_s();
	printf("messages=%ld connections=%d seconds=%.3f rate=%.0f\n", total, conns, t1 - t0,
	       (double)total / (t1 - t0));
	free(msg);
	free(cmd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2]);
	if (argc == 6 && strcmp(argv[1], "blast") == 0)
		return blast((uint16_t)strtoul(argv[2], NULL, 10), strtol(argv[3], NULL, 10),
			     (int)strtol(argv[4], NULL, 10), strtoul(argv[5], NULL, 10));
	fprintf(stderr, "usage: smtp-discard serve PORT_FILE | blast PORT N CONNS SIZE\n");
	return 2;
}
