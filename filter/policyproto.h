/*
 * policyproto.h: Postfix's SMTP access policy delegation protocol
 * (Postfix's SMTPD_POLICY_README), the parsing and answering half: no
 * I/O, no state beyond the one request being read.  policyconn.c
 * carries it over connections; policy.c maps it onto the core.
 */
#ifndef POLICYPROTO_H
#define POLICYPROTO_H

#include <stddef.h>

/*
 * Bounds.  Postfix's SMTP command line is at most 2048 octets
 * (line_length_limit), so no attribute it copies from a client comes
 * near POLICY_LINE_MAX; a request of Postfix 3.7 has some 40 lines.
 */
#define POLICY_LINE_MAX		4096	/* one line, its newline excluded */
#define POLICY_ATTRS_MAX	128	/* attribute lines of one request */
#define POLICY_REQUEST_MAX	65536	/* octets of one request in all */
#define POLICY_VALUE_MAX	POLICY_LINE_MAX	/* a kept value, NUL incl. */
#define POLICY_ANSWER_MAX	(POLICY_LINE_MAX + 16)	/* action=...\n\n */

/* What policy_line() says of a line. */
#define POLICY_MORE		0	/* an attribute: more lines to come */
#define POLICY_END		1	/* the empty line: request complete */

/*
 * The attributes spfgate uses, each "" when absent; every other
 * attribute is counted and ignored, as the protocol asks.  malformed
 * is NULL, or why the request cannot be trusted (it is then answered
 * DUNNO, never checked).
 */
struct policy_request {
	char		 request[64];		/* smtpd_access_policy */
	char		 protocol_state[32];	/* RCPT, DATA, ... */
	char		 client_address[64];
	char		 helo_name[POLICY_VALUE_MAX];
	char		 sender[POLICY_VALUE_MAX];
	char		 recipient[POLICY_VALUE_MAX];
	char		 sasl_username[256];
	char		 instance[128];		/* one message's transaction */
	char		 queue_id[64];
	int		 nattrs;
	size_t		 size;			/* octets taken so far */
	const char	*malformed;
};

/* Make req empty, ready for its first line. */
void	 policy_request_init(struct policy_request *);
/*
 * Take one line of a request: len octets at line, without the newline
 * (a carriage return before it is dropped here).  Returns POLICY_END
 * for the empty line that ends the request, else POLICY_MORE.  A line
 * over a bound, with a NUL octet, without "=", with an empty name, or
 * a value too long for its field marks the request malformed (the
 * first reason is kept); its lines are still taken up to the empty
 * line, so the next request starts in step.
 */
int	 policy_line(struct policy_request *, const char *line, size_t len);
/*
 * Mark the request malformed from outside: the connection layer says a
 * line was longer than POLICY_LINE_MAX (and drops it).  The first
 * reason given is kept.
 */
void	 policy_request_fault(struct policy_request *, const char *why);
/*
 * The answer to one request, "action=TEXT\n\n", into buf (at least
 * POLICY_ANSWER_MAX).  Returns its length, or -1 if TEXT is empty,
 * holds a line break or a NUL, or does not fit: buf then holds "".
 */
int	 policy_answer(const char *text, char *buf, size_t len);

#endif /* POLICYPROTO_H */
