/*
 * domain.c: what makes a name usable, as an identity (RFC 7208 4.3) and
 * as a DNS question, and comparing names the way DNS does.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "spfint.h"

static int	labels_ok(const char *, size_t, int *);

/*
 * Labels of 1 to 63 octets, 253 in all; a trailing dot allowed.
 * Counts the labels into *nlabels.
 */
static int
labels_ok(const char *s, size_t len, int *nlabels)
{
	size_t	 i, label;

	*nlabels = 0;
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return 0;
	for (i = 0, label = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			(*nlabels)++;
			label = 0;
		} else if (++label > 63)
			return 0;
	}
	if (label == 0)
		return 0;
	(*nlabels)++;
	return 1;
}

/*
 * The <domain> check_host() starts from: a multi-label name of visible
 * ASCII, no domain literal.  Anything else gives "none" (4.3).  The
 * labels as labels_ok counts them, in the same pass: every query asks.
 */
int
domain_valid_initial(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, label = 0;
	int			 n = 0;

	if (u[0] == '[')
		return 0;
	for (i = 0; u[i] != '\0'; i++) {
		if (u[i] <= 0x20 || u[i] >= 0x7f)
			return 0;
		if (u[i] == '.') {
			if (label == 0)
				return 0;
			n++;
			label = 0;
		} else if (++label > 63)
			return 0;
	}
	if (i == 0)
		return 0;
	/* a trailing dot (one: two made an empty label) ended the last */
	if (label > 0)
		n++;
	else
		i--;
	return i <= 253 && n >= 2;
}

/* A name a DNS question can be composed from. */
int
domain_valid_query(const char *s)
{
	int	 n;

	return labels_ok(s, strlen(s), &n);
}

/* name is domain or below it; case-insensitive, trailing dots ignored. */
int
domain_within(const char *name, const char *domain)
{
	size_t	 nl, dl;

	nl = strlen(name);
	dl = strlen(domain);
	if (nl > 0 && name[nl - 1] == '.')
		nl--;
	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	if (dl == 0 || nl < dl)
		return 0;
	if (strncasecmp(name + nl - dl, domain, dl) != 0)
		return 0;
	return nl == dl || name[nl - dl - 1] == '.';
}

/*
 * The text libunbound parses into a wire name: its escapes are ours to
 * quote, so a backslash in a record (a legal macro-literal) or a byte
 * a sender put in a local-part cannot change the question asked.
 */
int
domain_query_text(const char *in, char *out, size_t outlen)
{
	size_t	 o;
	unsigned char c;
	int	 n;

	for (o = 0; *in != '\0'; in++) {
		c = (unsigned char)*in;
		if (c == '\\') {
			if (o + 2 >= outlen)
				return -1;
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c <= 0x20 || c >= 0x7f) {
			if (o + 4 >= outlen)
				return -1;
			n = snprintf(out + o, outlen - o, "\\%03u", c);
			if (n != 4)
				return -1;
			o += 4;
		} else {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)c;
		}
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return 0;
}

void
domain_strip_dot(char *s)
{
	size_t	 len;

	len = strlen(s);
	if (len > 0 && s[len - 1] == '.')
		s[len - 1] = '\0';
}
