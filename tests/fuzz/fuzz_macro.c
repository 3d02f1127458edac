/*
 * fuzz_macro.c: libFuzzer target for the macro language of RFC 7208 7
 * (macro_check, domain_spec_end_ok, macro_expand).
 *
 * The input carries the macro-string and the whole environment, so the
 * fuzzer chooses the sender, HELO name, client address and every other
 * value a letter can stand for (each is text a stranger controls):
 *
 *	octet 0		flags: 1 IPv6 client, 2 %{p} known, 4 receiver set
 *	octets 1-16	client address (the first 4 for IPv4)
 *	octets 17-20	%{t}, big-endian seconds
 *	octet 21	extra output buffer size: 256 + 4 * n
 *	octets 22-23	length of the macro-string, big-endian
 *	then		the macro-string (any octets, NUL included), then
 *			NUL-separated local-part, sender domain, <domain>,
 *			HELO, %{p} name and receiver (missing ones default)
 *
 * Every input is checked and expanded as a domain-spec and as an
 * explain-string, each into heap buffers of exactly the sizes the
 * evaluator uses and one of the fuzzer's choosing, so ASan sees any
 * write or read past them.  The results are compared with a plain
 * reference implementation written from the RFC below: unbounded,
 * slow and obvious, sharing no code with macro.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define HEADER_LEN	24
#define NFIELDS		6
#define FIELD_MAX	1024


/* A growing string for the reference expander. */
struct rbuf {
	char	*s;
	size_t	 len, cap;
};

static void	rb_add(struct rbuf *, const char *, size_t);
static int	ref_letter_ok(int, int);
static int	ref_is_delim(int, const char *);
static void	ref_value(int, const struct macro_env *, char *, size_t);
static void	ref_escape(struct rbuf *, const char *, size_t, int);
static int	ref_expand(const char *, size_t, int, const struct macro_env *,
		    struct rbuf *, int *);
static int	ref_domain(struct rbuf *);
static int	ref_toplabel(const char *, size_t);
static int	ref_domain_end(const char *, size_t);
static void	compare(const char *, size_t, int, const struct macro_env *,
		    size_t);

static void
rb_add(struct rbuf *b, const char *p, size_t n)
{
	size_t	 ncap;
	char	*ns;

	if (b->len + n + 1 > b->cap) {
		ncap = b->cap == 0 ? 256 : b->cap;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((ns = realloc(b->s, ncap)) == NULL)
			abort();
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/*
 * macro-letter = "s" / "l" / "o" / "d" / "i" / "p" / "h" / "c" / "r" /
 * "t" / "v", case-insensitive; c, r and t only in exp text (7.2).
 */
static int
ref_letter_ok(int c, int flags)
{
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	if (c != 0 && strchr("slodiphv", c) != NULL)
		return 1;
	return (flags & MACRO_EXPLAIN) && c != 0 && strchr("crt", c) != NULL;
}

/* delimiter = "." / "-" / "+" / "," / "/" / "_" / "=" */
static int
ref_is_delim(int c, const char *delims)
{
	return c != 0 && strchr(delims, c) != NULL;
}

static void
ref_value(int letter, const struct macro_env *env, char *out, size_t outlen)
{
	const unsigned char	*a = env->ip->a;
	char			 tmp[64];
	int			 i;

	if (letter >= 'A' && letter <= 'Z')
		letter += 'a' - 'A';
	out[0] = '\0';
	switch (letter) {
	case 's':
		(void)snprintf(out, outlen, "%s", env->sender);
		break;
	case 'l':
		(void)snprintf(out, outlen, "%s", env->local);
		break;
	case 'o':
		(void)snprintf(out, outlen, "%s", env->sender_domain);
		break;
	case 'd':
		(void)snprintf(out, outlen, "%s", env->domain);
		break;
	case 'h':
		(void)snprintf(out, outlen, "%s", env->helo);
		break;
	case 'p':
		(void)snprintf(out, outlen, "%s", env->validated != NULL ?
		    env->validated : "unknown");
		break;
	case 'r':
		(void)snprintf(out, outlen, "%s", env->receiver != NULL &&
		    env->receiver[0] != '\0' ? env->receiver : "unknown");
		break;
	case 'v':
		(void)snprintf(out, outlen, "%s", env->ip->af == AF_INET ?
		    "in-addr" : "ip6");
		break;
	case 't':
		(void)snprintf(out, outlen, "%lld", (long long)env->now);
		break;
	case 'c':
		if (inet_ntop(env->ip->af, a, out, outlen) == NULL)
			out[0] = '\0';
		break;
	case 'i':
		if (env->ip->af == AF_INET) {
			(void)snprintf(out, outlen, "%u.%u.%u.%u", a[0], a[1],
			    a[2], a[3]);
			break;
		}
		/* 32 nibbles, dot-separated (7.3); upper case as macro.c */
		for (i = 0; i < 16; i++) {
			(void)snprintf(tmp, sizeof(tmp), "%s%X.%X", i ? "." : "",
			    a[i] >> 4, a[i] & 0xf);
			(void)strlcat(out, tmp, outlen);
		}
		break;
	}
}

/*
 * Uppercase letters (url 1): URL-escape all but RFC 3986's unreserved
 * set; lowercase letters in an explain-string (url 2): only the octets
 * beyond ASCII, as a UTF-8 local-part brings in (RFC 8616 4).
 */
static void
ref_escape(struct rbuf *b, const char *p, size_t n, int url)
{
	char	 esc[4];
	size_t	 i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (!url || (url == 2 && c < 0x80) || (url == 1 &&
		    ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')))
			rb_add(b, p + i, 1);
		else {
			(void)snprintf(esc, sizeof(esc), "%%%02X", c);
			rb_add(b, esc, 3);
		}
	}
}

/*
 * macro-string = *( macro-expand / macro-literal )
 * macro-expand = ( "%{" macro-letter transformers *delimiter "}" )
 *                / "%%" / "%_" / "%-"
 * macro-literal = %x21-24 / %x26-7E
 * transformers  = *DIGIT [ "r" ]
 * explain-string = *( macro-string / SP )
 * Returns 0 with the expansion in out (when out is not NULL), -1 on a
 * syntax error.  *uses_p is set for a p macro.
 */
static int
ref_expand(const char *s, size_t len, int flags, const struct macro_env *env,
    struct rbuf *out, int *uses_p)
{
	char		 value[4 * FIELD_MAX], delims[16], **parts;
	size_t		 i, j, k, nparts, vlen, first, start;
	unsigned long	 digits;
	int		 letter, ndigits, reverse, url;
	unsigned char	 c;

	*uses_p = 0;
	for (i = 0; i < len; ) {
		c = (unsigned char)s[i];
		if (c != '%') {
			if ((c == ' ' && (flags & MACRO_EXPLAIN)) ||
			    (c >= 0x21 && c <= 0x7e)) {
				if (out != NULL)
					rb_add(out, s + i, 1);
				i++;
				continue;
			}
			return -1;
		}
		if (i + 1 >= len)
			return -1;
		switch (s[i + 1]) {
		case '%':
			if (out != NULL)
				rb_add(out, "%", 1);
			i += 2;
			continue;
		case '_':
			if (out != NULL)
				rb_add(out, " ", 1);
			i += 2;
			continue;
		case '-':
			if (out != NULL)
				rb_add(out, "%20", 3);
			i += 2;
			continue;
		case '{':
			break;
		default:
			return -1;
		}
		i += 2;
		if (i >= len || !ref_letter_ok((unsigned char)s[i], flags))
			return -1;
		letter = (unsigned char)s[i++];
		if (letter == 'p' || letter == 'P')
			*uses_p = 1;
		digits = 0;
		ndigits = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (digits < 100000)
				digits = digits * 10 + (unsigned long)(s[i] - '0');
			ndigits++;
			i++;
		}
		/* "If a DIGIT is specified, the value MUST be nonzero." */
		if (ndigits > 0 && digits == 0)
			return -1;
		reverse = 0;
		if (i < len && (s[i] == 'r' || s[i] == 'R')) {
			reverse = 1;
			i++;
		}
		j = 0;
		while (i < len && s[i] != '}') {
			if (!ref_is_delim((unsigned char)s[i], ".-+,/_="))
				return -1;
			if (j < sizeof(delims) - 1)
				delims[j++] = s[i];
			i++;
		}
		delims[j] = '\0';
		if (i >= len)
			return -1;
		i++;		/* the "}" */
		if (out == NULL)
			continue;

		/* 7.3: split, reverse, take the right-hand parts, join. */
		ref_value(letter, env, value, sizeof(value));
		vlen = strlen(value);
		if (j == 0)
			(void)strlcpy(delims, ".", sizeof(delims));
		nparts = 1;
		for (k = 0; k < vlen; k++)
			if (ref_is_delim((unsigned char)value[k], delims))
				nparts++;
		if ((parts = calloc(nparts, sizeof(*parts))) == NULL)
			abort();
		for (k = 0, start = 0, nparts = 0; k <= vlen; k++) {
			if (k == vlen || ref_is_delim((unsigned char)value[k],
			    delims)) {
				parts[nparts++] = strndup(value + start,
				    k - start);
				start = k + 1;
			}
		}
		if (reverse) {
			for (k = 0; k < nparts / 2; k++) {
				char *tmp = parts[k];
				parts[k] = parts[nparts - 1 - k];
				parts[nparts - 1 - k] = tmp;
			}
		}
		first = ndigits > 0 && digits < nparts ? nparts - digits : 0;
		url = letter >= 'A' && letter <= 'Z' ? 1 :
		    (flags & MACRO_EXPLAIN) ? 2 : 0;
		for (k = first; k < nparts; k++) {
			if (k > first)
				rb_add(out, ".", 1);
			ref_escape(out, parts[k], strlen(parts[k]), url);
		}
		for (k = 0; k < nparts; k++)
			free(parts[k]);
		free(parts);
	}
	return 0;
}

/*
 * 7.3: a domain for a query loses a trailing dot and, beyond 253
 * characters, labels from the left.  Returns -1 when no label-aligned
 * tail fits.
 */
static int
ref_domain(struct rbuf *b)
{
	size_t	 i;

	if (b->len > 0 && b->s[b->len - 1] == '.')
		b->s[--b->len] = '\0';
	while (b->len > 253) {
		for (i = 0; i < b->len && b->s[i] != '.'; i++)
			;
		if (i == b->len)
			return -1;
		memmove(b->s, b->s + i + 1, b->len - i);
		b->len -= i + 1;
	}
	return 0;
}

/*
 * toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 */
static int
ref_toplabel(const char *s, size_t len)
{
	size_t	 i;
	int	 alpha = 0, dash = 0;

#define ALNUM(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
	((c) >= '0' && (c) <= '9'))
	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
			alpha = 1;
		else if (s[i] == '-')
			dash = 1;
		else if (!(s[i] >= '0' && s[i] <= '9'))
			return 0;
	}
	if (!dash)
		return alpha;
	return ALNUM(s[0]) && ALNUM(s[len - 1]);
#undef ALNUM
}

/*
 * domain-end = ( "." toplabel [ "." ] ) / macro-expand, at the end of a
 * macro-string: the text after the last macro-expand must end so.
 */
static int
ref_domain_end(const char *s, size_t len)
{
	size_t	 i, lit, end, dot;
	int	 p;

	if (len == 0 || ref_expand(s, len, 0, NULL, NULL, &p) != 0)
		return 0;
	/* where the trailing run of macro-literals starts */
	for (i = 0, lit = 0; i < len; ) {
		if (s[i] != '%') {
			i++;
			continue;
		}
		if (s[i + 1] == '{') {
			while (s[i] != '}')
				i++;
			i++;
		} else
			i += 2;
		lit = i;
	}
	if (lit == len)
		return 1;	/* ends in a macro-expand */
	end = len;
	if (s[end - 1] == '.')
		end--;
	for (dot = end; dot > lit && s[dot - 1] != '.'; dot--)
		;
	if (dot == lit)
		return 0;
	return ref_toplabel(s + dot, end - dot);
}

/* Expand with macro.c into a heap buffer of outlen; compare. */
static void
compare(const char *s, size_t len, int flags, const struct macro_env *env,
    size_t outlen)
{
	struct rbuf	 ref;
	char		*out;
	int		 n, rr, p;
	size_t		 want;

	memset(&ref, 0, sizeof(ref));
	rb_add(&ref, "", 0);
	rr = ref_expand(s, len, flags, env, &ref, &p);
	if ((out = malloc(outlen)) == NULL)
		abort();
	memset(out, 'X', outlen);
	n = macro_expand(s, len, flags, env, out, outlen);
	if (rr == -1) {
		CHECK(n == -1);
		goto done;
	}
	if (flags & MACRO_DOMAIN) {
		if (ref_domain(&ref) == -1) {
			CHECK(n == -1);
			goto done;
		}
		CHECK(n >= 0 && (size_t)n == ref.len && n <= 253);
		CHECK(memcmp(out, ref.s, ref.len + 1) == 0);
		goto done;
	}
	/* other text is cut at the buffer's end */
	want = ref.len < outlen - 1 ? ref.len : outlen - 1;
	CHECK(n >= 0 && (size_t)n == want);
	CHECK(memcmp(out, ref.s, want) == 0 && out[want] == '\0');
done:
	free(out);
	free(ref.s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *defaults[NFIELDS] = {
		"strong-bad", "email.example.com", "email.example.com",
		"mx.example.org", "mx.example.org", "receiver.example.net"
	};
	char		 fields[NFIELDS][FIELD_MAX + 1], *sender, *s;
	struct spf_addr	 ip;
	struct macro_env env;
	size_t		 slen, off, i, n, outlen;
	int		 p, rp, rc, rr, fl;

	if (size < HEADER_LEN)
		return 0;
	memset(&ip, 0, sizeof(ip));
	if (data[0] & 1) {
		ip.af = AF_INET6;
		memcpy(ip.a, data + 1, 16);
	} else {
		ip.af = AF_INET;
		memcpy(ip.a, data + 1, 4);
	}
	slen = (size_t)data[22] << 8 | data[23];
	if (slen > size - HEADER_LEN)
		slen = size - HEADER_LEN;
	off = HEADER_LEN + slen;
	for (i = 0; i < NFIELDS; i++) {
		if (off < size) {
			for (n = 0; off + n < size && data[off + n] != '\0'; n++)
				;
			if (n > FIELD_MAX)
				n = FIELD_MAX;
			memcpy(fields[i], data + off, n);
			fields[i][n] = '\0';
			while (off < size && data[off] != '\0')
				off++;
			off++;
		} else
			(void)strlcpy(fields[i], defaults[i], sizeof(fields[i]));
	}
	if (asprintf(&sender, "%s@%s", fields[0], fields[1]) == -1)
		return 0;
	memset(&env, 0, sizeof(env));
	env.sender = sender;
	env.local = fields[0];
	env.sender_domain = fields[1];
	env.domain = fields[2];
	env.helo = fields[3];
	env.validated = (data[0] & 2) ? fields[4] : NULL;
	env.receiver = (data[0] & 4) ? fields[5] : NULL;
	env.ip = &ip;
	env.now = (time_t)((uint32_t)data[17] << 24 | (uint32_t)data[18] << 16 |
	    (uint32_t)data[19] << 8 | data[20]);
	outlen = 256 + 4 * (size_t)data[21];

	/* the macro-string exactly sized on the heap */
	if ((s = malloc(slen > 0 ? slen : 1)) == NULL) {
		free(sender);
		return 0;
	}
	memcpy(s, data + HEADER_LEN, slen);

	for (fl = 0; fl <= MACRO_EXPLAIN; fl += MACRO_EXPLAIN) {
		rc = macro_check(s, slen, fl, &p);
		rr = ref_expand(s, slen, fl, NULL, NULL, &rp);
		CHECK(rc == 0 || rc == -1);
		CHECK(rc == rr);
		if (rc == 0)
			CHECK(p == rp);
		CHECK(macro_check(s, slen, fl, NULL) == rc);
	}
	CHECK(domain_spec_end_ok(s, slen) == ref_domain_end(s, slen));

	for (fl = 0; fl <= (MACRO_EXPLAIN | MACRO_DOMAIN); fl++) {
		compare(s, slen, fl, &env, SPF_DOMAIN_LEN);
		compare(s, slen, fl, &env, SPF_EXPLANATION_LEN);
		compare(s, slen, fl, &env, outlen);
	}
	/* too small a buffer is refused, never written past */
	{
		char	 small[255];

		CHECK(macro_expand(s, slen, MACRO_DOMAIN, &env, small,
		    sizeof(small)) == -1);
	}
	free(s);
	free(sender);
	return 0;
}
