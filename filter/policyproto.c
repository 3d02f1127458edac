/*
 * policyproto.c: the requests and answers of Postfix's SMTP access
 * policy delegation protocol (Postfix's SMTPD_POLICY_README).
 *
 * The contract, as this file keeps it:
 * - A request is a sequence of "name=value" lines, each ended by a
 *   newline, and is ended by an empty line.  A carriage return before
 *   a newline is dropped (a client typing by hand).
 * - Names are matched exactly.  The attributes of struct
 *   policy_request are kept; every other one is counted and ignored,
 *   as the protocol asks of a server.  A name given twice: the last
 *   value counts.
 * - Bounds, each a named limit of policyproto.h: POLICY_LINE_MAX
 *   octets a line, POLICY_ATTRS_MAX lines, POLICY_REQUEST_MAX octets a
 *   request, a kept value within its field.  Past a bound, or at a NUL
 *   octet, a line without "=" or an empty name, the request is marked
 *   malformed; its lines are still taken up to the empty line, so the
 *   next request starts in step, and it is answered like any other.
 * - An answer is "action=TEXT" and an empty line; TEXT is one line.
 * Nothing here does I/O or remembers anything beyond the request
 * being read: policyconn.c carries requests and answers.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "policyproto.h"

/* Where each kept attribute goes. */
struct attr {
	const char	*name;
	size_t		 offset;
	size_t		 size;
};

#define ATTR(n, f) { n, offsetof(struct policy_request, f), \
	sizeof(((struct policy_request *)0)->f) }

static const struct attr attrs[] = {
	ATTR("request", request),
	ATTR("protocol_state", protocol_state),
	ATTR("client_address", client_address),
	ATTR("helo_name", helo_name),
	ATTR("sender", sender),
	ATTR("recipient", recipient),
	ATTR("sasl_username", sasl_username),
	ATTR("instance", instance),
	ATTR("queue_id", queue_id),
};

#define NATTRS	(sizeof(attrs) / sizeof(attrs[0]))

static void	keep(struct policy_request *, const char *, size_t,
		    const char *, size_t);

void
policy_request_init(struct policy_request *req)
{
	size_t	 i;

	for (i = 0; i < NATTRS; i++)
		((char *)req + attrs[i].offset)[0] = '\0';
	req->nattrs = 0;
	req->size = 0;
	req->malformed = NULL;
}

void
policy_request_fault(struct policy_request *req, const char *why)
{
	if (req->malformed == NULL)
		req->malformed = why;
}

/* One attribute into its field, if it is one spfgate keeps. */
static void
keep(struct policy_request *req, const char *name, size_t namelen,
    const char *value, size_t valuelen)
{
	size_t	 i;
	char	*field;

	for (i = 0; i < NATTRS; i++) {
		if (strlen(attrs[i].name) != namelen ||
		    memcmp(attrs[i].name, name, namelen) != 0)
			continue;
		if (valuelen >= attrs[i].size) {
			policy_request_fault(req, "attribute value too long");
			return;
		}
		field = (char *)req + attrs[i].offset;
		memcpy(field, value, valuelen);
		field[valuelen] = '\0';
		return;
	}
}

int
policy_line(struct policy_request *req, const char *line, size_t len)
{
	const char	*eq;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return POLICY_END;
	/* counted before the checks: a flood is bounded either way */
	req->size += len + 1;
	if (req->size > POLICY_REQUEST_MAX)
		policy_request_fault(req, "request too long");
	if (++req->nattrs > POLICY_ATTRS_MAX)
		policy_request_fault(req, "too many attributes");
	if (len > POLICY_LINE_MAX)
		policy_request_fault(req, "line too long");
	if (req->malformed != NULL)
		return POLICY_MORE;
	if (memchr(line, '\0', len) != NULL) {
		policy_request_fault(req, "NUL octet in a line");
		return POLICY_MORE;
	}
	if ((eq = memchr(line, '=', len)) == NULL) {
		policy_request_fault(req, "line without name=value");
		return POLICY_MORE;
	}
	if (eq == line) {
		policy_request_fault(req, "attribute without a name");
		return POLICY_MORE;
	}
	keep(req, line, (size_t)(eq - line), eq + 1,
	    len - (size_t)(eq - line) - 1);
	return POLICY_MORE;
}

int
policy_answer(const char *text, char *buf, size_t len)
{
	int	 n;

	if (len > 0)
		buf[0] = '\0';
	if (text[0] == '\0' || strpbrk(text, "\r\n") != NULL)
		return -1;
	n = snprintf(buf, len, "action=%s\n\n", text);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return n;
}
