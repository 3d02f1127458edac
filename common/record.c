/*
 * record.c: an SPF record (RFC 7208 4.5, 4.6, 5, 6) parsed into a plain
 * array of terms, whole, before any of it is evaluated: a syntax error
 * anywhere is a permerror even where a match would have come first.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"

static int	parse_term(struct spf_record *, struct spf_term *, size_t,
		    size_t, char *, size_t);
static int	parse_modifier(struct spf_record *, struct spf_term *,
		    const char *, size_t, size_t, char *, size_t);
static int	parse_cidr(const char *, size_t, int, uint8_t *);
static int	parse_dual_cidr(const char *, size_t *, struct spf_term *);
static int	parse_spec(struct spf_term *, const char *, size_t, size_t);
static void	literal(struct spf_term *, const char *, size_t);
static int	parse_ip(struct spf_term *, const char *, size_t);
static int	fail(char *, size_t, const char *, size_t, const char *);

static const struct {
	const char	*name;
	enum term_kind	 kind;
} mechanisms[] = {
	{ "all",	T_ALL },
	{ "include",	T_INCLUDE },
	{ "a",		T_A },
	{ "mx",		T_MX },
	{ "ptr",	T_PTR },
	{ "ip4",	T_IP4 },
	{ "ip6",	T_IP6 },
	{ "exists",	T_EXISTS },
};

/* The version section: exactly "v=spf1", then a space or the end. */
int
record_is_spf(const char *txt, size_t len)
{
	if (len < 6 || strncasecmp(txt, "v=spf1", 6) != 0)
		return 0;
	return len == 6 || txt[6] == ' ';
}

/*
 * A domain-spec without a macro (most are) expands to itself, less one
 * trailing dot: copied, not expanded (checking and expanding it cost
 * 1,200 instructions an evaluation), and whether it is a name to ask
 * about was known when the record was parsed (literal()).
 */
int
record_target(const struct spf_record *rec, const struct spf_term *t,
    const char *domain, const struct macro_env *env, char *out,
    size_t outlen)
{
	const char	*spec = rec->text + t->spec_off;
	size_t		 n = t->spec_len;

	if (t->spec_len == 0) {
		(void)strlcpy(out, domain, outlen);
		return 0;
	}
	if ((t->literal & LIT_PLAIN) && outlen >= SPF_DOMAIN_LEN) {
		if (spec[n - 1] == '.')
			n--;
		memcpy(out, spec, n);
		out[n] = '\0';
		return (t->literal & LIT_QUERY) ? 0 : -1;
	}
	if (macro_expand(rec->text + t->spec_off, t->spec_len, MACRO_DOMAIN,
	    env, out, outlen) == -1)
		return -1;
	return domain_valid_query(out) ? 0 : -1;
}

enum txt_kind
record_txt_kind(const char *txt, size_t len)
{
	if (record_is_spf(txt, len))
		return TXT_SPF;
	if (len >= 6 && strncasecmp(txt, "spf2.0", 6) == 0)
		return TXT_SENDERID;
	/* meant to be SPF: quoted, spaced, "v=spf2", or "spf1" alone */
	while (len > 0 && (*txt == ' ' || *txt == '"' || *txt == '\'')) {
		txt++;
		len--;
	}
	if ((len >= 5 && strncasecmp(txt, "v=spf", 5) == 0) ||
	    (len >= 4 && strncasecmp(txt, "spf1", 4) == 0))
		return TXT_LOOKALIKE;
	return TXT_OTHER;
}

const char *
term_kind_str(enum term_kind kind)
{
	size_t	 i;

	for (i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++)
		if (mechanisms[i].kind == kind)
			return mechanisms[i].name;
	switch (kind) {
	case T_REDIRECT:
		return "redirect";
	case T_EXP:
		return "exp";
	default:
		return "modifier";
	}
}

static int
fail(char *err, size_t errlen, const char *term, size_t termlen,
    const char *why)
{
	int	 n = termlen > 64 ? 64 : (int)termlen;

	(void)snprintf(err, errlen, "%s '%.*s%s'", why, n, term,
	    termlen > 64 ? "..." : "");
	return -1;
}

/* "/" followed by a decimal of at most max, without leading zeros. */
static int
parse_cidr(const char *s, size_t len, int max, uint8_t *out)
{
	size_t	 i;
	int	 v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

/*
 * dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], at
 * the end of an a or mx term; *len shrinks to what precedes it.
 */
static int
parse_dual_cidr(const char *s, size_t *len, struct spf_term *t)
{
	size_t	 end = *len, j;

	j = end;
	while (j > 0 && isdigit((unsigned char)s[j - 1]))
		j--;
	if (j < end && j >= 2 && s[j - 1] == '/' && s[j - 2] == '/') {
		if (parse_cidr(s + j, end - j, 128, &t->cidr6) == -1)
			return -1;
		end = j - 2;
		j = end;
		while (j > 0 && isdigit((unsigned char)s[j - 1]))
			j--;
	}
	if (j < end && j >= 1 && s[j - 1] == '/' &&
	    !(j >= 2 && s[j - 2] == '/')) {
		if (parse_cidr(s + j, end - j, 32, &t->cidr4) == -1)
			return -1;
		end = j - 1;
	}
	*len = end;
	return 0;
}

/* A domain-spec at off: a macro-string with a proper domain-end. */
static int
parse_spec(struct spf_term *t, const char *text, size_t off, size_t len)
{
	int	 uses_p;

	if (len == 0 || macro_check(text + off, len, 0, &uses_p) != 0 ||
	    !domain_spec_end_ok(text + off, len))
		return -1;
	t->spec_off = (uint16_t)off;
	t->spec_len = (uint16_t)len;
	t->uses_p = (uint8_t)uses_p;
	literal(t, text + off, len);
	return 0;
}

/*
 * What a domain-spec without a macro is as a target, once for every
 * evaluation of the record.  One over 253 octets is left to
 * macro_expand, which drops labels from it.
 */
static void
literal(struct spf_term *t, const char *spec, size_t len)
{
	char	 name[SPF_DOMAIN_LEN];

	t->literal = 0;
	if (memchr(spec, '%', len) != NULL)
		return;
	if (spec[len - 1] == '.')
		len--;
	if (len > 253)
		return;
	memcpy(name, spec, len);
	name[len] = '\0';
	t->literal = LIT_PLAIN;
	if (domain_valid_query(name))
		t->literal |= LIT_QUERY;
	if (domain_valid_initial(name))
		t->literal |= LIT_INITIAL;
}

/* ip4:network[/cidr] and ip6:network[/cidr]; s starts after the colon. */
static int
parse_ip(struct spf_term *t, const char *s, size_t len)
{
	char	 net[SPF_ADDR_LEN];
	size_t	 n;
	int	 af = t->kind == T_IP4 ? AF_INET : AF_INET6;
	int	 max = af == AF_INET ? 32 : 128;
	uint8_t	 cidr = (uint8_t)max;

	for (n = 0; n < len && s[n] != '/'; n++)
		;
	if (n == 0 || n >= sizeof(net))
		return -1;
	memcpy(net, s, n);
	net[n] = '\0';
	if (inet_pton(af, net, t->net) != 1)
		return -1;
	if (n < len && parse_cidr(s + n + 1, len - n - 1, max, &cidr) == -1)
		return -1;
	if (af == AF_INET)
		t->cidr4 = cidr;
	else
		t->cidr6 = cidr;
	return 0;
}

/*
 * A term is a modifier when "=" comes before any ":" or "/" (4.6.1);
 * redirect and exp must be exactly right, at most once each, and an
 * unknown modifier needs a good name and a valid macro-string.
 */
static int
parse_modifier(struct spf_record *rec, struct spf_term *t, const char *s,
    size_t len, size_t eq, char *err, size_t errlen)
{
	size_t	 i, voff = t->off + eq + 1, vlen = len - eq - 1;

	if (eq == 0 || !isalpha((unsigned char)s[0]))
		return fail(err, errlen, s, len, "bad modifier name");
	for (i = 1; i < eq; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return fail(err, errlen, s, len, "bad modifier name");
	if (eq == 8 && strncasecmp(s, "redirect", 8) == 0) {
		t->kind = T_REDIRECT;
		if (rec->redirect != -1)
			return fail(err, errlen, s, len, "second redirect");
		if (parse_spec(t, rec->text, voff, vlen) == -1)
			return fail(err, errlen, s, len, "bad domain-spec in");
		rec->redirect = (int)(t - rec->terms);
		return 0;
	}
	if (eq == 3 && strncasecmp(s, "exp", 3) == 0) {
		t->kind = T_EXP;
		if (rec->exp != -1)
			return fail(err, errlen, s, len, "second exp");
		if (parse_spec(t, rec->text, voff, vlen) == -1)
			return fail(err, errlen, s, len, "bad domain-spec in");
		rec->exp = (int)(t - rec->terms);
		return 0;
	}
	t->kind = T_UNKNOWN_MOD;
	if (macro_check(s + eq + 1, vlen, 0, NULL) != 0)
		return fail(err, errlen, s, len, "bad macro-string in");
	return 0;
}

static int
parse_term(struct spf_record *rec, struct spf_term *t, size_t off,
    size_t len, char *err, size_t errlen)
{
	const char	*s = rec->text + off;
	size_t		 i, nlen, rlen;
	const char	*rest;

	t->off = (uint16_t)off;
	t->len = (uint16_t)len;
	t->qualifier = '+';
	for (i = 0; i < len && s[i] != '=' && s[i] != ':' && s[i] != '/'; i++)
		;
	if (i < len && s[i] == '=')
		return parse_modifier(rec, t, s, len, i, err, errlen);

	if (strchr("+-~?", s[0]) != NULL) {
		t->qualifier = s[0];
		s++;
		len--;
		off++;
	}
	for (nlen = 0; nlen < len && s[nlen] != ':' && s[nlen] != '/'; nlen++)
		;
	for (i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++)
		if (strlen(mechanisms[i].name) == nlen &&
		    strncasecmp(mechanisms[i].name, s, nlen) == 0)
			break;
	if (i == sizeof(mechanisms) / sizeof(mechanisms[0]))
		return fail(err, errlen, s, len, "unknown mechanism");
	t->kind = mechanisms[i].kind;
	rest = s + nlen;
	rlen = len - nlen;
	t->cidr4 = 32;
	t->cidr6 = 128;

	switch (t->kind) {
	case T_ALL:
		if (rlen != 0)
			return fail(err, errlen, s, len, "bad all");
		break;
	case T_INCLUDE:
	case T_EXISTS:
		if (rlen < 1 || rest[0] != ':' ||
		    parse_spec(t, rec->text, off + nlen + 1, rlen - 1) == -1)
			return fail(err, errlen, s, len, "bad domain-spec in");
		break;
	case T_A:
	case T_MX:
		if (parse_dual_cidr(rest, &rlen, t) == -1)
			return fail(err, errlen, s, len, "bad CIDR length in");
		if (rlen == 0)
			break;
		if (rest[0] != ':' ||
		    parse_spec(t, rec->text, off + nlen + 1, rlen - 1) == -1)
			return fail(err, errlen, s, len, "bad domain-spec in");
		break;
	case T_PTR:
		if (rlen == 0)
			break;
		if (rest[0] != ':' ||
		    parse_spec(t, rec->text, off + nlen + 1, rlen - 1) == -1)
			return fail(err, errlen, s, len, "bad domain-spec in");
		break;
	case T_IP4:
	case T_IP6:
		if (rlen < 2 || rest[0] != ':' ||
		    parse_ip(t, rest + 1, rlen - 1) == -1)
			return fail(err, errlen, s, len, "bad network in");
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Parse txt (an SPF record, version included) into rec.  On a syntax
 * error returns -1 with the reason in err; rec is then empty.
 */
int
record_parse(const char *txt, size_t len, struct spf_record *rec, char *err,
    size_t errlen)
{
	size_t	 i, start, n;

	memset(rec, 0, sizeof(*rec));
	rec->redirect = rec->exp = -1;
	if (len > SPF_RECORD_MAX || !record_is_spf(txt, len)) {
		(void)snprintf(err, errlen, "not an SPF record");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)txt[i] < 0x20 ||
		    (unsigned char)txt[i] > 0x7e) {
			(void)snprintf(err, errlen, "%s character 0x%02x in "
			    "record at offset %zu", (unsigned char)txt[i] > 0x7f ?
			    "non-ASCII" : "control", (unsigned char)txt[i], i);
			return -1;
		}
	}
	if ((rec->text = malloc(len + 1)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(rec->text, txt, len);
	rec->text[len] = '\0';
	rec->len = len;

	for (i = 6, n = 0; i < len; i++)
		if (rec->text[i] != ' ' && rec->text[i - 1] == ' ')
			n++;
	if (n > 0 && (rec->terms = calloc(n, sizeof(*rec->terms))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		record_free(rec);
		return -1;
	}
	for (i = 6; i < len;) {
		while (i < len && rec->text[i] == ' ')
			i++;
		if (i == len)
			break;
		for (start = i; i < len && rec->text[i] != ' '; i++)
			;
		if (parse_term(rec, &rec->terms[rec->nterms++], start,
		    i - start, err, errlen) == -1) {
			record_free(rec);
			rec->redirect = rec->exp = -1;
			return -1;
		}
	}
	return 0;
}

void
record_free(struct spf_record *rec)
{
	free(rec->text);
	free(rec->terms);
	memset(rec, 0, sizeof(*rec));
}
