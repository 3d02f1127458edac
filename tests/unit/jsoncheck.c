/*
 * jsoncheck.c: a strict JSON parser of the unit tests' own (RFC 8259:
 * no raw control characters, valid escapes, valid UTF-8), for what
 * spf_json_string and spf_result_json write (test_json.c).
 */
#include <ctype.h>

#include "unit.h"

struct jp {
	const unsigned char *s;
	size_t		 n, i;
};

static void	j_ws(struct jp *);
static int	j_hex4(struct jp *, unsigned int *);
static int	j_string(struct jp *, unsigned char *, size_t, size_t *);
static int	j_number(struct jp *);
static int	j_value(struct jp *, int, struct jdoc *);

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0. */
int
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned int	 cp;
	size_t		 len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return (int)len;
}

size_t
put_utf8(unsigned int cp, unsigned char *o)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static void
j_ws(struct jp *p)
{
	while (p->i < p->n && strchr(" \t\r\n", p->s[p->i]) != NULL &&
	    p->s[p->i] != '\0')
		p->i++;
}

static int
j_hex4(struct jp *p, unsigned int *v)
{
	int	 k;
	char	 c;

	*v = 0;
	if (p->i + 4 > p->n)
		return -1;
	for (k = 0; k < 4; k++) {
		c = (char)p->s[p->i++];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* A string at p->i, decoded into o (if not NULL) as UTF-8. */
static int
j_string(struct jp *p, unsigned char *o, size_t olen, size_t *on)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char	*e;
	unsigned int	 cp, lo;
	unsigned char	 c;
	unsigned char	 tmp[4];
	size_t		 k, w = 0;
	int		 l;

	if (p->i >= p->n || p->s[p->i] != '"')
		return -1;
	p->i++;
	for (;;) {
		if (p->i >= p->n)
			return -1;
		if (p->s[p->i] == '"') {
			p->i++;
			break;
		}
		if (p->s[p->i] < 0x20)
			return -1;
		if (p->s[p->i] == '\\') {
			if (++p->i >= p->n)
				return -1;
			c = p->s[p->i++];
			if (c == 'u') {
				if (j_hex4(p, &cp) == -1)
					return -1;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return -1;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (p->i + 2 > p->n ||
					    p->s[p->i] != '\\' ||
					    p->s[p->i + 1] != 'u')
						return -1;
					p->i += 2;
					if (j_hex4(p, &lo) == -1 ||
					    lo < 0xdc00 || lo > 0xdfff)
						return -1;
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
				}
			} else if (c != '\0' && (e = strchr(from, c)) != NULL)
				cp = (unsigned char)to[e - from];
			else
				return -1;
			k = put_utf8(cp, tmp);
			if (o != NULL) {
				if (w + k >= olen)
					return -1;
				memcpy(o + w, tmp, k);
			}
			w += k;
			continue;
		}
		if ((l = utf8_seq(p->s + p->i, p->n - p->i)) == 0)
			return -1;
		if (o != NULL) {
			if (w + (size_t)l >= olen)
				return -1;
			memcpy(o + w, p->s + p->i, (size_t)l);
		}
		w += (size_t)l;
		p->i += (size_t)l;
	}
	if (o != NULL)
		o[w] = '\0';
	if (on != NULL)
		*on = w;
	return 0;
}

static int
j_number(struct jp *p)
{
	size_t	 start;

	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	if (p->i >= p->n || !isdigit(p->s[p->i]))
		return -1;
	if (p->s[p->i] == '0')
		p->i++;
	else
		while (p->i < p->n && isdigit(p->s[p->i]))
			p->i++;
	if (p->i < p->n && p->s[p->i] == '.') {
		start = ++p->i;
		while (p->i < p->n && isdigit(p->s[p->i]))
			p->i++;
		if (p->i == start)
			return -1;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		start = p->i;
		while (p->i < p->n && isdigit(p->s[p->i]))
			p->i++;
		if (p->i == start)
			return -1;
	}
	return 0;
}

/* Any value; at depth 0 an object's keys are recorded in d. */
static int
j_value(struct jp *p, int depth, struct jdoc *d)
{
	unsigned char	 key[256];
	size_t		 klen;
	int		 first = 1;

	if (depth > 32)
		return -1;
	j_ws(p);
	if (p->i >= p->n)
		return -1;
	switch (p->s[p->i]) {
	case '{':
		p->i++;
		for (;;) {
			j_ws(p);
			if (first && p->i < p->n && p->s[p->i] == '}') {
				p->i++;
				return 0;
			}
			if (j_string(p, key, sizeof(key), &klen) == -1)
				return -1;
			j_ws(p);
			if (p->i >= p->n || p->s[p->i++] != ':')
				return -1;
			j_ws(p);
			if (depth == 0 && d != NULL) {
				if (d->nkeys == MAXKEYS || klen >= 32)
					return -1;
				memcpy(d->key[d->nkeys], key, klen + 1);
				d->vstart[d->nkeys] = p->i;
			}
			if (j_value(p, depth + 1, d) == -1)
				return -1;
			if (depth == 0 && d != NULL)
				d->vend[d->nkeys++] = p->i;
			j_ws(p);
			if (p->i >= p->n)
				return -1;
			if (p->s[p->i] == '}') {
				p->i++;
				return 0;
			}
			if (p->s[p->i++] != ',')
				return -1;
			first = 0;
		}
	case '[':
		p->i++;
		for (;;) {
			j_ws(p);
			if (first && p->i < p->n && p->s[p->i] == ']') {
				p->i++;
				return 0;
			}
			if (j_value(p, depth + 1, d) == -1)
				return -1;
			j_ws(p);
			if (p->i >= p->n)
				return -1;
			if (p->s[p->i] == ']') {
				p->i++;
				return 0;
			}
			if (p->s[p->i++] != ',')
				return -1;
			first = 0;
		}
	case '"':
		return j_string(p, NULL, 0, NULL);
	case 't':
		if (p->n - p->i >= 4 && memcmp(p->s + p->i, "true", 4) == 0) {
			p->i += 4;
			return 0;
		}
		return -1;
	case 'f':
		if (p->n - p->i >= 5 && memcmp(p->s + p->i, "false", 5) == 0) {
			p->i += 5;
			return 0;
		}
		return -1;
	case 'n':
		if (p->n - p->i >= 4 && memcmp(p->s + p->i, "null", 4) == 0) {
			p->i += 4;
			return 0;
		}
		return -1;
	default:
		return j_number(p);
	}
}

/* Is s exactly one JSON value?  Its top-level keys go into d. */
int
json_parse(const char *s, struct jdoc *d)
{
	struct jp	 p;

	memset(d, 0, sizeof(*d));
	d->text = s;
	p.s = (const unsigned char *)s;
	p.n = strlen(s);
	p.i = 0;
	if (j_value(&p, 0, d) == -1)
		return -1;
	j_ws(&p);
	return p.i == p.n ? 0 : -1;
}

/* The decoded string value of a top-level key. */
const char *
jstr(const struct jdoc *d, const char *key)
{
	static unsigned char	 buf[SPF_JSON_LEN];
	struct jp		 p;
	int			 k;

	for (k = 0; k < d->nkeys; k++)
		if (strcmp(d->key[k], key) == 0)
			break;
	if (k == d->nkeys)
		fail_msg("no key \"%s\"", key);
	p.s = (const unsigned char *)d->text;
	p.n = d->vend[k];
	p.i = d->vstart[k];
	if (j_string(&p, buf, sizeof(buf), NULL) == -1)
		fail_msg("\"%s\" is not a string", key);
	return (const char *)buf;
}

long
jnum(const struct jdoc *d, const char *key)
{
	char	*end;
	long	 v;
	int	 k;

	for (k = 0; k < d->nkeys; k++)
		if (strcmp(d->key[k], key) == 0)
			break;
	if (k == d->nkeys)
		fail_msg("no key \"%s\"", key);
	v = strtol(d->text + d->vstart[k], &end, 10);
	if ((size_t)(end - d->text) != d->vend[k])
		fail_msg("\"%s\" is not an integer", key);
	return v;
}

/* s (n octets) is exactly one JSON string: its value into o. */
int
json_string_decode(const char *s, size_t n, unsigned char *o, size_t olen,
    size_t *on)
{
	struct jp	 p;

	p.s = (const unsigned char *)s;
	p.n = n;
	p.i = 0;
	if (j_string(&p, o, olen, on) == -1 || p.i != p.n)
		return -1;
	return 0;
}
