/*
 * main.c: spfgate, the command line face of the core: check one sender,
 * filter a stream of them, or lint a domain's published policy.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfgate.h"

static int	flag_option(const char *, const char *, void *);
static void	raise_nofile(void);

void
usage(void)
{
	fprintf(stderr,
	    "usage: spfgate check [options] [--json] [--explain] "
	    "[--recipient ADDR]... IP SENDER [HELO]\n"
	    "       spfgate filter [options]\n"
	    "       spfgate lint [options] [--json] DOMAIN...\n"
	    "options: --config FILE, --resolver ADDR[@PORT], --zone FILE,\n"
	    "         --timeout SECONDS, --receiver NAME,\n"
	    "         --default-explanation TEXT, --max-inflight N, and\n"
	    "         --KEYWORD VALUE for every keyword of spfgate.conf(5)\n");
	exit(EXIT_ERROR);
}

/* Options of the commands themselves; takes 1 argument, or -1. */
static int
flag_option(const char *opt, const char *next, void *arg)
{
	struct cmd_flags	*flags = arg;

	if (strcmp(opt, "--recipient") == 0) {
		if (next == NULL || flags->nrcpts == CMD_MAX_RCPTS)
			return -1;
		flags->rcpts[flags->nrcpts++] = next;
		return 2;
	}
	if (strncmp(opt, "--recipient=", 12) == 0) {
		if (flags->nrcpts == CMD_MAX_RCPTS)
			return -1;
		flags->rcpts[flags->nrcpts++] = opt + 12;
		return 1;
	}
	if (strcmp(opt, "--json") == 0)
		flags->json = 1;
	else if (strcmp(opt, "--explain") == 0)
		flags->explain = 1;
	else if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0)
		usage();
	else
		return -1;
	return 1;
}

/* A thousand lookups in flight need a thousand sockets. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
	    rl.rlim_cur < 8192) {
		rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char *argv[])
{
	struct spf_config	 cfg;
	struct cmd_flags	 flags;
	char			 err[512];
	const char		*cmd;
	int			 n;

	if (argc < 2)
		usage();
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
		usage();
	if (strcmp(cmd, "check") != 0 && strcmp(cmd, "filter") != 0 &&
	    strcmp(cmd, "lint") != 0) {
		fprintf(stderr, "spfgate: unknown command '%s'\n", cmd);
		usage();
	}
	memset(&flags, 0, sizeof(flags));
	spf_config_init(&cfg);
	if ((n = spf_config_args(&cfg, argc - 1, argv + 1, flag_option,
	    &flags, err, sizeof(err))) == -1) {
		fprintf(stderr, "spfgate: %s\n", err);
		return EXIT_ERROR;
	}
	raise_nofile();
	if (strcmp(cmd, "check") == 0)
		return cmd_check(&cfg, &flags, argc - 1 - n, argv + 1 + n);
	if (strcmp(cmd, "lint") == 0)
		return cmd_lint(&cfg, &flags, argc - 1 - n, argv + 1 + n);
	if (n != argc - 1 || flags.json || flags.explain)
		usage();
	return cmd_filter(&cfg);
}
