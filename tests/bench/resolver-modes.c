/*
 * resolver-modes.c: libunbound's two ways of resolving asynchronously,
 * side by side on the same names.
 *
 *	resolver-modes -m async|event [-a thread|fork] -r ADDR@PORT
 *	    [-w WINDOW] [-t TXT|A|MX] [-s] NAMEFILE
 *
 * async: ub_resolve_async(), then ub_fd() in a poll loop and
 * ub_process(); every question and every answer, cached or not, goes
 * through libunbound's background worker (a thread, or with -a fork a
 * process) and a pipe.  event: ub_ctx_create_event() and
 * ub_resolve_event() in a libevent loop, the way spfgate resolves; the
 * resolver runs in the caller's loop and a cached answer comes back
 * inside the call.  Both forward to ADDR@PORT with the options spfgate
 * sets (but caches big enough that the second pass is all hits), keep
 * WINDOW (default 1000) lookups in flight, resolve every
 * name once (cold: the context's cache is empty) and then again (warm)
 * and print one line: lookups/s and CPU microseconds per lookup (the
 * worker's included), cold and warm.  With -s, the cold pass also
 * writes "sample DONE RSS_KB" lines to stderr, every 50 answers, for
 * the memory a lookup in flight holds.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <unbound.h>
#include <unbound-event.h>

struct run {
	struct ub_ctx	*ctx;
	char		**names;
	int		 n;
	int		 next, done, inflight, window, type, errors;
	int		 sample, sampled;
};

static double	mono(void);
static double	cpu(void);
static double	child_cpu(void);
static void	async_cb(void *, int, struct ub_result *);
static void	event_cb(void *, int, void *, int, int, char *, int);
static int	run_async(struct run *);
static int	run_event(struct run *, struct event_base *);
static int	opt(struct ub_ctx *, const char *, const char *);
static void	sample(struct run *);

static double
mono(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU of this process, every thread, and of a forked worker. */
static double
cpu(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9 + child_cpu();
}

static double
child_cpu(void)
{
	DIR		*d;
	struct dirent	*e;
	FILE		*f;
	char		 path[300], buf[1024], *p;
	long		 ppid;
	unsigned long long ns;
	double		 total = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 2, "%*c %ld", &ppid) != 1 || ppid != getpid())
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%s/schedstat",
		    e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			total += ns / 1e9;
		fclose(f);
	}
	closedir(d);
	return total;
}

/* Resident memory against answers so far, now and then. */
static void
sample(struct run *r)
{
	FILE	*f;
	long	 pages, rss;

	if (!r->sample || r->done - r->sampled < 50)
		return;
	r->sampled = r->done;
	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return;
	if (fscanf(f, "%ld %ld", &pages, &rss) == 2)
		fprintf(stderr, "sample %d %ld\n", r->done,
		    rss * (sysconf(_SC_PAGESIZE) / 1024));
	fclose(f);
}

static void
async_cb(void *arg, int err, struct ub_result *res)
{
	struct run	*r = arg;

	if (err != 0 || res == NULL || res->rcode == 2)
		r->errors++;
	if (res != NULL)
		ub_resolve_free(res);
	r->done++;
	r->inflight--;
}

static void
event_cb(void *arg, int rcode, void *pkt, int len, int sec, char *why,
    int ratelimited)
{
	struct run	*r = arg;

	(void)len;
	(void)sec;
	(void)why;
	(void)ratelimited;
	if (pkt == NULL || rcode == 2)
		r->errors++;
	r->done++;
	r->inflight--;
}

static int
run_async(struct run *r)
{
	struct pollfd	 pfd;
	int		 id;

	pfd.fd = ub_fd(r->ctx);
	pfd.events = POLLIN;
	while (r->done < r->n) {
		while (r->inflight < r->window && r->next < r->n) {
			r->inflight++;
			if (ub_resolve_async(r->ctx, r->names[r->next++], r->type,
			    1, r, async_cb, &id) != 0) {
				r->inflight--;
				r->done++;
				r->errors++;
			}
		}
		if (poll(&pfd, 1, 1000) == -1 && errno != EINTR)
			return -1;
		if (ub_process(r->ctx) != 0)
			return -1;
		sample(r);
	}
	return 0;
}

static int
run_event(struct run *r, struct event_base *base)
{
	int	 id;

	while (r->done < r->n) {
		while (r->inflight < r->window && r->next < r->n) {
			r->inflight++;
			if (ub_resolve_event(r->ctx, r->names[r->next++], r->type,
			    1, r, event_cb, &id) != 0) {
				r->inflight--;
				r->done++;
				r->errors++;
			}
		}
		if (r->inflight > 0 &&
		    event_base_loop(base, EVLOOP_ONCE) == -1)
			return -1;
		sample(r);
	}
	return 0;
}

static int
opt(struct ub_ctx *ctx, const char *o, const char *v)
{
	int	 rc;

	if ((rc = ub_ctx_set_option(ctx, o, v)) != 0) {
		fprintf(stderr, "resolver-modes: %s %s: %s\n", o, v,
		    ub_strerror(rc));
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct event_base	*base = NULL;
	struct run		 r;
	FILE			*f;
	const char		*mode = NULL, *fwd = NULL, *how = "thread";
	char			 line[1100];
	double			 t0, c0, t[2], c[2];
	size_t			 len;
	int			 ch, pass, cap = 0, errs[2];

	memset(&r, 0, sizeof(r));
	r.window = 1000;
	r.type = 16;
	while ((ch = getopt(argc, argv, "m:a:r:w:t:s")) != -1) {
		switch (ch) {
		case 'm':
			mode = optarg;
			break;
		case 'a':
			how = optarg;
			break;
		case 'r':
			fwd = optarg;
			break;
		case 'w':
			r.window = atoi(optarg);
			break;
		case 's':
			r.sample = 1;
			break;
		case 't':
			r.type = strcmp(optarg, "A") == 0 ? 1 :
			    strcmp(optarg, "MX") == 0 ? 15 : 16;
			break;
		default:
			goto usage;
		}
	}
	if (mode == NULL || fwd == NULL || optind != argc - 1 ||
	    r.window < 1 || (strcmp(mode, "async") != 0 &&
	    strcmp(mode, "event") != 0))
		goto usage;
	if ((f = fopen(argv[optind], "r")) == NULL) {
		perror(argv[optind]);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		len = strcspn(line, " \t\r\n");
		if (len == 0)
			continue;
		line[len] = '\0';
		if (r.n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((r.names = reallocarray(r.names, (size_t)cap,
			    sizeof(char *))) == NULL)
				return 1;
		}
		if ((r.names[r.n++] = strdup(line)) == NULL)
			return 1;
	}
	fclose(f);
	if (strcmp(mode, "event") == 0) {
		if ((base = event_base_new()) == NULL ||
		    (r.ctx = ub_ctx_create_event(base)) == NULL)
			return 1;
	} else if ((r.ctx = ub_ctx_create()) == NULL ||
	    ub_ctx_async(r.ctx, strcmp(how, "fork") != 0) != 0)
		return 1;
	/* what spfgate's resolver.c sets */
	if (opt(r.ctx, "outgoing-range:", "1024") == -1 ||
	    opt(r.ctx, "num-queries-per-thread:", "2048") == -1 ||
	    opt(r.ctx, "infra-cache-min-rtt:", "1000") == -1 ||
	    opt(r.ctx, "do-not-query-localhost:", "no") == -1 ||
	    opt(r.ctx, "module-config:", "iterator") == -1 ||
	    opt(r.ctx, "rrset-cache-size:", "67108864") == -1 ||
	    opt(r.ctx, "msg-cache-size:", "33554432") == -1 ||
	    ub_ctx_set_fwd(r.ctx, fwd) != 0)
		return 1;
	for (pass = 0; pass < 2; pass++) {
		r.next = r.done = r.inflight = r.errors = 0;
		t0 = mono();
		c0 = cpu();
		if ((base != NULL ? run_event(&r, base) : run_async(&r)) == -1) {
			fprintf(stderr, "resolver-modes: loop failed\n");
			return 1;
		}
		t[pass] = mono() - t0;
		c[pass] = cpu() - c0;
		errs[pass] = r.errors;
		r.sample = r.sampled = 0;
	}
	printf("%s%s%s: %d names; cold %.0f lookups/s, %.1f us CPU/lookup; "
	    "warm %.0f lookups/s, %.2f us CPU/lookup; %d+%d errors\n", mode,
	    base == NULL ? "/" : "", base == NULL ? how : "", r.n,
	    r.n / t[0], c[0] / r.n * 1e6, r.n / t[1], c[1] / r.n * 1e6,
	    errs[0], errs[1]);
	ub_ctx_delete(r.ctx);
	if (base != NULL)
		event_base_free(base);
	return 0;
usage:
	fprintf(stderr, "usage: resolver-modes -m async|event [-a thread|fork] "
	    "-r ADDR@PORT [-w window] [-t TXT|A|MX] [-s] namefile\n");
	return 2;
}
