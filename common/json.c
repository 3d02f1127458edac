/*
 * json.c: every JSON object the programs print, built here: a check
 * result, and through the builder whatever a front end adds (the line
 * number, the trace, a lint report).  Strings may hold any bytes DNS or
 * a client gave us: valid UTF-8 passes through, an octet that is not
 * UTF-8 becomes U+FFFD, controls are escaped, so the text is always
 * valid JSON in valid UTF-8; text that does not fit
 * its bound is no text at all, never a half-written object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"

#define JSON_DEPTH	8	/* nesting: lint reports need three */

struct spf_json {
	struct sbuf	 sb;
	size_t		 max;		/* the bound it was made with */
	int		 depth;
	int		 members[JSON_DEPTH];	/* at each open level */
	char		 closer[JSON_DEPTH];
	int		 bad;		/* too deep, or closed too often */
};

static void	json_init(struct spf_json *);
static void	key(struct spf_json *, const char *);
static void	open_nest(struct spf_json *, const char *, char, char);

/*
 * The octets a JSON string holds as they are: visible ASCII but quote
 * and backslash.  One load an octet, not four comparisons: a verdict's
 * JSON is about a thousand octets, nearly all of them these.
 */
static const unsigned char json_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x10 */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* 0x50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,	/* 0x70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x90 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xa0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xb0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xc0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xd0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xe0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xf0 */
};

/* s as a JSON string, quotes included. */
void
json_string(struct sbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 run;
	int	 n;

	sbuf_put(sb, "\"", 1);
	while (*p != '\0') {
		/* runs of visible ASCII but quote and backslash, at once */
		for (run = 0; json_plain[p[run]]; run++)
			;
		if (run > 0) {
			sbuf_put(sb, (const char *)p, run);
			p += run;
			continue;
		}
		if (*p == '"' || *p == '\\') {
			sbuf_put(sb, "\\", 1);
			sbuf_put(sb, (const char *)p, 1);
			p++;
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			sbuf_put(sb, *p == '\n' ? "\\n" : *p == '\t' ?
			    "\\t" : "\\r", 2);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			sbuf_printf(sb, "\\u%04x", *p);
			p++;
		} else if ((n = utf8_len(p)) == 0) {
			/*
			 * An octet that is not UTF-8 is U+FFFD, never the
			 * U+00XX a real character would be: a result says
			 * so of its sender and HELO name (*_invalid_utf8).
			 */
			sbuf_puts(sb, "\\ufffd");
			p++;
		} else {
			sbuf_put(sb, (const char *)p, (size_t)n);
			p += n;
		}
	}
	sbuf_put(sb, "\"", 1);
}

int
spf_json_string(char *buf, size_t len, size_t *off, const char *s)
{
	struct sbuf	 sb;

	if (*off >= len)
		return -1;
	sbuf_fixed(&sb, buf + *off, len - *off);
	json_string(&sb, s);
	if (!sbuf_whole(&sb)) {
		*off = len;
		return -1;
	}
	*off += (size_t)sbuf_finish(&sb);
	return 0;
}

static void
json_init(struct spf_json *j)
{
	j->depth = 0;
	j->bad = 0;
}

struct spf_json *
spf_json_new(size_t max)
{
	struct spf_json	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	sbuf_growing(&j->sb, max);
	j->max = max;
	json_init(j);
	return j;
}

void
spf_json_reset(struct spf_json *j)
{
	if (j->sb.failed) {
		/* out of memory once: start afresh, growing again */
		sbuf_free(&j->sb);
		sbuf_growing(&j->sb, j->max);
	} else
		sbuf_rewind(&j->sb, 0);
	json_init(j);
}

void
spf_json_free(struct spf_json *j)
{
	if (j == NULL)
		return;
	sbuf_free(&j->sb);
	free(j);
}

/* The separator and "key": of a new member (no key inside an array). */
static void
key(struct spf_json *j, const char *k)
{
	char	 buf[64];
	size_t	 n = 0, i;

	if (j->depth > 0 && j->members[j->depth - 1]++ > 0)
		buf[n++] = ',';
	if (k == NULL) {
		sbuf_put(&j->sb, buf, n);
		return;
	}
	/*
	 * Our keys are short names that need no escape: one write for the
	 * comma, the quoted key and the colon.  Going through json_string
	 * cost 11,000 instructions per result in filter mode (callgrind).
	 */
	buf[n++] = '"';
	for (i = 0; k[i] != '\0' && n < sizeof(buf) - 2; i++) {
		if (k[i] < 0x20 || k[i] > 0x7e || k[i] == '"' || k[i] == '\\')
			break;
		buf[n++] = k[i];
	}
	if (k[i] == '\0') {
		buf[n++] = '"';
		buf[n++] = ':';
		sbuf_put(&j->sb, buf, n);
		return;
	}
	/* any other key, escaped */
	if (buf[0] == ',')
		sbuf_put(&j->sb, ",", 1);
	json_string(&j->sb, k);
	sbuf_put(&j->sb, ":", 1);
}

static void
open_nest(struct spf_json *j, const char *k, char open, char close)
{
	if (j->depth == JSON_DEPTH) {
		j->bad = 1;
		return;
	}
	key(j, k);
	sbuf_put(&j->sb, &open, 1);
	j->closer[j->depth] = close;
	j->members[j->depth++] = 0;
}

void
spf_json_object(struct spf_json *j, const char *k)
{
	open_nest(j, k, '{', '}');
}

void
spf_json_array(struct spf_json *j, const char *k)
{
	open_nest(j, k, '[', ']');
}

void
spf_json_end(struct spf_json *j)
{
	if (j->depth == 0) {
		j->bad = 1;
		return;
	}
	j->depth--;
	sbuf_put(&j->sb, &j->closer[j->depth], 1);
}

void
spf_json_str(struct spf_json *j, const char *k, const char *v)
{
	key(j, k);
	if (v == NULL)
		sbuf_puts(&j->sb, "null");
	else
		json_string(&j->sb, v);
}

/* Every result has five: the digits by hand (sbuf_putint), no vsnprintf. */
void
spf_json_int(struct spf_json *j, const char *k, long v)
{
	key(j, k);
	sbuf_putint(&j->sb, v);
}

void
spf_json_bool(struct spf_json *j, const char *k, int v)
{
	key(j, k);
	sbuf_puts(&j->sb, v ? "true" : "false");
}

const char *
spf_json_text(struct spf_json *j)
{
	if (j->bad || j->depth != 0 || sbuf_finish(&j->sb) == -1)
		return NULL;
	return j->sb.buf;
}

/* The members every result object has, from result to elapsed_ms. */
static void
result_fields(struct spf_json *j, const struct spf_result *r)
{
	spf_json_str(j, "result", spf_code_str(r->code));
	spf_json_str(j, "action", spf_action_str(r->action));
	spf_json_str(j, "domain", r->domain);
	spf_json_str(j, "identity", spf_identity_str(r->identity));
	spf_json_str(j, "client_ip", r->client_ip);
	spf_json_str(j, "sender", r->sender);
	spf_json_str(j, "helo", r->helo);
	if (!utf8_valid(r->sender))
		spf_json_bool(j, "sender_invalid_utf8", 1);
	if (!utf8_valid(r->helo))
		spf_json_bool(j, "helo_invalid_utf8", 1);
	spf_json_str(j, "mechanism", r->mechanism);
	spf_json_str(j, "explanation", r->explanation);
	spf_json_str(j, "problem", r->problem);
	spf_json_int(j, "lookups", r->lookups);
	spf_json_int(j, "void_lookups", r->void_lookups);
	spf_json_int(j, "queries", r->queries);
	spf_json_str(j, "dnssec", spf_dnssec_str(r->dnssec));
	spf_json_int(j, "elapsed_ms", r->elapsed_ms);
}

void
spf_json_result(struct spf_json *j, const struct spf_result *r,
    const struct spf_config *cfg)
{
	char	 hdr[SPF_HEADER_LEN];

	result_fields(j, r);
	(void)spf_smtp_reply(r, hdr, sizeof(hdr));
	spf_json_str(j, "reply", hdr);
	/* a header that does not fit is no JSON: the bounds say it will */
	if (spf_received_spf(r, cfg, hdr, sizeof(hdr)) == -1)
		j->bad = 1;
	spf_json_str(j, "received_spf", hdr);
	if (spf_authres_header(r, cfg, hdr, sizeof(hdr)) == -1)
		j->bad = 1;
	spf_json_str(j, "authentication_results", hdr);
}

int
spf_result_json(const struct spf_result *r, const struct spf_config *cfg,
    char *buf, size_t len)
{
	struct spf_json	 j;

	memset(&j, 0, sizeof(j));
	sbuf_fixed(&j.sb, buf, len);
	json_init(&j);
	spf_json_object(&j, NULL);
	spf_json_result(&j, r, cfg);
	spf_json_end(&j);
	if (spf_json_text(&j) == NULL) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return (int)sbuf_len(&j.sb);
}

/* An identity's result as an object: the HELO's in a verdict. */
static void
identity_object(struct spf_json *j, const char *k, const struct spf_result *r)
{
	spf_json_object(j, k);
	spf_json_str(j, "result", spf_code_str(r->code));
	spf_json_str(j, "action", spf_action_str(r->action));
	spf_json_str(j, "domain", r->domain);
	spf_json_str(j, "mechanism", r->mechanism);
	spf_json_str(j, "explanation", r->explanation);
	spf_json_str(j, "problem", r->problem);
	spf_json_end(j);
}

void
spf_json_verdict(struct spf_json *j, const struct spf_verdict *v,
    const struct spf_config *cfg)
{
	const struct spf_result	*r = &v->result;

	(void)cfg;
	result_fields(j, r);
	spf_json_str(j, "reply", v->reply);
	/* the fields as built: empty for a field header-fields leaves out */
	spf_json_str(j, "received_spf", v->received_spf);
	spf_json_str(j, "authentication_results", v->authres);
	if (v->helo_checked)
		identity_object(j, "helo_result", &v->helo_result);
	else
		spf_json_str(j, "helo_result", NULL);
	spf_json_str(j, "skipped", v->skipped[0] != '\0' ? v->skipped : NULL);
	spf_json_str(j, "guess", v->guessed ? spf_code_str(v->guess) : NULL);
	spf_json_str(j, "would", v->would ? spf_action_str(v->would_action) :
	    NULL);
}

void
spf_json_recipient(struct spf_json *j, const struct spf_verdict *v,
    const struct spf_config *cfg, const char *rcpt)
{
	char	 reply[SPF_REPLY_LEN];

	spf_json_object(j, NULL);
	spf_json_str(j, "address", rcpt);
	spf_json_str(j, "action", spf_action_str(spf_verdict_recipient(v, cfg,
	    rcpt, reply, sizeof(reply))));
	spf_json_str(j, "reply", reply);
	spf_json_end(j);
}
