/*
 * policyconn.h: policy protocol connections on one libevent loop, for
 * "spfgate policy": standard input and output (under Postfix's
 * spawn(8)), or every connection of a listening socket.
 */
#ifndef POLICYCONN_H
#define POLICYCONN_H

#include "policyproto.h"

struct event_base;
struct policy_server;
struct policy_ticket;

/* Requests answered out of order wait for those before them: bounded. */
#define POLICY_PIPELINE_MAX	64	/* unanswered requests a connection */
#define POLICY_IDLE_S		1200	/* past Postfix's max_ttl (1000 s) */

struct policy_callbacks {
	/*
	 * A whole request: answer it with policy_reply(), now or later,
	 * exactly once, unless cancel comes first.  req is valid during
	 * the call only.
	 */
	void	(*request)(struct policy_ticket *,
		    const struct policy_request *, void *);
	/* Its connection is gone: the ticket must not be answered. */
	void	(*cancel)(struct policy_ticket *, void *);
	/* One line for the log (a malformed stream, a failed accept). */
	void	(*log)(const char *, void *);
	void	*arg;
};

/*
 * A server on base.  max_conns bounds the connections of a listening
 * socket (more wait in its backlog), max_pending the requests waiting
 * for answers over all connections (reading pauses at the bound).
 * NULL if out of memory.
 */
struct policy_server *policy_server_new(struct event_base *,
		    const struct policy_callbacks *, int max_conns,
		    int max_pending);
/*
 * Serve one connection on in and out (0 and 1; one socket twice under
 * spawn, two pipes in tests); the loop is ended once it is over (end
 * of input, every request answered, the answers written).  -1 with err.
 */
int		 policy_server_stdio(struct policy_server *, int in, int out,
		    char *err, size_t errlen);
/* Accept connections on a listening socket (policy_listen_open). */
int		 policy_server_listen(struct policy_server *, int fd,
		    char *err, size_t errlen);
/*
 * Stop: no more connections accepted, every connection closed, its
 * unanswered tickets cancelled.  The loop then has nothing to run.
 */
void		 policy_server_stop(struct policy_server *);
/* Stop, then free; NULL is fine. */
void		 policy_server_free(struct policy_server *);

/* The answer, TEXT of "action=TEXT"; the ticket is gone after. */
void		 policy_reply(struct policy_ticket *, const char *text);
/* The handler's own pointer on a ticket, NULL until set. */
void		 policy_ticket_set(struct policy_ticket *, void *);
void		*policy_ticket_get(const struct policy_ticket *);
/* "conn=N" of the ticket's connection, for log lines. */
const char	*policy_ticket_peer(const struct policy_ticket *);

/*
 * policylisten.c: the socket of "--listen".  spec is "unix:PATH",
 * "PORT" (on 127.0.0.1), "ADDR:PORT" or "[ADDR6]:PORT".  A unix
 * socket replaces a stale socket at PATH (one nobody answers on),
 * never a live one or anything that is not a socket; it gets mode
 * (-1: 0660) and, when owner or group is not -1, that owner or group.
 * Returns the listening descriptor, non-blocking, or -1 with err.
 */
struct policy_listen {
	const char	*spec;
	int		 mode;
	long		 owner;		/* uid, or -1 */
	long		 group;		/* gid, or -1 */
};
int		 policy_listen_open(const struct policy_listen *, char *err,
		    size_t errlen);
/* The PATH of a unix: spec, or NULL: what to unlink at the end. */
const char	*policy_listen_path(const char *spec);

#endif /* POLICYCONN_H */
