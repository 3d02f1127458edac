/*
 * authres.h: one message as it passes through filter-spf's data-line
 * requests.  Our header fields go on top; in the header section, an
 * Authentication-Results field with our authserv-id, which a client
 * must not be able to bring in (RFC 8601 5), is taken out; every other
 * line goes back exactly as it came.  Only fields below smtpd's own
 * Received: came from the client: those above it were put there by a
 * filter before us in the chain (a DKIM verifier) and stay, so the
 * chain's order cannot lose them.
 */
#ifndef AUTHRES_H
#define AUTHRES_H

struct evbuffer;
struct proto_session;
struct spf_config;

/* Where an incoming Authentication-Results field stands. */
enum ar_state {
	AR_NONE,		/* not inside one */
	AR_PENDING,		/* authserv-id not seen yet: lines held */
	AR_DROP			/* ours: its continuation lines go too */
};

/* Received-SPF for HELO and MAIL FROM, Authentication-Results */
#define AUTHRES_FIELDS	3

struct authres {
	struct proto_session	*ps;
	const struct spf_config	*cfg;		/* for the log */
	const char		*ids[2];	/* our authserv-ids, or "" */

	/* The transaction: set before the message comes. */
	int			 strip;		/* remove forged fields */
	char			*hdr[AUTHRES_FIELDS];	/* ours, or NULL */

	int			 in_data;
	int			 in_header;
	int			 from_client;	/* below smtpd's Received */
	enum ar_state		 ar;
	struct evbuffer		*held;		/* a field's lines, '\n' ended */
};

/*
 * Set up for a session; ids are the authserv-ids that are ours (the
 * receiver and smtpd's admd) and must live as long.  -1 without memory.
 */
int	 authres_init(struct authres *, struct proto_session *,
	    const struct spf_config *, const char *, const char *);
void	 authres_free(struct authres *);
/* Forget the transaction: its header fields, the strip flag. */
void	 authres_reset(struct authres *);
/* One data line, answered with proto_dataline() as it decides. */
void	 authres_line(struct authres *, const char *token, const char *line);
/* The start of a line too long to hold: pass it on, or drop it. */
enum proto_dataline_verdict authres_line_long(struct authres *,
	    const char *token, const char *prefix);

#endif /* AUTHRES_H */
