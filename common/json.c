/*
 * json.c: every JSON object the programs print, built here: a check
 * result, and through the builder whatever a front end adds (the line
 * number, the trace, a lint report).  Strings may hold any bytes DNS or
 * a client gave us: valid UTF-8 passes through, an octet that is not
 * UTF-8 becomes U+FFFD, controls are escaped, so the text is always
 * valid JSON in valid UTF-8; text that does not fit
 * its bound is no text at all, never a half-written object.
 */
#include <stdint.h>
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
static size_t	plain_run(const unsigned char *, size_t);
static int	escape(struct sbuf *, const unsigned char *, size_t);
static int	quoted(struct sbuf *, const char *);
static void	key(struct spf_json *, const char *);
static void	fixed_key(struct spf_json *, const char *, size_t);
static int	str_member(struct spf_json *, const char *, size_t,
		    const char *);
static void	int_member(struct spf_json *, const char *, size_t, long);
static void	open_nest(struct spf_json *, const char *, char, char);

/*
 * A member's key when it is known at compile time: the comma, the
 * quoted name and the colon as one constant of known length, written
 * in one copy (less its comma for a first member).
 */
#define FRAG(name)	",\"" name "\":", sizeof(",\"" name "\":") - 1

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

/*
 * Does any of the JSON_BLOCK octets at p need more than a copy (what
 * json_plain does not pass)?  One loop of a known count with no branch
 * in it, its flags read back as two words: compilers make it a few
 * vector compares (gcc 12 at -O2).  The escaper cost 3,384 instructions
 * a warm result with eight-octet words compared by hand, 2,721 with
 * the flags ORed into one octet, 2,416 so (callgrind).
 */
#define JSON_BLOCK	16

static inline int
block_special(const unsigned char *p)
{
	unsigned char	 bad[JSON_BLOCK];
	uint64_t	 lo, hi;
	size_t		 i;

	for (i = 0; i < JSON_BLOCK; i++)
		bad[i] = (p[i] < 0x20) | (p[i] >= 0x7f) | (p[i] == '"') |
		    (p[i] == '\\');
	memcpy(&lo, bad, sizeof(lo));
	memcpy(&hi, bad + sizeof(lo), sizeof(hi));
	return (lo | hi) != 0;
}

/* How many of the n octets at p are plain, from the first on. */
static size_t
plain_run(const unsigned char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i + JSON_BLOCK <= n; i += JSON_BLOCK)
		if (block_special(p + i))
			break;
	/* a short tail: in the block that ends with it, when n allows */
	if (i < n && n >= JSON_BLOCK && i + JSON_BLOCK > n &&
	    !block_special(p + n - JSON_BLOCK))
		return n;
	while (i < n && json_plain[p[i]])
		i++;
	return i;
}

/*
 * The n octets at p (a NUL at p[n]) inside a JSON string: what needs
 * no escape, plain ASCII and whole UTF-8 sequences, copied in runs.
 * Returns the octets that were not UTF-8 (each written as U+FFFD).
 */
static int
escape(struct sbuf *sb, const unsigned char *p, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 u[6] = { '\\', 'u', '0', '0' };
	size_t			 i = 0, from = 0;
	int			 len, bad = 0;

	for (;;) {
		i += plain_run(p + i, n - i);
		if (i == n)
			break;
		if (p[i] >= 0x80 && (len = utf8_len(p + i)) > 0) {
			i += (size_t)len;
			continue;
		}
		sbuf_put(sb, (const char *)p + from, i - from);
		if (p[i] == '"' || p[i] == '\\') {
			sbuf_put(sb, "\\", 1);
			sbuf_put(sb, (const char *)p + i, 1);
		} else if (p[i] == '\n')
			sbuf_put(sb, "\\n", 2);
		else if (p[i] == '\t')
			sbuf_put(sb, "\\t", 2);
		else if (p[i] == '\r')
			sbuf_put(sb, "\\r", 2);
		else if (p[i] < 0x80) {
			/* the other controls and DEL, as \u00XX */
			u[4] = hex[p[i] >> 4];
			u[5] = hex[p[i] & 0xf];
			sbuf_put(sb, u, sizeof(u));
		} else {
			/*
			 * An octet that is not UTF-8 is U+FFFD, never the
			 * U+00XX a real character would be: a result says
			 * so of its sender and HELO name (*_invalid_utf8).
			 */
			sbuf_put(sb, "\\ufffd", 6);
			bad++;
		}
		from = ++i;
	}
	sbuf_put(sb, (const char *)p + from, n - from);
	return bad;
}

/* s as a JSON string, quotes included: the octets that were not UTF-8. */
static int
quoted(struct sbuf *sb, const char *s)
{
	int	 bad;

	sbuf_put(sb, "\"", 1);
	bad = escape(sb, (const unsigned char *)s, strlen(s));
	sbuf_put(sb, "\"", 1);
	return bad;
}

void
json_string(struct sbuf *sb, const char *s)
{
	(void)quoted(sb, s);
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
	if (j->depth > 0 && j->members[j->depth - 1]++ > 0)
		sbuf_put(&j->sb, ",", 1);
	if (k == NULL)
		return;
	json_string(&j->sb, k);
	sbuf_put(&j->sb, ":", 1);
}

/*
 * The same for a key known at compile time, FRAG(name): one copy.  The
 * keys escaped and written octet by octet cost 3,500 instructions of a
 * result's 11,000 in filter mode (callgrind).
 */
static void
fixed_key(struct spf_json *j, const char *frag, size_t len)
{
	if (j->depth == 0 || j->members[j->depth - 1]++ == 0) {
		frag++;
		len--;
	}
	sbuf_put(&j->sb, frag, len);
}

/* A string member (null for NULL): the octets that were not UTF-8. */
static int
str_member(struct spf_json *j, const char *frag, size_t len, const char *v)
{
	fixed_key(j, frag, len);
	if (v == NULL) {
		sbuf_put(&j->sb, "null", 4);
		return 0;
	}
	return quoted(&j->sb, v);
}

static void
int_member(struct spf_json *j, const char *frag, size_t len, long v)
{
	fixed_key(j, frag, len);
	sbuf_putint(&j->sb, v);
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
		sbuf_put(&j->sb, "null", 4);
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
	if (v)
		sbuf_put(&j->sb, "true", 4);
	else
		sbuf_put(&j->sb, "false", 5);
}

const char *
spf_json_text(struct spf_json *j)
{
	if (j->bad || j->depth != 0 || sbuf_finish(&j->sb) == -1)
		return NULL;
	return j->sb.buf;
}

/*
 * The members every result object has, from result to elapsed_ms.  The
 * *_invalid_utf8 flags come from the escaping of sender and helo: an
 * octet written as U+FFFD is one that is not UTF-8 (utf8_valid).
 */
static void
result_fields(struct spf_json *j, const struct spf_result *r)
{
	int	 bad_sender, bad_helo;

	str_member(j, FRAG("result"), spf_code_str(r->code));
	str_member(j, FRAG("action"), spf_action_str(r->action));
	str_member(j, FRAG("domain"), r->domain);
	str_member(j, FRAG("identity"), spf_identity_str(r->identity));
	str_member(j, FRAG("client_ip"), r->client_ip);
	bad_sender = str_member(j, FRAG("sender"), r->sender);
	bad_helo = str_member(j, FRAG("helo"), r->helo);
	if (bad_sender > 0)
		spf_json_bool(j, "sender_invalid_utf8", 1);
	if (bad_helo > 0)
		spf_json_bool(j, "helo_invalid_utf8", 1);
	str_member(j, FRAG("mechanism"), r->mechanism);
	str_member(j, FRAG("explanation"), r->explanation);
	str_member(j, FRAG("problem"), r->problem);
	int_member(j, FRAG("lookups"), r->lookups);
	int_member(j, FRAG("void_lookups"), r->void_lookups);
	int_member(j, FRAG("queries"), r->queries);
	str_member(j, FRAG("dnssec"), spf_dnssec_str(r->dnssec));
	int_member(j, FRAG("elapsed_ms"), r->elapsed_ms);
}

void
spf_json_result(struct spf_json *j, const struct spf_result *r,
    const struct spf_config *cfg)
{
	char	 hdr[SPF_HEADER_LEN];

	result_fields(j, r);
	(void)spf_smtp_reply(r, hdr, sizeof(hdr));
	str_member(j, FRAG("reply"), hdr);
	/* a header that does not fit is no JSON: the bounds say it will */
	if (spf_received_spf(r, cfg, hdr, sizeof(hdr)) == -1)
		j->bad = 1;
	str_member(j, FRAG("received_spf"), hdr);
	if (spf_authres_header(r, cfg, hdr, sizeof(hdr)) == -1)
		j->bad = 1;
	str_member(j, FRAG("authentication_results"), hdr);
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
	str_member(j, FRAG("result"), spf_code_str(r->code));
	str_member(j, FRAG("action"), spf_action_str(r->action));
	str_member(j, FRAG("domain"), r->domain);
	str_member(j, FRAG("mechanism"), r->mechanism);
	str_member(j, FRAG("explanation"), r->explanation);
	str_member(j, FRAG("problem"), r->problem);
	spf_json_end(j);
}

void
spf_json_verdict(struct spf_json *j, const struct spf_verdict *v,
    const struct spf_config *cfg)
{
	const struct spf_result	*r = &v->result;

	(void)cfg;
	result_fields(j, r);
	str_member(j, FRAG("reply"), v->reply);
	/* the fields as built: empty for a field header-fields leaves out */
	str_member(j, FRAG("received_spf"), v->received_spf);
	str_member(j, FRAG("authentication_results"), v->authres);
	if (v->helo_checked)
		identity_object(j, "helo_result", &v->helo_result);
	else
		str_member(j, FRAG("helo_result"), NULL);
	str_member(j, FRAG("skipped"), v->skipped[0] != '\0' ? v->skipped :
	    NULL);
	str_member(j, FRAG("guess"), v->guessed ? spf_code_str(v->guess) :
	    NULL);
	str_member(j, FRAG("would"), v->would ?
	    spf_action_str(v->would_action) : NULL);
}

void
spf_json_recipient(struct spf_json *j, const struct spf_verdict *v,
    const struct spf_config *cfg, const char *rcpt)
{
	char	 reply[SPF_REPLY_LEN];

	spf_json_object(j, NULL);
	str_member(j, FRAG("address"), rcpt);
	str_member(j, FRAG("action"), spf_action_str(spf_verdict_recipient(v,
	    cfg, rcpt, reply, sizeof(reply))));
	str_member(j, FRAG("reply"), reply);
	spf_json_end(j);
}
