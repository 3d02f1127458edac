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
/* the first len octets of the message, in a buffer of just that size */
unsigned char *msg_copy(const struct msg *, size_t);
/* dns_iter_init over a copy of the message, left in *pkt to free */
int	 msg_iter(struct dns_iter *, const struct msg *, int,
	    unsigned char **);

/* helper.c: configuration fixtures */
/* a config file holding text, removed by conf_cleanup (a teardown) */
const char *conf_file(const char *);
int	 conf_cleanup(void **);
/* spf_config_set must take, or refuse with why (any text if NULL) */
void	 set_ok(struct spf_config *, const char *, const char *);
void	 set_bad(struct spf_config *, const char *, const char *,
	    const char *);

/* jsoncheck.c: a strict JSON parser (RFC 8259) of the tests' own */
#define MAXKEYS	32
/* A parsed top-level object: its keys and where each value lies. */
struct jdoc {
	const char	*text;
	int		 nkeys;
	char		 key[MAXKEYS][32];
	size_t		 vstart[MAXKEYS], vend[MAXKEYS];
};
int	 json_parse(const char *, struct jdoc *);
/* a key's string value, or its integer; a failed test if neither */
const char *jstr(const struct jdoc *, const char *);
long	 jnum(const struct jdoc *, const char *);
/* s is exactly one JSON string: its value into o; else -1 */
int	 json_string_decode(const char *, size_t, unsigned char *, size_t,
	    size_t *);
/* the length of the well-formed UTF-8 sequence at s, or 0 */
int	 utf8_seq(const unsigned char *, size_t);
size_t	 put_utf8(unsigned int, unsigned char *);

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
/* A checker over the script, on a new loop, with this timeout. */
struct spf_checker *script_checker(const struct script_line *, int, int,
	    int, struct event_base **);
/* Run the loop until nothing is left; nothing may stay asked; free. */
void	 script_run(struct spf_checker *, struct event_base *);

/* helper.c: policies at the limits of 4.6.4, for test_eval, test_lint */
extern const struct script_line limits_zone[];

#endif /* UNIT_H */
