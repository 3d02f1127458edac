/*
 * header.c: what a result looks like to mail: the Received-SPF header
 * (RFC 7208 9.1), the Authentication-Results header (RFC 8601), the SMTP
 * reply for reject and defer (RFC 7372 codes), and the log line.
 *
 * Everything here is text from strangers (senders, HELO names, DNS
 * data) put into header syntax, so every value goes through one of the
 * quoting functions below and every line through one bounded builder.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spfint.h"

struct line {
	char	*buf;
	size_t	 cap, len;
	int	 overflow;
};

static void	put(struct line *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	put_raw(struct line *, const char *, size_t);
static void	put_escaped(struct line *, const char *, const char *);
static void	put_quoted(struct line *, const char *);
static void	put_value(struct line *, const char *);
static void	put_comment(struct line *, const char *);
static void	put_addr_spec(struct line *, const char *);
static int	is_atext(int);
static int	is_dot_atom(const char *, size_t);
static int	finish(struct line *);
static void	describe(struct line *, const struct spf_result *,
		    const struct spf_config *);
static const char *who(const struct spf_result *);

static void
put(struct line *l, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (l->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->cap - l->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= l->cap - l->len) {
		l->overflow = 1;
		return;
	}
	l->len += (size_t)n;
}

static void
put_raw(struct line *l, const char *p, size_t n)
{
	if (l->overflow)
		return;
	if (n >= l->cap - l->len) {
		l->overflow = 1;
		return;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

/*
 * Visible ASCII as it is, the octets in quote backslash-quoted, and
 * anything else, which no header may carry, as '?'.
 */
static void
put_escaped(struct line *l, const char *s, const char *quote)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 run;
	char	 pair[2] = { '\\', 0 };

	while (*p != '\0') {
		for (run = 0; p[run] >= 0x20 && p[run] <= 0x7e &&
		    strchr(quote, p[run]) == NULL; run++)
			;
		if (run > 0) {
			put_raw(l, (const char *)p, run);
			p += run;
		} else if (*p >= 0x20 && *p <= 0x7e) {
			pair[1] = (char)*p++;
			put_raw(l, pair, 2);
		} else {
			put_raw(l, "?", 1);
			p++;
		}
	}
}

static int
finish(struct line *l)
{
	if (l->overflow) {
		if (l->cap > 0)
			l->buf[0] = '\0';
		return -1;
	}
	return (int)l->len;
}

/* RFC 5322 atext */
static int
is_atext(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static int
is_dot_atom(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* A quoted-string; what cannot be said in one becomes '?'. */
static void
put_quoted(struct line *l, const char *s)
{
	put_raw(l, "\"", 1);
	put_escaped(l, s, "\"\\");
	put_raw(l, "\"", 1);
}

/* dot-atom where it is one, else a quoted-string (9.1 key-value-pair) */
static void
put_value(struct line *l, const char *s)
{
	size_t	 len = strlen(s);

	if (is_dot_atom(s, len))
		put_raw(l, s, len);
	else
		put_quoted(l, s);
}

/* Comment text: parentheses and backslashes quoted, the rest visible. */
static void
put_comment(struct line *l, const char *s)
{
	put_escaped(l, s, "()\\");
}

/* RFC 8601 pvalue for an address: local-part@domain, quoted as needed. */
static void
put_addr_spec(struct line *l, const char *addr)
{
	const char	*at = strrchr(addr, '@');
	size_t		 ll;

	if (at == NULL || !is_dot_atom(at + 1, strlen(at + 1))) {
		put_value(l, addr);
		return;
	}
	ll = (size_t)(at - addr);
	if (ll > 0 && is_dot_atom(addr, ll))
		put(l, "%.*s", (int)ll, addr);
	else if (ll > 0) {
		char	 local[SPF_SENDER_LEN];

		(void)snprintf(local, sizeof(local), "%.*s", (int)ll, addr);
		put_quoted(l, local);
	}
	put(l, "@%s", at + 1);
}

/* Whose policy it was: the sender, or the HELO name for that identity. */
static const char *
who(const struct spf_result *r)
{
	return r->identity == SPF_ID_HELO ? r->helo : r->sender;
}

/* The comment RFC 7208 8 suggests for each result. */
static void
describe(struct line *l, const struct spf_result *r,
    const struct spf_config *cfg)
{
	char	 text[1024];

	switch (r->code) {
	case SPF_PASS:
		(void)snprintf(text, sizeof(text), "%s: domain of %s "
		    "designates %s as permitted sender", cfg->receiver, who(r),
		    r->client_ip);
		break;
	case SPF_FAIL:
		(void)snprintf(text, sizeof(text), "%s: domain of %s does "
		    "not designate %s as permitted sender", cfg->receiver,
		    who(r), r->client_ip);
		break;
	case SPF_SOFTFAIL:
		(void)snprintf(text, sizeof(text), "%s: domain of "
		    "transitioning %s does not designate %s as permitted "
		    "sender", cfg->receiver, who(r), r->client_ip);
		break;
	case SPF_NEUTRAL:
		(void)snprintf(text, sizeof(text), "%s: %s is neither "
		    "permitted nor denied by domain of %s", cfg->receiver,
		    r->client_ip, who(r));
		break;
	case SPF_NONE:
		(void)snprintf(text, sizeof(text), "%s: domain of %s does "
		    "not designate permitted sender hosts", cfg->receiver,
		    who(r));
		break;
	case SPF_TEMPERROR:
		(void)snprintf(text, sizeof(text), "%s: error in processing "
		    "during lookup of %s", cfg->receiver, who(r));
		break;
	default:
		(void)snprintf(text, sizeof(text), "%s: permanent error in "
		    "processing domain of %s", cfg->receiver, who(r));
		break;
	}
	put(l, " (");
	put_comment(l, text);
	put(l, ")");
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

static void	received_spf(struct line *, const struct spf_result *,
		    const struct spf_config *, int);
static void	method(struct line *, const struct spf_result *, int);
static void	put_cut(struct line *, const char *, int,
		    void (*)(struct line *, const char *));

/* put a value through fn, cut to COMPACT_VALUE octets if compact */
static void
put_cut(struct line *l, const char *s, int compact,
    void (*fn)(struct line *, const char *))
{
	char	 cut[COMPACT_VALUE + 1];

	if (compact && strlen(s) > COMPACT_VALUE) {
		(void)strlcpy(cut, s, sizeof(cut));
		s = cut;
	}
	fn(l, s);
}

static void
received_spf(struct line *l, const struct spf_result *r,
    const struct spf_config *cfg, int compact)
{
	put(l, "Received-SPF: %s", spf_code_str(r->code));
	if (!compact)
		describe(l, r, cfg);
	put(l, " client-ip=");
	put_value(l, r->client_ip);
	put(l, "; envelope-from=");
	put_cut(l, r->sender[0] != '\0' ? r->sender : "<>", compact,
	    put_value);
	if (r->helo[0] != '\0') {
		put(l, "; helo=");
		put_cut(l, r->helo, compact, put_value);
	}
	if (cfg->receiver[0] != '\0') {
		put(l, "; receiver=");
		put_cut(l, cfg->receiver, compact, put_value);
	}
	put(l, "; identity=%s", spf_identity_str(r->identity));
	if (r->mechanism[0] != '\0' && !compact) {
		put(l, "; mechanism=");
		put_value(l, r->mechanism);
	}
	if (r->problem[0] != '\0' && !compact) {
		put(l, "; problem=");
		put_quoted(l, r->problem);
	}
	if (r->dnssec != SPF_DNSSEC_UNVALIDATED)
		put(l, "; dnssec=%s", spf_dnssec_str(r->dnssec));
	put(l, ";");
}

int
spf_received_spf(const struct spf_result *r, const struct spf_config *cfg,
    char *buf, size_t len)
{
	struct line	 l = { buf, len, 0, 0 };

	received_spf(&l, r, cfg, 0);
	if (l.overflow || l.len > HEADER_MAX) {
		l.len = 0;
		l.overflow = 0;
		received_spf(&l, r, cfg, 1);
	}
	return finish(&l);
}

static void
method(struct line *l, const struct spf_result *r, int compact)
{
	put(l, "spf=%s", spf_code_str(r->code));
	if (r->dnssec != SPF_DNSSEC_UNVALIDATED)
		put(l, " (dnssec=%s)", spf_dnssec_str(r->dnssec));
	if ((r->code == SPF_TEMPERROR || r->code == SPF_PERMERROR) &&
	    r->problem[0] != '\0' && !compact) {
		put(l, " reason=");
		put_quoted(l, r->problem);
	}
	if (r->identity == SPF_ID_HELO) {
		put(l, " smtp.helo=");
		put_cut(l, r->helo, compact, put_value);
	} else {
		put(l, " smtp.mailfrom=");
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
spf_authres_method(const struct spf_result *r, char *buf, size_t len)
{
	struct line	 l = { buf, len, 0, 0 };

	method(&l, r, 0);
	/*
	 * Leave room for what the caller puts before it: the field name,
	 * an authserv-id of up to 255 octets and "; ".
	 */
	if (l.overflow || l.len > HEADER_MAX - AR_PREFIX_MAX) {
		l.len = 0;
		l.overflow = 0;
		method(&l, r, 1);
	}
	return finish(&l);
}

int
spf_authres_header(const struct spf_result *r, const struct spf_config *cfg,
    char *buf, size_t len)
{
	struct line	 l = { buf, len, 0, 0 };
	char		 m[SPF_HEADER_LEN];

	if (spf_authres_method(r, m, sizeof(m)) == -1) {
		l.overflow = 1;
		return finish(&l);
	}
	put(&l, "Authentication-Results: ");
	put_value(&l, cfg->receiver[0] != '\0' ? cfg->receiver : "localhost");
	put(&l, "; %s", m);
	return finish(&l);
}

/*
 * The SMTP reply for reject and defer: RFC 7372's 5.7.23 when SPF
 * validation failed, X.7.24 for an SPF error, and the domain's
 * explanation (or ours) as the text.
 */
int
spf_smtp_reply(const struct spf_result *r, char *buf, size_t len)
{
	struct line	 l = { buf, len, 0, 0 };
	char		 text[SPF_EXPLANATION_LEN + SPF_PROBLEM_LEN];
	size_t		 i;

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
		put(&l, "550 %s ", r->code == SPF_TEMPERROR ||
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
		put(&l, "451 4.7.24 ");
		break;
	default:
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	/* one line of visible text, within SMTP's 512-octet reply line */
	for (i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 ||
		    (unsigned char)text[i] > 0x7e)
			text[i] = '?';
	if (l.len + strlen(text) > 508)
		text[508 - l.len] = '\0';
	put(&l, "%s", text);
	return finish(&l);
}

int
spf_log_line(const struct spf_result *r, char *buf, size_t len)
{
	struct line	 l = { buf, len, 0, 0 };

	put(&l, "result=%s action=%s identity=%s client=%s sender=",
	    spf_code_str(r->code), spf_action_str(r->action),
	    spf_identity_str(r->identity), r->client_ip);
	put_value(&l, r->sender[0] != '\0' ? r->sender : "<>");
	put(&l, " helo=");
	put_value(&l, r->helo[0] != '\0' ? r->helo : "<>");
	put(&l, " domain=");
	put_value(&l, r->domain);
	if (r->mechanism[0] != '\0') {
		put(&l, " mechanism=");
		put_value(&l, r->mechanism);
	}
	put(&l, " lookups=%d void=%d dnssec=%s", r->lookups, r->void_lookups,
	    spf_dnssec_str(r->dnssec));
	if (r->problem[0] != '\0') {
		put(&l, " problem=");
		put_quoted(&l, r->problem);
	}
	return finish(&l);
}
