/*
 * spfgate.h: what the parts of the spfgate command share.
 */
#ifndef SPFGATE_H
#define SPFGATE_H

#include "spf.h"

/* Exit status of "spfgate check": the action, or a usage error. */
#define EXIT_ACCEPT	0
#define EXIT_ERROR	1
#define EXIT_TAG	2
#define EXIT_REJECT	3
#define EXIT_DEFER	4

/* Exit status of "spfgate lint": the worst finding. */
#define EXIT_LINT_OK		0
#define EXIT_LINT_WARNINGS	2
#define EXIT_LINT_ERRORS	3

#define CMD_MAX_RCPTS	100
/* spfgate policy --listen: connections served at once */
#define DEFAULT_MAX_CONNECTIONS	1024

struct cmd_flags {
	int	 json;
	int	 explain;
	const char *rcpts[CMD_MAX_RCPTS];	/* --recipient, in order */
	int	 nrcpts;
	/* spfgate policy */
	const char *listen;		/* --listen SPEC, NULL: stdin */
	int	 listen_mode;		/* --listen-mode, -1 unset */
	const char *listen_owner;
	const char *listen_group;
	const char *user;		/* --user: after the socket is made */
	int	 max_connections;
};

/* check.c: "check IP SENDER [HELO]"; returns the action's exit status. */
int	cmd_check(const struct spf_config *, const struct cmd_flags *, int,
	    char **);
/* stream.c: "filter", lines in, JSON lines out; 0, or 1 on a failure. */
int	cmd_filter(const struct spf_config *);
/* policy.c: "policy", Postfix's policy protocol; 0, or 1 on a failure. */
int	cmd_policy(const struct spf_config *, const struct cmd_flags *);
/*
 * policy.c: before anything else of "policy" runs: when standard error
 * is a socket (spawn(8) joins it to the client's), every later line
 * goes to syslog and standard error to /dev/null, so that nothing,
 * libunbound's messages included, reaches the client.  Returns 1 then,
 * else 0.
 */
int	policy_stderr_guard(void);
/* lint.c: "lint DOMAIN..."; returns the worst domain's exit status. */
int	cmd_lint(const struct spf_config *, const struct cmd_flags *, int,
	    char **);
/* main.c: the usage message on stderr, then exit 1. */
void	usage(void) __attribute__((noreturn));

#endif /* SPFGATE_H */
