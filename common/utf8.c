/*
 * utf8.c: what is well-formed UTF-8 (RFC 3629), for the outputs that
 * carry a sender or HELO name as it came (headers, JSON) and for the
 * check before an IDNA conversion.  Overlong forms, surrogates and
 * code points beyond U+10FFFF are not UTF-8.
 */
#include <string.h>

#include "spfint.h"

int
utf8_len(const unsigned char *s)
{
	int		 n, i;
	unsigned int	 cp;

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

int
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int		 n;

	for (; *p != '\0'; p += n)
		if ((n = utf8_len(p)) == 0)
			return 0;
	return 1;
}

int
utf8_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}
