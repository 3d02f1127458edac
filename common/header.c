/*
 * header.c: what a result looks like to mail: the Received-SPF header
 * (RFC 7208 9.1), the Authentication-Results header (RFC 8601), the SMTP
 * reply for reject and defer (RFC 7372 codes), and the log line.
 *
 * Everything here is text from strangers (senders, HELO names, DNS
 * data) put into header syntax, so every value goes through one of the
 * quoting functions below and every line through the core's one
 * bounded builder (sbuf.c).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spfint.h"

static void	put_escaped(struct sbuf *, const char *, int);
static void	put_quoted(struct sbuf *, const char *);
static void	put_value(struct sbuf *, const char *);
static void	put_comment(struct sbuf *, const char *);
static void	put_addr_spec(struct sbuf *, const char *);
static int	is_dot_atom(const char *, size_t);
static void	describe(struct sbuf *, const struct spf_result *,
		    const struct spf_config *);
static const char *who(const struct spf_result *);

/* A string literal: its length is known when compiled, not counted. */
#define PUT_LIT(l, s)	sbuf_put((l), (s), sizeof(s) - 1)

/*
 * What each octet is to a header, one table for the loops over every
 * value (a test per kind of octet cost 2,600 instructions a message).
 * The octets from 0x80 on are none of these.
 */
#define OC_ATEXT	0x01	/* RFC 5322 atext, ASCII */
#define OC_PLAIN	0x02	/* visible or space, not backslash */
#define OC_QUOTE	0x04	/* ends a quoted-string */
#define OC_PAREN	0x08	/* opens or closes a comment */

static const unsigned char	octet_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 10 */
	2, 3, 6, 3, 3, 3, 3, 3, 10, 10, 3, 3, 2, 3, 2, 3,	/* 20 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 3, 2, 3,	/* 30 */
	2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 40 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 0, 2, 3, 3,	/* 50 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 60 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0	/* 70 */
};

/*
 * Visible ASCII as it is, backslash and the octets of kind special
 * (OC_QUOTE or OC_PAREN) backslash-quoted, UTF-8 as it is (RFC 6532
 * lets the header of internationalized mail carry it), and anything
 * else, which no header may carry, as '?'.
 */
static void
put_escaped(struct sbuf *l, const char *s, int special)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 run;
	char	 pair[2] = { '\\', 0 };
	int	 n;

	while (*p != '\0') {
		/* a run in one sbuf_put: a header is mostly such runs */
		for (run = 0; (octet_class[p[run]] & (OC_PLAIN | special)) ==
		    OC_PLAIN; run++)
			;
		if (run > 0) {
			sbuf_put(l, (const char *)p, run);
			p += run;
		} else if (*p >= 0x20 && *p <= 0x7e) {
			pair[1] = (char)*p++;
			sbuf_put(l, pair, 2);
		} else if (*p >= 0x80 && (n = utf8_len(p)) > 1) {
			sbuf_put(l, (const char *)p, (size_t)n);
			p += n;
		} else {
			sbuf_put(l, "?", 1);
			p++;
		}
	}
}

/* atext includes UTF-8 beyond ASCII (RFC 6532 3.2) */
static int
is_dot_atom(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i;
	int			 n;

	if (len == 0 || u[0] == '.' || u[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i += n) {
		n = 1;
		if (octet_class[u[i]] & OC_ATEXT)
			continue;
		if (u[i] == '.') {
			if (u[i - 1] == '.')
				return 0;
		} else if (u[i] < 0x80 || (n = utf8_len(u + i)) < 2 ||
		    (size_t)n > len - i)
			return 0;
	}
	return 1;
}

/* A quoted-string; what cannot be said in one becomes '?'. */
static void
put_quoted(struct sbuf *l, const char *s)
{
	sbuf_put(l, "\"", 1);
	put_escaped(l, s, OC_QUOTE);
	sbuf_put(l, "\"", 1);
}

/* dot-atom where it is one, else a quoted-string (9.1 key-value-pair) */
static void
put_value(struct sbuf *l, const char *s)
{
	size_t	 len = strlen(s);

	if (is_dot_atom(s, len))
		sbuf_put(l, s, len);
	else
		put_quoted(l, s);
}

/* Comment text: parentheses and backslashes quoted, the rest visible. */
static void
put_comment(struct sbuf *l, const char *s)
{
	put_escaped(l, s, OC_PAREN);
}

/* RFC 8601 pvalue for an address: local-part@domain, quoted as needed. */
static void
put_addr_spec(struct sbuf *l, const char *addr)
{
	const char	*at = strrchr(addr, '@');
	size_t		 ll;

	if (at == NULL || !is_dot_atom(at + 1, strlen(at + 1))) {
		put_value(l, addr);
		return;
	}
	ll = (size_t)(at - addr);
	if (ll > 0 && is_dot_atom(addr, ll))
		sbuf_put(l, addr, ll);
	else if (ll > 0) {
		char	 local[SPF_SENDER_LEN];

		(void)snprintf(local, sizeof(local), "%.*s", (int)ll, addr);
		put_quoted(l, local);
	}
	PUT_LIT(l, "@");
	sbuf_puts(l, at + 1);
}

/* Whose policy it was: the sender, or the HELO name for that identity. */
static const char *
who(const struct spf_result *r)
{
	return r->identity == SPF_ID_HELO ? r->helo : r->sender;
}

/*
 * The comment RFC 7208 8 suggests for each result, its parts quoted
 * one by one: each sits between ASCII text, so that is the quoting of
 * the whole, without formatting it first.
 */
static void
describe(struct sbuf *l, const struct spf_result *r,
    const struct spf_config *cfg)
{
	PUT_LIT(l, " (");
	put_comment(l, cfg->receiver);
	switch (r->code) {
	case SPF_PASS:
		PUT_LIT(l, ": domain of ");
		put_comment(l, who(r));
		PUT_LIT(l, " designates ");
		put_comment(l, r->client_ip);
		PUT_LIT(l, " as permitted sender");
		break;
	case SPF_FAIL:
		PUT_LIT(l, ": domain of ");
		put_comment(l, who(r));
		PUT_LIT(l, " does not designate ");
		put_comment(l, r->client_ip);
		PUT_LIT(l, " as permitted sender");
		break;
	case SPF_SOFTFAIL:
		PUT_LIT(l, ": domain of transitioning ");
		put_comment(l, who(r));
		PUT_LIT(l, " does not designate ");
		put_comment(l, r->client_ip);
		PUT_LIT(l, " as permitted sender");
		break;
	case SPF_NEUTRAL:
		PUT_LIT(l, ": ");
		put_comment(l, r->client_ip);
		PUT_LIT(l, " is neither permitted nor denied by domain of ");
		put_comment(l, who(r));
		break;
	case SPF_NONE:
		PUT_LIT(l, ": domain of ");
		put_comment(l, who(r));
		PUT_LIT(l, " does not designate permitted sender hosts");
		break;
	case SPF_TEMPERROR:
		PUT_LIT(l, ": error in processing during lookup of ");
		put_comment(l, who(r));
		break;
	default:
		PUT_LIT(l, ": permanent error in processing domain of ");
		put_comment(l, who(r));
		break;
	}
	PUT_LIT(l, ")");
}

/*
 * RFC 5322 lines end by 998 octets.  Values come from strangers and may
 * be long or full of quotes: when the full header would not fit, a
 * compact one leaves out the comment, mechanism and problem and cuts the
 * remaining values.
 */
#define HEADER_MAX	998
#define COMPACT_VALUE	160
/* "Authentication-Results: " + a 255-octet authserv-id + "; " */
#define AR_PREFIX_MAX	(24 + SPF_DOMAIN_LEN - 1 + 2)

static void	received_spf(struct sbuf *, const struct spf_result *,
		    const struct spf_config *, int);
static void	method(struct sbuf *, const struct spf_result *, int);
static void	put_cut(struct sbuf *, const char *, int,
		    void (*)(struct sbuf *, const char *));

/*
 * Put a value through fn, cut to at most COMPACT_VALUE octets if
 * compact.  The cut falls between characters: the tail of a UTF-8
 * sequence cut in two would no longer be UTF-8 and would show as '?'
 * (and make a dot-atom a quoted-string).
 */
static void
put_cut(struct sbuf *l, const char *s, int compact,
    void (*fn)(struct sbuf *, const char *))
{
	const unsigned char *u = (const unsigned char *)s;
	char	 cut[COMPACT_VALUE + 1];
	size_t	 len = COMPACT_VALUE, i;

	if (compact && strlen(s) > COMPACT_VALUE) {
		/* back over at most 3 continuation octets to a lead octet */
		for (i = len; i > 0 && len - i < 3 && (u[i] & 0xc0) == 0x80;
		    i--)
			;
		if (i < len && (size_t)utf8_len(u + i) > len - i)
			len = i;
		memcpy(cut, s, len);
		cut[len] = '\0';
		s = cut;
	}
	fn(l, s);
}

static void
received_spf(struct sbuf *l, const struct spf_result *r,
    const struct spf_config *cfg, int compact)
{
	PUT_LIT(l, "Received-SPF: ");
	sbuf_puts(l, spf_code_str(r->code));
	if (!compact)
		describe(l, r, cfg);
	PUT_LIT(l, " client-ip=");
	put_value(l, r->client_ip);
	PUT_LIT(l, "; envelope-from=");
	put_cut(l, r->sender[0] != '\0' ? r->sender : "<>", compact,
	    put_value);
	if (r->helo[0] != '\0') {
		PUT_LIT(l, "; helo=");
		put_cut(l, r->helo, compact, put_value);
	}
	if (cfg->receiver[0] != '\0') {
		PUT_LIT(l, "; receiver=");
		put_cut(l, cfg->receiver, compact, put_value);
	}
	PUT_LIT(l, "; identity=");
	sbuf_puts(l, spf_identity_str(r->identity));
	if (r->mechanism[0] != '\0' && !compact) {
		PUT_LIT(l, "; mechanism=");
		put_value(l, r->mechanism);
	}
	if (r->problem[0] != '\0' && !compact) {
		PUT_LIT(l, "; problem=");
		put_quoted(l, r->problem);
	}
	if (r->dnssec != SPF_DNSSEC_UNVALIDATED) {
		PUT_LIT(l, "; dnssec=");
		sbuf_puts(l, spf_dnssec_str(r->dnssec));
	}
	PUT_LIT(l, ";");
}

int
header_received_spf(struct sbuf *l, const struct spf_result *r,
    const struct spf_config *cfg, size_t len)
{
	size_t	 start = l->len;

	received_spf(l, r, cfg, 0);
	if (l->len - start >= len || l->len - start > HEADER_MAX) {
		sbuf_rewind(l, start);
		received_spf(l, r, cfg, 1);
	}
	if (l->len - start >= len) {
		sbuf_rewind(l, start);
		return -1;
	}
	return (int)(l->len - start);
}

int
spf_received_spf(const struct spf_result *r, const struct spf_config *cfg,
    char *buf, size_t len)
{
	struct sbuf	 l;

	sbuf_fixed(&l, buf, len);
	if (header_received_spf(&l, r, cfg, len) == -1) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return sbuf_finish(&l);
}

static void
method(struct sbuf *l, const struct spf_result *r, int compact)
{
	PUT_LIT(l, "spf=");
	sbuf_puts(l, spf_code_str(r->code));
	if (r->dnssec != SPF_DNSSEC_UNVALIDATED) {
		PUT_LIT(l, " (dnssec=");
		sbuf_puts(l, spf_dnssec_str(r->dnssec));
		PUT_LIT(l, ")");
	}
	if ((r->code == SPF_TEMPERROR || r->code == SPF_PERMERROR) &&
	    r->problem[0] != '\0' && !compact) {
		PUT_LIT(l, " reason=");
		put_quoted(l, r->problem);
	}
	if (r->identity == SPF_ID_HELO) {
		PUT_LIT(l, " smtp.helo=");
		put_cut(l, r->helo, compact, put_value);
	} else {
		PUT_LIT(l, " smtp.mailfrom=");
		put_cut(l, r->sender, compact, put_addr_spec);
	}
}

int
spf_headers_wanted(const struct spf_result *r, const struct spf_config *cfg)
{
	return r->action == SPF_TAG || (r->action == SPF_ACCEPT &&
	    cfg->headers);
}

int
header_authres_method(struct sbuf *l, const struct spf_result *r, size_t len)
{
	size_t	 start = l->len;

	method(l, r, 0);
	/*
	 * Leave room for what the caller puts before it: the field name,
	 * an authserv-id of up to 255 octets and "; ".
	 */
	if (l->len - start >= len ||
	    l->len - start > HEADER_MAX - AR_PREFIX_MAX) {
		sbuf_rewind(l, start);
		method(l, r, 1);
	}
	if (l->len - start >= len) {
		sbuf_rewind(l, start);
		return -1;
	}
	return (int)(l->len - start);
}

int
spf_authres_method(const struct spf_result *r, char *buf, size_t len)
{
	struct sbuf	 l;

	sbuf_fixed(&l, buf, len);
	if (header_authres_method(&l, r, len) == -1) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return sbuf_finish(&l);
}

void
header_authres_prefix(struct sbuf *l, const struct spf_config *cfg)
{
	PUT_LIT(l, "Authentication-Results: ");
	put_value(l, cfg->receiver[0] != '\0' ? cfg->receiver : "localhost");
	PUT_LIT(l, "; ");
}

int
spf_authres_header(const struct spf_result *r, const struct spf_config *cfg,
    char *buf, size_t len)
{
	struct sbuf	 l;
	char		 m[SPF_HEADER_LEN];

	if (spf_authres_method(r, m, sizeof(m)) == -1) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	sbuf_fixed(&l, buf, len);
	header_authres_prefix(&l, cfg);
	sbuf_puts(&l, m);
	return sbuf_finish(&l);
}

int
spf_smtp_reply(const struct spf_result *r, char *buf, size_t len)
{
	struct sbuf	 l;
	char		 text[SPF_EXPLANATION_LEN + SPF_PROBLEM_LEN];
	size_t		 i;

	sbuf_fixed(&l, buf, len);
	switch (r->action) {
	case SPF_REJECT:
		if (r->code == SPF_FAIL && r->explanation[0] != '\0')
			(void)strlcpy(text, r->explanation, sizeof(text));
		else if (r->code == SPF_TEMPERROR || r->code == SPF_PERMERROR ||
		    (r->code == SPF_PASS && r->problem[0] != '\0'))
			(void)snprintf(text, sizeof(text), "SPF %s for %s: %s",
			    spf_code_str(r->code), r->domain, r->problem);
		else
			(void)snprintf(text, sizeof(text), "SPF %s: %s is not "
			    "authorized to send mail from %s",
			    spf_code_str(r->code), r->client_ip, r->domain);
		sbuf_printf(&l, "550 %s ", r->code == SPF_TEMPERROR ||
		    r->code == SPF_PERMERROR ? "5.7.24" : "5.7.23");
		break;
	case SPF_DEFER:
		if (r->code == SPF_TEMPERROR)
			(void)snprintf(text, sizeof(text), "SPF temporary "
			    "error for %s: %s", r->domain, r->problem[0] ?
			    r->problem : "try again later");
		else
			(void)snprintf(text, sizeof(text), "SPF %s for %s, "
			    "try again later", spf_code_str(r->code),
			    r->domain);
		PUT_LIT(&l, "451 4.7.24 ");
		break;
	default:
		return sbuf_finish(&l);
	}
	/* one line of visible text, within SMTP's 512-octet reply line */
	for (i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 ||
		    (unsigned char)text[i] > 0x7e)
			text[i] = '?';
	if (l.len + strlen(text) > 508)
		text[508 - l.len] = '\0';
	sbuf_puts(&l, text);
	return sbuf_finish(&l);
}

void
header_log_line(struct sbuf *l, const struct spf_result *r)
{
	PUT_LIT(l, "result=");
	sbuf_puts(l, spf_code_str(r->code));
	PUT_LIT(l, " action=");
	sbuf_puts(l, spf_action_str(r->action));
	PUT_LIT(l, " identity=");
	sbuf_puts(l, spf_identity_str(r->identity));
	PUT_LIT(l, " client=");
	sbuf_puts(l, r->client_ip);
	PUT_LIT(l, " sender=");
	put_value(l, r->sender[0] != '\0' ? r->sender : "<>");
	PUT_LIT(l, " helo=");
	put_value(l, r->helo[0] != '\0' ? r->helo : "<>");
	PUT_LIT(l, " domain=");
	put_value(l, r->domain);
	if (r->mechanism[0] != '\0') {
		PUT_LIT(l, " mechanism=");
		put_value(l, r->mechanism);
	}
	PUT_LIT(l, " lookups=");
	sbuf_putint(l, r->lookups);
	PUT_LIT(l, " void=");
	sbuf_putint(l, r->void_lookups);
	PUT_LIT(l, " dnssec=");
	sbuf_puts(l, spf_dnssec_str(r->dnssec));
	if (r->problem[0] != '\0') {
		PUT_LIT(l, " problem=");
		put_quoted(l, r->problem);
	}
}

int
spf_log_line(const struct spf_result *r, char *buf, size_t len)
{
	struct sbuf	 l;

	sbuf_fixed(&l, buf, len);
	header_log_line(&l, r);
	return sbuf_finish(&l);
}
