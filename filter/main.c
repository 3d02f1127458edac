/*
 * main.c: spfgate, the command line face of the core: check one sender,
 * filter a stream of them, or lint a domain's published policy.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "spfgate.h"

static int	flag_option(const char *, const char *, void *);
static int	policy_option(struct cmd_flags *, const char *, const char *);
static void	raise_nofile(void);

void
usage(void)
{
	fprintf(stderr,
	    "usage: spfgate check [options] [--json] [--explain] "
	    "[--recipient ADDR]... IP SENDER [HELO]\n"
	    "       spfgate filter [options]\n"
	    "       spfgate lint [options] [--json] DOMAIN...\n"
	    "       spfgate policy [options] [--listen unix:PATH|[ADDR:]PORT\n"
	    "           [--listen-mode MODE] [--listen-owner USER]\n"
	    "           [--listen-group GROUP] [--user USER]\n"
	    "           [--max-connections N]]\n"
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
	int			 n;

	if ((n = policy_option(flags, opt, next)) != 0)
		return n;

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

/*
 * The options of "spfgate policy", each with one value: 2 if opt is
 * one, -1 if its value is missing or wrong, 0 if opt is none of them.
 */
static int
policy_option(struct cmd_flags *flags, const char *opt, const char *next)
{
	const char	*errstr;
	char		*end;
	long		 mode;

	if (strcmp(opt, "--listen") != 0 && strcmp(opt, "--listen-mode") != 0 &&
	    strcmp(opt, "--listen-owner") != 0 &&
	    strcmp(opt, "--listen-group") != 0 && strcmp(opt, "--user") != 0 &&
	    strcmp(opt, "--max-connections") != 0)
		return 0;
	if (next == NULL || next[0] == '\0')
		return -1;
	if (strcmp(opt, "--listen") == 0)
		flags->listen = next;
	else if (strcmp(opt, "--listen-owner") == 0)
		flags->listen_owner = next;
	else if (strcmp(opt, "--listen-group") == 0)
		flags->listen_group = next;
	else if (strcmp(opt, "--user") == 0)
		flags->user = next;
	else if (strcmp(opt, "--listen-mode") == 0) {
		errno = 0;
		mode = strtol(next, &end, 8);
		if (errno != 0 || *end != '\0' || mode < 0 || mode > 07777)
			return -1;
		flags->listen_mode = (int)mode;
	} else {
		flags->max_connections = (int)strtonum(next, 1, 65536,
		    &errstr);
		if (errstr != NULL)
			return -1;
	}
	return 2;
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
	int			 n, guarded;

	if (argc < 2)
		usage();
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
		usage();
	if (strcmp(cmd, "check") != 0 && strcmp(cmd, "filter") != 0 &&
	    strcmp(cmd, "lint") != 0 && strcmp(cmd, "policy") != 0) {
		fprintf(stderr, "spfgate: unknown command '%s'\n", cmd);
		usage();
	}
	/* under spawn(8) stderr is the client: nothing may go there */
	guarded = strcmp(cmd, "policy") == 0 && policy_stderr_guard();
	memset(&flags, 0, sizeof(flags));
	flags.listen_mode = -1;
	flags.max_connections = DEFAULT_MAX_CONNECTIONS;
	spf_config_init(&cfg);
	if ((n = spf_config_args(&cfg, argc - 1, argv + 1, flag_option,
	    &flags, err, sizeof(err))) == -1) {
		if (guarded)
			syslog(LOG_MAIL | LOG_ERR, "%s", err);
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
	if (strcmp(cmd, "policy") == 0)
		return cmd_policy(&cfg, &flags);
	if (flags.listen != NULL || flags.user != NULL)
		usage();
	return cmd_filter(&cfg);
}
