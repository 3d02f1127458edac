/*
 * json.c: a result as one JSON object on one line.  Strings may hold any
 * bytes DNS or a client gave us: valid UTF-8 passes through, anything
 * else is escaped so the line is always valid JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spfint.h"

static int	utf8_len(const unsigned char *);
static int	append_raw(char *, size_t, size_t *, const char *, size_t);
static int	append(char *, size_t, size_t *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static int
append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (*off >= len)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off) {
		*off = len;
		return -1;
	}
	*off += (size_t)n;
	return 0;
}

/* Octets in the well-formed UTF-8 sequence at s, or 0. */
static int
utf8_len(const unsigned char *s)
{
	int	 n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* Copy n octets as they are; the hot path of every string. */
static int
append_raw(char *buf, size_t len, size_t *off, const char *p, size_t n)
{
	if (*off >= len || n >= len - *off) {
		*off = len;
		return -1;
	}
	memcpy(buf + *off, p, n);
	*off += n;
	buf[*off] = '\0';
	return 0;
}

int
spf_json_string(char *buf, size_t len, size_t *off, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 run;
	int	 n;

	if (append_raw(buf, len, off, "\"", 1) == -1)
		return -1;
	while (*p != '\0') {
		/* runs of visible ASCII but quote and backslash, at once */
		for (run = 0; p[run] >= 0x20 && p[run] < 0x7f &&
		    p[run] != '"' && p[run] != '\\'; run++)
			;
		if (run > 0) {
			if (append_raw(buf, len, off, (const char *)p, run) ==
			    -1)
				return -1;
			p += run;
			continue;
		}
		if (*p == '"' || *p == '\\') {
			if (append(buf, len, off, "\\%c", *p) == -1)
				return -1;
			p++;
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			if (append(buf, len, off, "\\%c", *p == '\n' ? 'n' :
			    *p == '\t' ? 't' : 'r') == -1)
				return -1;
			p++;
		} else if (*p < 0x20 || *p == 0x7f || (n = utf8_len(p)) == 0) {
			/* a stray octet stands for itself, as U+00XX */
			if (append(buf, len, off, "\\u%04x", *p) == -1)
				return -1;
			p++;
		} else {
			if (append_raw(buf, len, off, (const char *)p,
			    (size_t)n) == -1)
				return -1;
			p += n;
		}
	}
	return append_raw(buf, len, off, "\"", 1);
}

int
spf_result_json(const struct spf_result *r, const struct spf_config *cfg,
    char *buf, size_t len)
{
	char	 hdr[SPF_HEADER_LEN];
	size_t	 off = 0;
	int	 e = 0;

#define KEY(k)	(e |= append(buf, len, &off, "%s\"%s\":", off > 1 ? "," : "", k))
#define STR(k, v)	do { KEY(k); e |= spf_json_string(buf, len, &off, v); } while (0)
#define NUM(k, v)	do { KEY(k); e |= append(buf, len, &off, "%ld", (long)(v)); } while (0)
	e |= append(buf, len, &off, "{");
	STR("result", spf_code_str(r->code));
	STR("action", spf_action_str(r->action));
	STR("domain", r->domain);
	STR("identity", spf_identity_str(r->identity));
	STR("client_ip", r->client_ip);
	STR("sender", r->sender);
	STR("helo", r->helo);
	STR("mechanism", r->mechanism);
	STR("explanation", r->explanation);
	STR("problem", r->problem);
	NUM("lookups", r->lookups);
	NUM("void_lookups", r->void_lookups);
	NUM("queries", r->queries);
	STR("dnssec", spf_dnssec_str(r->dnssec));
	NUM("elapsed_ms", r->elapsed_ms);
	(void)spf_smtp_reply(r, hdr, sizeof(hdr));
	STR("reply", hdr);
	if (spf_received_spf(r, cfg, hdr, sizeof(hdr)) == -1)
		e = -1;
	STR("received_spf", hdr);
	if (spf_authres_header(r, cfg, hdr, sizeof(hdr)) == -1)
		e = -1;
	STR("authentication_results", hdr);
	e |= append(buf, len, &off, "}");
#undef KEY
#undef STR
#undef NUM
	if (e != 0) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return (int)off;
}
