/*
 * sbuf.c: the one bounded string builder of common/ (macros, headers,
 * JSON).  Writes never fail: an sbuf counts every octet produced and
 * keeps what fits, so the caller asks once, at the end, whether the
 * text is whole.  A fixed sbuf writes into the caller's buffer; a
 * growing one owns its buffer and grows it up to a named maximum.
 * For macro expansion an sbuf can drop octets from the front (skip), so
 * a domain cut from the left (RFC 7208 7.3) needs no larger buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"

#define SBUF_FIRST	1024	/* a growing sbuf's first allocation */

static void	grow(struct sbuf *, size_t);

void
sbuf_fixed(struct sbuf *sb, char *buf, size_t cap)
{
	memset(sb, 0, sizeof(*sb));
	sb->buf = buf;
	sb->cap = cap;
	if (cap > 0)
		buf[0] = '\0';
}

void
sbuf_growing(struct sbuf *sb, size_t max)
{
	memset(sb, 0, sizeof(*sb));
	sb->max = max;
}

void
sbuf_free(struct sbuf *sb)
{
	if (sb->max > 0 || sb->failed)
		free(sb->buf);
	sb->buf = NULL;
	sb->cap = 0;
}

/* Room for need octets and a NUL, if a growing sbuf may have it. */
static void
grow(struct sbuf *sb, size_t need)
{
	size_t	 ncap;
	char	*nbuf;

	if (sb->max == 0 || need < sb->cap)
		return;
	ncap = sb->cap < SBUF_FIRST ? SBUF_FIRST : sb->cap;
	while (ncap <= need && ncap < sb->max)
		ncap = ncap > sb->max / 2 ? sb->max : ncap * 2;
	if (ncap <= sb->cap)
		return;
	if ((nbuf = realloc(sb->buf, ncap)) == NULL) {
		/* keep what there is; from now on it is fixed, and short */
		sb->failed = 1;
		sb->max = 0;
		return;
	}
	sb->buf = nbuf;
	sb->cap = ncap;
}

/* What sbuf_put (spfint.h) does not do inline. */
void
sbuf_put_slow(struct sbuf *sb, const char *p, size_t n)
{
	size_t	 drop, used, room, keep;

	if (sb->len < sb->skip) {
		drop = sb->skip - sb->len;
		if (drop >= n) {
			sb->len += n;
			return;
		}
		sb->len += drop;
		p += drop;
		n -= drop;
	}
	used = sb->len - sb->skip;
	grow(sb, used + n);
	room = sb->cap > 0 && used < sb->cap - 1 ? sb->cap - 1 - used : 0;
	keep = n < room ? n : room;
	if (keep > 0)
		memcpy(sb->buf + used, p, keep);
	sb->len += n;
}

void
sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
	char	 tmp[SBUF_PRINTF_MAX];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(tmp)) {
		/* callers format short things; more is a bug, and shows */
		sb->len += (size_t)n;
		sb->cut = 1;
		return;
	}
	sbuf_put(sb, tmp, (size_t)n);
}

/* The digits by hand: vsnprintf costs a thousand instructions a call. */
void
sbuf_putint(struct sbuf *sb, long v)
{
	char		 digits[24];
	size_t		 i = sizeof(digits);
	unsigned long	 u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		digits[--i] = '-';
	sbuf_put(sb, digits + i, sizeof(digits) - i);
}

int
sbuf_finish_cut(struct sbuf *sb)
{
	size_t	 kept = sb->len - sb->skip;

	if (sb->cap == 0)
		return 0;
	if (kept > sb->cap - 1)
		kept = sb->cap - 1;
	sb->buf[kept] = '\0';
	return (int)kept;
}

void
sbuf_rewind(struct sbuf *sb, size_t len)
{
	if (len < sb->len)
		sb->len = len;
	if (sb->len == 0)
		sb->cut = 0;
}

/* Octets kept in the buffer. */
size_t
sbuf_len(const struct sbuf *sb)
{
	return sb->len - sb->skip;
}

int
sbuf_whole(const struct sbuf *sb)
{
	return !sb->cut && sb->cap > 0 && sb->len - sb->skip < sb->cap;
}

int
sbuf_finish(struct sbuf *sb)
{
	if (!sbuf_whole(sb)) {
		if (sb->cap > 0)
			sb->buf[0] = '\0';
		return -1;
	}
	sb->buf[sb->len - sb->skip] = '\0';
	return (int)(sb->len - sb->skip);
}
