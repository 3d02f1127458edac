/*
 * macro.c: the macro language of RFC 7208 7: checking a macro-string,
 * the domain-end rule of a domain-spec, and expansion.
 *
 * Expansion writes through the core's one bounded writer, sbuf_put();
 * nothing else computes an output length.  For domains the writer can
 * keep only the tail, so truncation from the left (7.3) needs no
 * buffer larger than the result.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "spfint.h"

struct mtoken {
	int	 kind;		/* 0 literal, 1 %{...}, 2 %% %_ %- */
	size_t	 off, len;
	char	 letter;
	int	 digits;	/* 0 when absent */
	int	 reverse;
	char	 delims[8];
};

static int	next_token(const char *, size_t, size_t, int, struct mtoken *);
static int	toplabel_ok(const char *, size_t);
static void	put_url(struct sbuf *, const char *, size_t, int);
static const char *letter_value(char, const struct macro_env *, char *,
		    size_t);
static void	expand_one(struct sbuf *, const struct mtoken *,
		    const struct macro_env *, int);
static int	is_delim(char, const char *);
static void	expand_all(const char *, size_t, int,
		    const struct macro_env *, struct sbuf *);

static const char delimiters[] = ".-+,/_=";

/*
 * Read the token at off.  Returns 1 with the token, 0 at the end, -1 on
 * a syntax error.  A digit transformer above 128 means "all parts":
 * no value has that many.
 */
static int
next_token(const char *s, size_t len, size_t off, int flags,
    struct mtoken *t)
{
	size_t	 i, nd;
	unsigned char c;
	char	 l;

	memset(t, 0, sizeof(*t));
	if (off >= len)
		return 0;
	t->off = off;
	if (s[off] != '%') {
		for (i = off; i < len && s[i] != '%'; i++) {
			c = (unsigned char)s[i];
			if (c == ' ' && (flags & MACRO_EXPLAIN))
				continue;
			if (c < 0x21 || c > 0x7e)
				return -1;
		}
		t->kind = 0;
		t->len = i - off;
		return 1;
	}
	if (off + 1 >= len)
		return -1;
	switch (s[off + 1]) {
	case '%':
	case '_':
	case '-':
		t->kind = 2;
		t->len = 2;
		t->letter = s[off + 1];
		return 1;
	case '{':
		break;
	default:
		return -1;
	}
	i = off + 2;
	if (i >= len)
		return -1;
	l = (char)tolower((unsigned char)s[i]);
	if (strchr("slodiphv", l) == NULL &&
	    !((flags & MACRO_EXPLAIN) && strchr("crt", l) != NULL))
		return -1;
	if (l == '\0')
		return -1;
	t->letter = s[i++];
	if (i < len && isdigit((unsigned char)s[i])) {
		for (; i < len && isdigit((unsigned char)s[i]); i++) {
			if (t->digits <= 128)
				t->digits = t->digits * 10 + (s[i] - '0');
		}
		if (t->digits == 0)
			return -1;
	}
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		t->reverse = 1;
		i++;
	}
	for (nd = 0; i < len && s[i] != '}'; i++) {
		if (strchr(delimiters, s[i]) == NULL || s[i] == '\0')
			return -1;
		if (strchr(t->delims, s[i]) == NULL && nd < sizeof(t->delims) - 1)
			t->delims[nd++] = s[i];
	}
	if (i >= len)
		return -1;
	t->kind = 1;
	t->len = i + 1 - off;
	return 1;
}

/* Is s[0..len) a macro-string (or explain-string with MACRO_EXPLAIN)? */
int
macro_check(const char *s, size_t len, int flags, int *uses_p)
{
	struct mtoken	 t;
	size_t		 off;
	int		 r;

	if (uses_p != NULL)
		*uses_p = 0;
	for (off = 0; (r = next_token(s, len, off, flags, &t)) == 1;
	    off += t.len) {
		if (t.kind == 1 && (t.letter == 'p' || t.letter == 'P') &&
		    uses_p != NULL)
			*uses_p = 1;
	}
	return r;
}

unsigned int
macro_letters(const char *s, size_t len, int flags)
{
	struct mtoken	 t;
	size_t		 off;
	unsigned int	 used = 0;
	int		 l;

	for (off = 0; next_token(s, len, off, flags, &t) == 1; off += t.len) {
		l = tolower((unsigned char)t.letter);
		if (t.kind == 1 && l >= 'a' && l <= 'z')
			used |= MACRO_LETTER(l);
	}
	return used;
}

/*
 * toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 */
static int
toplabel_ok(const char *s, size_t len)
{
	size_t	 i;
	int	 alpha = 0, dash = 0;

	if (len == 0 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return 0;
	for (i = 0; i < len; i++) {
		if (isalpha((unsigned char)s[i]))
			alpha = 1;
		else if (s[i] == '-')
			dash = 1;
		else if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	return alpha || dash;
}

/*
 * domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand
 * Checked on the text as written, never after expansion (7.1).
 */
int
domain_spec_end_ok(const char *s, size_t len)
{
	struct mtoken	 t, last;
	size_t		 off, end, dot;
	int		 r;

	memset(&last, 0, sizeof(last));
	for (off = 0; (r = next_token(s, len, off, 0, &t)) == 1; off += t.len)
		last = t;
	if (r == -1 || len == 0)
		return 0;
	if (last.kind != 0)
		return 1;
	/* The literal tail must hold "." toplabel [ "." ]. */
	end = last.off + last.len;
	if (end > last.off && s[end - 1] == '.')
		end--;
	for (dot = end; dot > last.off && s[dot - 1] != '.'; dot--)
		;
	if (dot == last.off)
		return 0;
	return toplabel_ok(s + dot, end - dot);
}

/*
 * URL-encode all but the unreserved characters of RFC 3986 (url 1), or
 * only the octets beyond ASCII (url 2), or nothing (url 0).
 */
static void
put_url(struct sbuf *w, const char *p, size_t n, int url)
{
	static const char hex[] = "0123456789ABCDEF";
	char	 esc[3];
	size_t	 i, run;

	if (!url) {
		sbuf_put(w, p, n);
		return;
	}
	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n; run++) {
			unsigned char c = (unsigned char)p[i + run];
			if (url == 2 ? c >= 0x80 : !isalnum(c) && c != '-' &&
			    c != '.' && c != '_' && c != '~')
				break;
		}
		if (run > 0) {
			sbuf_put(w, p + i, run);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[(unsigned char)p[i] >> 4];
		esc[2] = hex[(unsigned char)p[i] & 0xf];
		sbuf_put(w, esc, 3);
		run = 1;
	}
}

static const char *
letter_value(char letter, const struct macro_env *env, char *tmp,
    size_t tmplen)
{
	switch (tolower((unsigned char)letter)) {
	case 's':
		return env->sender;
	case 'l':
		return env->local;
	case 'o':
		return env->sender_domain;
	case 'd':
		return env->domain;
	case 'i':
		addr_dotted(env->ip, tmp, tmplen);
		return tmp;
	case 'p':
		return env->validated != NULL ? env->validated : "unknown";
	case 'v':
		return env->ip->af == AF_INET ? "in-addr" : "ip6";
	case 'h':
		return env->helo;
	case 'c':
		addr_text(env->ip, tmp, tmplen);
		return tmp;
	case 'r':
		return env->receiver != NULL && env->receiver[0] != '\0' ?
		    env->receiver : "unknown";
	case 't':
		(void)snprintf(tmp, tmplen, "%lld", (long long)env->now);
		return tmp;
	}
	return "";
}

static int
is_delim(char c, const char *delims)
{
	if (delims[0] == '\0')
		return c == '.';
	return strchr(delims, c) != NULL;
}

/*
 * Split the value on the delimiters, reverse if asked, keep the
 * rightmost parts, join them with dots (7.3).
 */
static void
expand_one(struct sbuf *w, const struct mtoken *t,
    const struct macro_env *env, int flags)
{
	char		 tmp[80];
	const char	*v;
	size_t		 vlen, i, nparts, keep, start, end, count;
	int		 url;

	v = letter_value(t->letter, env, tmp, sizeof(tmp));
	vlen = strlen(v);
	/*
	 * An explanation goes into an SMTP reply, which is ASCII: what a
	 * UTF-8 local-part brings in is written %XX (RFC 8616 4 leaves it
	 * to us), as the upper-case letters write every reserved octet.
	 */
	url = isupper((unsigned char)t->letter) ? 1 :
	    (flags & MACRO_EXPLAIN) ? 2 : 0;
	for (i = 0, nparts = 1; i < vlen; i++)
		if (is_delim(v[i], t->delims))
			nparts++;
	keep = t->digits > 0 && (size_t)t->digits < nparts ?
	    (size_t)t->digits : nparts;

	if (!t->reverse) {
		/* parts nparts-keep .. nparts-1: skip the first ones */
		for (i = 0, count = 0; count < nparts - keep; i++)
			if (is_delim(v[i], t->delims))
				count++;
		for (start = i; i <= vlen; i++) {
			if (i == vlen || is_delim(v[i], t->delims)) {
				put_url(w, v + start, i - start, url);
				if (i < vlen)
					sbuf_put(w, ".", 1);
				start = i + 1;
			}
		}
		return;
	}
	/* reversed: parts keep-1 down to 0 */
	for (end = 0, count = 0; end < vlen; end++)
		if (is_delim(v[end], t->delims) && ++count == keep)
			break;
	for (;;) {
		for (start = end; start > 0 && !is_delim(v[start - 1],
		    t->delims); start--)
			;
		put_url(w, v + start, end - start, url);
		if (start == 0)
			break;
		sbuf_put(w, ".", 1);
		end = start - 1;
	}
}

static void
expand_all(const char *s, size_t len, int flags, const struct macro_env *env,
    struct sbuf *w)
{
	struct mtoken	 t;
	size_t		 off;

	for (off = 0; next_token(s, len, off, flags, &t) == 1; off += t.len) {
		switch (t.kind) {
		case 0:
			sbuf_put(w, s + t.off, t.len);
			break;
		case 1:
			expand_one(w, &t, env, flags);
			break;
		case 2:
			if (t.letter == '%')
				sbuf_put(w, "%", 1);
			else if (t.letter == '_')
				sbuf_put(w, " ", 1);
			else
				sbuf_put(w, "%20", 3);
			break;
		}
	}
}

/*
 * Expand a checked macro-string into out.  A domain (MACRO_DOMAIN)
 * loses one trailing dot and, beyond 253 octets, whole labels from the
 * left; other text is cut at the buffer's end.  Returns the length, or
 * -1 on a syntax error or a domain that is a single label too long.
 */
int
macro_expand(const char *s, size_t len, int flags, const struct macro_env *env,
    char *out, size_t outlen)
{
	struct sbuf	 w;
	size_t		 n, i;

	if (outlen < 256 || macro_check(s, len, flags, NULL) != 0)
		return -1;
	sbuf_fixed(&w, out, outlen);
	expand_all(s, len, flags, env, &w);
	if (w.len >= outlen && (flags & MACRO_DOMAIN)) {
		/* keep the tail, which is all truncation can leave */
		w.skip = w.len - (outlen - 1);
		w.len = 0;
		expand_all(s, len, flags, env, &w);
	}
	n = w.len - w.skip;
	if (n > outlen - 1)
		n = outlen - 1;
	out[n] = '\0';
	if (!(flags & MACRO_DOMAIN))
		return (int)n;

	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	if (n > 253 || w.skip > 0) {
		/*
		 * Drop labels from the left until 253 octets remain; after a
		 * skip the text starts inside a label, so that one goes too.
		 */
		for (i = 0;; i++) {
			while (i < n && out[i] != '.')
				i++;
			if (i >= n)
				return -1;
			if (n - (i + 1) <= 253)
				break;
		}
		memmove(out, out + i + 1, n - i);
		n -= i + 1;
	}
	return (int)n;
}
