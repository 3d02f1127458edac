/*
 * authres.c: the message through the data-line requests (authres.h):
 * our header fields on top, forged Authentication-Results out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "spf.h"
#include "proto.h"
#include "authres.h"

#define AR_PEEK		8192	/* of a held field, for its id */

static const char ar_name[] = "Authentication-Results";

static void	 message_begin(struct authres *, const char *);
static int	 is_ar_header(const char *);
static int	 authserv_id(const char *, char *, size_t);
static int	 ours(const struct authres *, const char *);
static int	 ar_decide(struct authres *, const char *, const char *, int);
static void	 ar_finish(struct authres *, const char *);
static void	 held_flush(struct authres *, const char *);

int
authres_init(struct authres *s, struct proto_session *ps,
    const struct spf_config *cfg, const char *id0, const char *id1)
{
	memset(s, 0, sizeof(*s));
	s->ps = ps;
	s->cfg = cfg;
	s->ids[0] = id0;
	s->ids[1] = id1;
	if ((s->held = evbuffer_new()) == NULL)
		return -1;
	return 0;
}

void
authres_free(struct authres *s)
{
	authres_reset(s);
	if (s->held != NULL)
		evbuffer_free(s->held);
	s->held = NULL;
}

void
authres_reset(struct authres *s)
{
	int	 i;

	for (i = 0; i < AUTHRES_FIELDS; i++) {
		free(s->hdr[i]);
		s->hdr[i] = NULL;
	}
	s->strip = 0;
	s->in_data = s->in_header = 0;
	s->ar = AR_NONE;
	if (s->held != NULL)
		evbuffer_drain(s->held, evbuffer_get_length(s->held));
}

/*
 * Our headers go in before the first line (smtpd's own Received:), RFC
 * 7208 9.1; every line but a forged field goes back exactly as it came,
 * dot-stuffing and all, up to the final ".".
 */
void
authres_line(struct authres *s, const char *token, const char *line)
{
	struct proto_session	*ps = s->ps;

	if (!s->in_data)
		message_begin(s, token);
	if (strcmp(line, ".") == 0) {
		ar_finish(s, token);
		proto_dataline(ps, token, ".");
		authres_reset(s);	/* the next message needs its own */
		return;
	}
	if (!s->in_header) {
		proto_dataline(ps, token, line);
		return;
	}
	if (line[0] == ' ' || line[0] == '\t') {
		/* A continuation line of the field before. */
		if (s->ar == AR_DROP)
			return;
		if (s->ar == AR_PENDING) {
			evbuffer_add_printf(s->held, "%s\n", line);
			(void)ar_decide(s, token, NULL, 0);
			return;
		}
		proto_dataline(ps, token, line);
		return;
	}
	/* A new field, or the empty line that ends the header section. */
	ar_finish(s, token);
	if (line[0] == '\0')
		s->in_header = 0;
	else if (!s->from_client && strncasecmp(line, "Received:", 9) == 0)
		s->from_client = 1;
	else if (s->strip && s->from_client && is_ar_header(line)) {
		s->ar = AR_PENDING;
		evbuffer_add_printf(s->held, "%s\n", line);
		(void)ar_decide(s, token, NULL, 0);
		return;
	}
	proto_dataline(ps, token, line);
}

/*
 * The same for a line too long to hold, of which we see the start: it
 * is sent on (or dropped) by proto.c after we return.
 */
enum proto_dataline_verdict
authres_line_long(struct authres *s, const char *token, const char *prefix)
{
	if (!s->in_data)
		message_begin(s, token);
	if (!s->in_header)
		return PROTO_LINE_PASS;
	if (prefix[0] == ' ' || prefix[0] == '\t') {
		if (s->ar == AR_PENDING)
			(void)ar_decide(s, token, prefix, 1);
		return s->ar == AR_DROP ? PROTO_LINE_DROP : PROTO_LINE_PASS;
	}
	ar_finish(s, token);
	if (!s->from_client && strncasecmp(prefix, "Received:", 9) == 0)
		s->from_client = 1;
	else if (s->strip && s->from_client && is_ar_header(prefix)) {
		s->ar = AR_PENDING;
		if (ar_decide(s, token, prefix, 1) == 0)
			return PROTO_LINE_DROP;
	}
	return PROTO_LINE_PASS;
}

static void
message_begin(struct authres *s, const char *token)
{
	int	 i;

	s->in_data = 1;
	s->in_header = 1;
	s->from_client = 0;
	s->ar = AR_NONE;
	for (i = 0; i < AUTHRES_FIELDS; i++)
		if (s->hdr[i] != NULL)
			proto_dataline(s->ps, token, s->hdr[i]);
}

static int
is_ar_header(const char *line)
{
	size_t	 n = sizeof(ar_name) - 1;

	if (strncasecmp(line, ar_name, n) != 0)
		return 0;
	line += n;
	line += strspn(line, " \t");
	return *line == ':';
}

/*
 * The authserv-id of an Authentication-Results field (RFC 8601 2.2):
 * the first value after the colon, past any CFWS.  Returns 1 with it in
 * id, 0 if the text so far holds only CFWS.
 */
static int
authserv_id(const char *h, char *id, size_t idlen)
{
	const char	*p;
	size_t		 n = 0;
	int		 depth = 0;

	if ((p = strchr(h, ':')) == NULL)
		return 0;
	for (p++; *p != '\0'; p++) {
		if (depth > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p != ' ' && *p != '\t' && *p != '\n')
			break;
	}
	if (*p == '\0')
		return 0;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n + 1 < idlen)
				id[n++] = *p;
		}
	} else {
		for (; *p != '\0' && strchr(" \t\n;(", *p) == NULL; p++)
			if (n + 1 < idlen)
				id[n++] = *p;
	}
	id[n] = '\0';
	return 1;
}

static int
ours(const struct authres *s, const char *id)
{
	int	 i;

	for (i = 0; i < 2; i++)
		if (s->ids[i][0] != '\0' && strcasecmp(id, s->ids[i]) == 0)
			return 1;
	return 0;
}

/*
 * Decide on the held Authentication-Results field once its authserv-id
 * is known, or now if force: ours is dropped with its continuation
 * lines, any other goes out as it came.  extra is more of the field,
 * looked at but not held.  Returns 0 if dropped, 1 if sent, -1 if still
 * undecided.
 */
static int
ar_decide(struct authres *s, const char *token, const char *extra, int force)
{
	char	 buf[AR_PEEK], id[SPF_DOMAIN_LEN];
	size_t	 len, n;
	int	 known;

	len = evbuffer_get_length(s->held);
	n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
	if (evbuffer_copyout(s->held, buf, n) == -1)
		n = 0;
	buf[n] = '\0';
	if (extra != NULL)
		(void)strlcat(buf, extra, sizeof(buf));
	known = authserv_id(buf, id, sizeof(id));
	/* Only CFWS yet: the id may come on the next line. */
	if (!known && !force && len < sizeof(buf) - 1)
		return -1;
	if (known && ours(s, id)) {
		spf_log(s->cfg, "session=%s removed an incoming "
		    "Authentication-Results header with our authserv-id "
		    "\"%s\"", s->ps->idstr, id);
		evbuffer_drain(s->held, len);
		s->ar = AR_DROP;
		return 0;
	}
	held_flush(s, token);
	s->ar = AR_NONE;
	return 1;
}

/* A header field ends: settle a held one. */
static void
ar_finish(struct authres *s, const char *token)
{
	if (s->ar == AR_PENDING)
		(void)ar_decide(s, token, NULL, 1);
	s->ar = AR_NONE;
}

/* Send the held lines as they came. */
static void
held_flush(struct authres *s, const char *token)
{
	char	*line;
	size_t	 n;

	while ((line = evbuffer_readln(s->held, &n, EVBUFFER_EOL_LF)) !=
	    NULL) {
		proto_dataline(s->ps, token, line);
		free(line);
	}
}
