/*
 * conncost.c: what exim-spf.so costs one Exim connection, without Exim.
 *
 *   conncost [-n N] [-P] SO CONFIG IP SENDER HELO
 *
 * Forks N children, one after the other, as Exim forks one per SMTP
 * connection; each dlopen()s the module (Exim does it at the first
 * ${dlfunc} of the connection; -P opens it once in the parent instead),
 * calls spf_action and spf_result as the README's ACL does, and exits
 * without freeing, as Exim's child does.  Prints the children's CPU
 * (user + system, from wait4), minor page faults, peak RSS and the
 * result of the last one.  With -1 it makes one connection in this
 * process, without fork: for valgrind --tool=callgrind.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int dlfunc_fn(unsigned char **, int, unsigned char *[]);

static const char	*so_path;
static void		*so;
static char		*args[4];

static void
usage(void)
{
	fprintf(stderr, "usage: conncost [-1P] [-n N] SO CONFIG IP SENDER "
	    "HELO\n");
	exit(2);
}

/* One connection: the calls of the README's MAIL ACL. */
static int
connection(int quiet)
{
	static const char *const fns[] = { "spf_action", "spf_explain",
	    "spf_received", "spf_auth_results", "spf_result" };
	dlfunc_fn	*fn;
	unsigned char	*yield;
	size_t		 i;
	void		*h = so;

	if (h == NULL && (h = dlopen(so_path, RTLD_NOW)) == NULL) {
		fprintf(stderr, "conncost: %s\n", dlerror());
		return -1;
	}
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		if ((fn = (dlfunc_fn *)dlsym(h, fns[i])) == NULL) {
			fprintf(stderr, "conncost: %s\n", dlerror());
			return -1;
		}
		yield = NULL;
		if (fn(&yield, 4, (unsigned char **)args) != 0) {
			fprintf(stderr, "conncost: %s: %s\n", fns[i],
			    yield != NULL ? (char *)yield : "error");
			return -1;
		}
		if (!quiet && strcmp(fns[i], "spf_explain") == 0)
			printf("%s\n", (char *)yield);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct rusage	 ru, sum;
	pid_t		 pid;
	int		 ch, i, n = 100, inproc = 0, status, bad = 0;
	double		 cpu;

	while ((ch = getopt(argc, argv, "1Pn:")) != -1) {
		switch (ch) {
		case '1':
			inproc = 1;
			break;
		case 'P':
			so = (void *)1;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 5 || n < 1)
		usage();
	so_path = argv[0];
	args[0] = argv[2];
	args[1] = argv[3];
	args[2] = argv[4];
	args[3] = argv[1];
	if (so != NULL && (so = dlopen(so_path, RTLD_NOW)) == NULL) {
		fprintf(stderr, "conncost: %s\n", dlerror());
		return 1;
	}
	if (inproc)
		return connection(0) == 0 ? 0 : 1;

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < n; i++) {
		fflush(stdout);
		if ((pid = fork()) == -1) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(connection(i != n - 1) == 0 ? 0 : 1);
		if (wait4(pid, &status, 0, &ru) == -1) {
			perror("wait4");
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
		timeradd(&sum.ru_utime, &ru.ru_utime, &sum.ru_utime);
		timeradd(&sum.ru_stime, &ru.ru_stime, &sum.ru_stime);
		sum.ru_minflt += ru.ru_minflt;
		sum.ru_maxrss += ru.ru_maxrss;
	}
	cpu = sum.ru_utime.tv_sec + sum.ru_stime.tv_sec +
	    (sum.ru_utime.tv_usec + sum.ru_stime.tv_usec) / 1e6;
	printf("connections %d failed %d cpu_ms_per_conn %.3f "
	    "user_ms %.3f sys_ms %.3f minflt_per_conn %.1f maxrss_kb %.0f\n",
	    n, bad,
	    cpu * 1000 / n,
	    (sum.ru_utime.tv_sec * 1e3 + sum.ru_utime.tv_usec / 1e3) / n,
	    (sum.ru_stime.tv_sec * 1e3 + sum.ru_stime.tv_usec / 1e3) / n,
	    (double)sum.ru_minflt / n, (double)sum.ru_maxrss / n);
	return bad == 0 ? 0 : 1;
}
