/*
 * fields.h: the fields of smtpd-filters(7) lines, parsed without state;
 * internal to filter-spf (proto.c and the protocol fuzzer).
 */
#ifndef FIELDS_H
#define FIELDS_H

#include <stdint.h>

#include "proto.h"

/*
 * Cut s in place at the first n - 1 '|' into f[0..n-1]; the last field
 * keeps any further '|' (only the last field may hold one).  Returns how
 * many fields were found, at most n.
 */
int	split(char *, char **, int);
/*
 * link-connect's src ("1.2.3.4:5678", "[2001:db8::25]:41234", a bare
 * address, "unix:..." or "local") as a typed client address; anything
 * else is PROTO_SRC_UNUSABLE.  The proto_src keeps a pointer to text.
 */
void	src_read(const char *, struct proto_src *);
/* A session id or token: 1 to 16 hex digits; 0 and the value, or -1. */
int	parse_id(const char *, uint64_t *);
/* Is this a filter protocol version we read (0.6, 0.7)? */
int	known_version(const char *);

#endif
