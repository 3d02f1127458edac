/*
 * unit.h: what every unit test of common/ includes: cmocka (which needs
 * these headers before its own) and the core's internal API.
 */
#ifndef UNIT_H
#define UNIT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spfint.h"

/* helper.c: a DNS message, built by hand */
struct msg {
	unsigned char	 b[4096];
	size_t		 n;
	size_t		 rdlen_at;	/* the open RR's RDLENGTH */
	int		 ancount;
};

void	 put8(struct msg *, unsigned int);
void	 put16(struct msg *, unsigned int);
/* uncompressed wire form of a dotted name ("" or "." is the root) */
void	 putname(struct msg *, const char *);
void	 putptr(struct msg *, size_t);
/* rcode, qdcount, ancount; the counts can be set again later */
void	 header(struct msg *, int, int, int);
void	 question(struct msg *, const char *, int);
void	 rr_head(struct msg *, int);
void	 rr(struct msg *, const char *, int);
/* an RR whose owner is a pointer to offset */
void	 rr_ptr(struct msg *, size_t, int);
/* the open RR's RDLENGTH, now that its data is written */
void	 rr_end(struct msg *);
void	 rr_a(struct msg *, const char *, const char *);
void	 rr_cname(struct msg *, const char *, const char *);
/* a TXT RR of n character-strings */
void	 rr_txt(struct msg *, const char *, int, ...);
void	 rr_mx(struct msg *, const char *, int, const char *);
/* an RR whose data is one name (PTR, CNAME) */
void	 rr_name(struct msg *, const char *, int, const char *);

/*
 * scripted.c: the resolver boundary (resolver.c's API) answered from a
 * script, so the lookup layer, the evaluator and the linter are tested
 * without a network.  Each line: "name TYPE data..." where data is
 * the records in presentation form separated by '|' ("192.0.2.1",
 * "10 mx.example.org", "v=spf1 -all"), or one of NXDOMAIN, SERVFAIL,
 * BOGUS (sec 1), SILENT (never answered), NODATA.  A trailing " +secure"
 * marks the answer secure (sec 2).  Unscripted questions get NXDOMAIN.
 */
struct script_line {
	const char	*name;
	const char	*type;		/* "A", "AAAA", "MX", "TXT", "PTR" */
	const char	*data;
};

/* Replace the script; sync: answer inside resolver_query. */
void	 script_load(const struct script_line *, int validating, int sync);
int	 script_asked(const char *, const char *);	/* times asked */
int	 script_queries(void);		/* questions asked in all */
int	 script_cancelled(void);	/* cancelled while outstanding */
int	 script_outstanding(void);	/* asked, not answered or cancelled */

#endif /* UNIT_H */
