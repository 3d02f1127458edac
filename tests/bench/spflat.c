/*
 * spflat.c: spfgate's core without the filter around it: the latency
 * of an evaluation timed the way the libspf2 and pyspf drivers time
 * theirs (from the call that starts a check to its result), to the
 * microsecond (spfgate filter reports whole milliseconds), and the
 * memory an evaluation in flight costs without filter mode's ordered
 * output queue.
 *
 *	spflat [--inflight N] [--count-cached] --resolver ADDR@PORT
 *	    [--KEYWORD VALUE ...] < queries
 *
 * Takes the options every spfgate program takes (spf_config_args) and
 * reads IP<TAB>SENDER<TAB>HELO lines ("<>" is the null sender); keeps N
 * evaluations in flight (default 1) and writes one line as each ends,
 * in the order they end: the result, the microseconds, the DNS
 * questions it asked.  With --count-cached every query is traced and two
 * more columns say how many of its answers came from the core's answer
 * cache and how many joined a question already in flight (the trace's
 * "(cached)" and "(shared)" lines): the trace costs CPU, so the bench
 * counts in a pass of its own.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "spf.h"

struct one {
	struct timespec	 t0;
};

struct origins {
	int		 cached, shared;
};

static void	done_cb(const struct spf_result *, void *);
static int	own_option(const char *, const char *, void *);
static int	split(char *, char **, int);
static void	start_some(void);
static void	read_cb(evutil_socket_t, short, void *);
static void	count_origin(const char *, void *);

static struct spf_checker	*checker;
static struct event_base	*base;
static struct evbuffer		*input;
static int			 inflight, max_inflight = 1, eof;
static int			 count_cached;

/* A trace line of an answer ends with where the answer came from. */
static void
count_origin(const char *line, void *arg)
{
	struct origins	*o = arg;
	size_t		 len = strlen(line);

	if (len >= 9 && strcmp(line + len - 9, " (cached)") == 0)
		o->cached++;
	else if (len >= 9 && strcmp(line + len - 9, " (shared)") == 0)
		o->shared++;
}

static void
done_cb(const struct spf_result *r, void *arg)
{
	struct one	*o = arg;
	struct timespec	 t1;

	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%s\t%ld\t%d", spf_code_str(r->code),
	    (t1.tv_sec - o->t0.tv_sec) * 1000000L +
	    (t1.tv_nsec - o->t0.tv_nsec) / 1000, r->queries);
	if (count_cached) {
		struct origins	 org = { 0, 0 };

		(void)spf_trace_print(r->trace, 0, count_origin, &org);
		printf("\t%d\t%d", org.cached, org.shared);
	}
	printf("\n");
	fflush(stdout);
	free(o);
	inflight--;
	start_some();
}

static int
own_option(const char *opt, const char *value, void *arg)
{
	(void)arg;
	if (strcmp(opt, "--count-cached") == 0) {
		count_cached = 1;
		return 1;
	}
	if (strcmp(opt, "--inflight") != 0 || value == NULL ||
	    (max_inflight = atoi(value)) < 1)
		return -1;
	return 2;
}

static int
split(char *line, char **f, int max)
{
	int	 n = 0;
	char	*p = line;

	while (n < max) {
		f[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

/* Start evaluations from the lines read so far, up to the limit. */
static void
start_some(void)
{
	struct one	*o;
	char		*line, err[512], *f[3];
	size_t		 len;
	int		 n;

	while (inflight < max_inflight && (line = evbuffer_readln(input, &len,
	    EVBUFFER_EOL_LF)) != NULL) {
		if ((n = split(line, f, 3)) < 2 ||
		    (o = calloc(1, sizeof(*o))) == NULL) {
			printf("error\t0\t0\n");
			free(line);
			continue;
		}
		(void)clock_gettime(CLOCK_MONOTONIC, &o->t0);
		inflight++;
		if (spf_query_start(checker, f[0], strcmp(f[1], "<>") == 0 ?
		    "" : f[1], n > 2 ? f[2] : "", count_cached, done_cb, o, err,
		    sizeof(err)) == NULL) {
			inflight--;
			free(o);
			printf("error\t0\t0\n");
		}
		free(line);
	}
	if (eof && inflight == 0)
		event_base_loopexit(base, NULL);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	int	 n;

	(void)what;
	(void)arg;
	n = evbuffer_read(input, fd, 65536);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		eof = 1;
		event_del(arg);
	}
	start_some();
}

int
main(int argc, char *argv[])
{
	struct spf_config	 cfg;
	struct event		*ev;
	char			 err[512];

	spf_config_init(&cfg);
	if (spf_config_args(&cfg, argc, argv, own_option, NULL, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "spflat: %s\n", err);
		return 2;
	}
	if ((base = event_base_new()) == NULL ||
	    (input = evbuffer_new()) == NULL ||
	    (checker = spf_checker_new(&cfg, base, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "spflat: %s\n", checker == NULL ? err :
		    "out of memory");
		return 1;
	}
	(void)fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) |
	    O_NONBLOCK);
	ev = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST, read_cb,
	    event_self_cbarg());
	event_add(ev, NULL);
	event_base_dispatch(base);
	event_free(ev);
	spf_checker_free(checker);
	evbuffer_free(input);
	event_base_free(base);
	return 0;
}
