/*
 * ubstart.c: what libunbound alone costs a process that lives for one
 * lookup, the floor under exim-spf.so's cost per Exim connection.
 *
 *   ubstart [-n N] [-s] RESOLVER NAME
 *
 * Forks N children one after the other, as Exim forks one per SMTP
 * connection; each creates a libunbound context on a libevent base
 * (with -s, the sizes resolver.c sets for exim-spf.so's one lookup at
 * a time; without, libunbound's defaults),
 * forwards to RESOLVER (ADDR[@PORT]), asks NAME's TXT once, runs the
 * loop until the answer and exits without freeing.  Prints the
 * children's CPU (user + system, from wait4) and minor page faults per
 * child.  No SPF, no config file, no module: only what any process
 * that resolves with libunbound pays.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <unbound.h>
#include <unbound-event.h>

static int	 answered;

static void
usage(void)
{
	fprintf(stderr, "usage: ubstart [-s] [-n N] RESOLVER NAME\n");
	exit(2);
}

static void
done(void *arg, int rcode, void *pkt, int len, int sec, char *why, int rl)
{
	(void)arg;
	(void)rcode;
	(void)sec;
	(void)why;
	(void)rl;
	answered = pkt != NULL && len >= 12;
}

/* One process's lookup: 0 if an answer came. */
static int
child(const char *resolver, const char *name, int small)
{
	/* as resolver_new() sets them for exim-spf.so (max-inflight 1) */
	static const char *const opts[][2] = {
		{ "num-queries-per-thread:", "64" },
		{ "outgoing-range:", "32" },
		{ "rrset-cache-size:", "262144" },
		{ "msg-cache-size:", "131072" },
		{ "key-cache-size:", "131072" },
		{ "unblock-lan-zones:", "yes" },
		{ "infra-cache-min-rtt:", "1000" },
		{ "infra-keep-probing:", "yes" },
		{ "rrset-roundrobin:", "no" },
		{ "do-not-query-localhost:", "no" },
		{ "msg-cache-slabs:", "1" },
		{ "rrset-cache-slabs:", "1" },
		{ "key-cache-slabs:", "1" },
		{ "infra-cache-slabs:", "1" },
		{ "infra-cache-numhosts:", "64" },
		{ "ratelimit-slabs:", "1" },
		{ "ip-ratelimit-slabs:", "1" },
		{ "outgoing-num-tcp:", "1" },
		{ "outgoing-port-avoid:", "0-65535" },
		{ "outgoing-port-permit:", "49152-53247" },
		{ "trust-anchor-signaling:", "no" },
	};
	struct event_base	*base;
	struct ub_ctx		*ctx;
	size_t			 i;
	int			 id;

	if ((base = event_base_new()) == NULL ||
	    (ctx = ub_ctx_create_event(base)) == NULL)
		return 1;
	for (i = 0; small && i < sizeof(opts) / sizeof(opts[0]); i++)
		if (ub_ctx_set_option(ctx, opts[i][0], opts[i][1]) != 0)
			return 1;
	if (ub_ctx_set_option(ctx, "module-config:", "iterator") != 0 ||
	    ub_ctx_set_fwd(ctx, resolver) != 0 ||
	    ub_resolve_event(ctx, name, 16, 1, NULL, done, &id) != 0)
		return 1;
	while (!answered)
		if (event_base_loop(base, EVLOOP_ONCE) == -1)
			return 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct rusage	 ru, sum;
	pid_t		 pid;
	int		 ch, i, n = 100, small = 0, status, bad = 0;
	double		 cpu;

	while ((ch = getopt(argc, argv, "n:s")) != -1) {
		switch (ch) {
		case 'n':
			n = atoi(optarg);
			break;
		case 's':
			small = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || n < 1)
		usage();
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < n; i++) {
		if ((pid = fork()) == -1) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(child(argv[0], argv[1], small));
		if (wait4(pid, &status, 0, &ru) == -1) {
			perror("wait4");
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
		timeradd(&sum.ru_utime, &ru.ru_utime, &sum.ru_utime);
		timeradd(&sum.ru_stime, &ru.ru_stime, &sum.ru_stime);
		sum.ru_minflt += ru.ru_minflt;
	}
	cpu = sum.ru_utime.tv_sec + sum.ru_stime.tv_sec +
	    (sum.ru_utime.tv_usec + sum.ru_stime.tv_usec) / 1e6;
	printf("processes %d failed %d cpu_ms_per_process %.3f "
	    "minflt_per_process %.1f\n", n, bad, cpu * 1000 / n,
	    (double)sum.ru_minflt / n);
	return bad == 0 ? 0 : 1;
}
