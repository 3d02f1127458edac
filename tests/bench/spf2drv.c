/*
 * spf2drv.c: libspf2 on the benchmark's query lines, the way spfquery
 * uses it (one SPF_server with libspf2's own DNS cache over the system
 * resolver, so /etc/resolv.conf says where DNS is).
 *
 *	spf2drv [-r receiver] < queries
 *
 * Reads IP<TAB>SENDER<TAB>HELO lines ("<>" is the null sender) and
 * writes one line for each: the result, then the microseconds that
 * SPF_request_query_mailfrom took.  libspf2 is synchronous, so one
 * evaluation is in flight at a time.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/nameser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <spf2/spf.h>

static long	elapsed_us(const struct timespec *);
static int	split(char *, char **, int);

static long
elapsed_us(const struct timespec *t0)
{
	struct timespec	 t1;

	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000L +
	    (t1.tv_nsec - t0->tv_nsec) / 1000;
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

int
main(int argc, char *argv[])
{
	SPF_server_t	*srv;
	SPF_request_t	*req;
	SPF_response_t	*resp;
	struct timespec	 t0;
	const char	*receiver = "bench.local", *sender, *result;
	char		 line[4096], *f[3];
	size_t		 len;
	long		 us;
	int		 ch, n, bad;

	while ((ch = getopt(argc, argv, "r:")) != -1) {
		switch (ch) {
		case 'r':
			receiver = optarg;
			break;
		default:
			fprintf(stderr, "usage: spf2drv [-r receiver]\n");
			return 2;
		}
	}
	if ((srv = SPF_server_new(SPF_DNS_CACHE, 0)) == NULL) {
		fprintf(stderr, "spf2drv: SPF_server_new failed\n");
		return 1;
	}
	(void)SPF_server_set_rec_dom(srv, receiver);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		n = split(line, f, 3);
		if (n < 2) {
			printf("error\t0\n");
			fflush(stdout);
			continue;
		}
		sender = strcmp(f[1], "<>") == 0 ? "" : f[1];
		(void)clock_gettime(CLOCK_MONOTONIC, &t0);
		req = SPF_request_new(srv);
		bad = strchr(f[0], ':') != NULL ?
		    SPF_request_set_ipv6_str(req, f[0]) :
		    SPF_request_set_ipv4_str(req, f[0]);
		if (n > 2)
			(void)SPF_request_set_helo_dom(req, f[2]);
		if (bad == 0)
			bad = SPF_request_set_env_from(req, sender);
		resp = NULL;
		if (bad == 0) {
			(void)SPF_request_query_mailfrom(req, &resp);
			result = SPF_strresult(SPF_response_result(resp));
		} else
			result = "error";
		us = elapsed_us(&t0);
		printf("%s\t%ld\n", result, us);
		fflush(stdout);
		if (resp != NULL)
			SPF_response_free(resp);
		SPF_request_free(req);
	}
	SPF_server_free(srv);
	return 0;
}
