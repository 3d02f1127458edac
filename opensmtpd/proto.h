/*
 * proto.h: the OpenSMTPD filter protocol of smtpd-filters(7), as
 * callbacks and reply verbs.
 *
 * smtpd writes one line per event on our stdin and reads our answers on
 * stdout.  This layer owns both descriptors, the handshake, the line
 * framing, the protocol versions (0.6 in smtpd 6.8, 0.7 in 7.4 and
 * later) and one proto_session per smtpd session.  The filter sees
 * only callbacks with parsed fields and answers through the verbs
 * below; nothing outside proto.c writes a '|' line.
 *
 * Every filter request handed to a callback must be answered exactly
 * once, at once or later from the event loop, with proto_proceed(),
 * proto_reject() or (data-line) proto_dataline() ending with ".", unless
 * the session ends first.  Requests for phases without a callback are
 * answered here (proceed, or the line echoed back).
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

#define PROTO_ID_LEN	17		/* 16 hex digits and NUL */
/*
 * Longest line taken whole.  smtpd refuses SMTP lines of 65535 octets
 * or more (SMTP_LINE_MAX), so every line it writes, prefix included,
 * fits; a longer one (a filter before us in a chain) is streamed.
 */
#define PROTO_LINE_MAX	(65536 + 1024)

struct proto_session {
	uint64_t	 id;
	char		 idstr[PROTO_ID_LEN];	/* as smtpd wrote it */
	void		*data;			/* the filter's own state */
};

enum proto_dataline_verdict {
	PROTO_LINE_PASS,
	PROTO_LINE_DROP
};

/*
 * The client of a session, from link-connect's src: smtpd writes
 * "1.2.3.4:5678", "[2001:db8::25]:41234", or for its unix socket
 * "unix:/path" (older: "local").  Read once, here.
 */
enum proto_src_kind {
	PROTO_SRC_ADDR,		/* ip holds the address */
	PROTO_SRC_LOCAL,	/* the unix socket: no address */
	PROTO_SRC_UNUSABLE	/* nothing we could read as one */
};

#define PROTO_ADDR_LEN	46	/* INET6_ADDRSTRLEN */

struct proto_src {
	enum proto_src_kind kind;
	char		 ip[PROTO_ADDR_LEN];	/* canonical text, or "" */
	int		 loopback;	/* 127/8, ::1, ::ffff:127/104 */
	const char	*text;		/* as smtpd wrote it, for logs */
};

struct proto_callbacks {
	/* Called with each formatted log line (no newline). */
	void	 (*log)(const char *);

	/* Handshake: every config|KEY|VALUE line, then config|ready. */
	void	 (*config)(const char *key, const char *value);
	/* Returns 0, or -1 to refuse to run (the loop stops). */
	int	 (*ready)(void);

	/* A session's state: made at its first event, freed at its end. */
	void	*(*session_new)(struct proto_session *);
	void	 (*session_free)(struct proto_session *);

	/* Report events: no answer. */
	void	 (*link_connect)(struct proto_session *, const char *rdns,
		    const char *fcrdns, const struct proto_src *src,
		    const char *dest);
	void	 (*link_identify)(struct proto_session *, const char *method,
		    const char *identity);
	/* The same argument order for every protocol version. */
	void	 (*link_auth)(struct proto_session *, const char *username,
		    const char *result);

	/* Filter requests: answer each with a verb, echoing token. */
	void	 (*helo)(struct proto_session *, const char *token,
		    const char *identity);
	void	 (*ehlo)(struct proto_session *, const char *token,
		    const char *identity);
	void	 (*mail_from)(struct proto_session *, const char *token,
		    const char *address);
	/* Registered only when set: per-recipient answers. */
	void	 (*rcpt_to)(struct proto_session *, const char *token,
		    const char *address);
	void	 (*data_line)(struct proto_session *, const char *token,
		    const char *line);
	/*
	 * A data-line longer than PROTO_LINE_MAX: prefix holds its first
	 * octets.  The filter writes what must come before it and says
	 * whether the line goes on (streamed through unchanged) or is
	 * dropped.
	 */
	enum proto_dataline_verdict (*data_line_long)(struct proto_session *,
		    const char *token, const char *prefix);
};

/*
 * Take over stdin and stdout (made non-blocking) in base.  Returns 0,
 * or -1 with the reason in err.
 */
int		 proto_init(struct event_base *, const struct proto_callbacks *,
		    char *err, size_t errlen);
/*
 * After the loop ended: 0 when smtpd closed our input (or stopped
 * reading our output), -1 when the filter refused to run (an unknown
 * protocol version, a failed ready callback).
 */
int		 proto_status(void);
/* Write what is still buffered for smtpd, blocking; then free all. */
void		 proto_shutdown(void);

/* The protocol version smtpd speaks, "" until known. */
const char	*proto_version(void);

/* Reply verbs. */
void		 proto_proceed(struct proto_session *, const char *token);
/* reply is a full SMTP reply, "550 ...", on one line. */
void		 proto_reject(struct proto_session *, const char *token,
		    const char *reply);
/* One output line of the message; the last one is ".". */
void		 proto_dataline(struct proto_session *, const char *token,
		    const char *line);

#endif /* PROTO_H */
