/*
 * resolver.c: libunbound, run by libunbound's event API inside the
 * caller's libevent loop, so a cached answer costs no round trip to a
 * background worker and one process keeps many lookups in flight.
 * This is the only file that includes <unbound.h>.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <unbound.h>
#include <unbound-event.h>

#include "spfint.h"

#define ROOT_KEY	"/usr/share/dns/root.key"
#define RESOLV_CONF	"/etc/resolv.conf"
/* at most this many lookups at once: size libunbound for one process */
#define SMALL_INFLIGHT	4
/* 4,096 source ports, above the usual ephemeral range's start */
#define SMALL_PORTS	"49152-53247"

struct resolver {
	struct ub_ctx	*ctx;
	int		 validating;
	char		 anchor_zone[SPF_DOMAIN_LEN];
	char		 describe[512];
};

struct probe {
	int	 done;
	int	 answered;
	int	 sec;
	int	 rcode;
	int	 havepkt;
	char	 why[256];
};

/*
 * libunbound's own local zones answer before any forwarder is asked;
 * a site resolver may serve them (and the test suite's data lives in
 * TEST-NET reverse zones), so when forwarding every name goes out.
 * unblock-lan-zones lifts the AS112 set; these are the rest.
 */
static const char *default_zones[] = {
	"localhost.",
	"127.in-addr.arpa.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"home.arpa.",
	"onion.",
	"test.",
	"invalid.",
};

static int	set(struct resolver *, const char *, const char *, char *,
		    size_t);
static int	small_sizing(struct resolver *, char *, size_t);
static int	write_zone_config(const struct spf_config *, char *, size_t,
		    char [][SPF_DOMAIN_LEN], char *, size_t);
static int	zone_owners(const char *, const char *, struct ub_ctx *,
		    char *, size_t);
static int	name_under(const char *, const char *);
static int	zone_log_error(const struct spf_config *, const char *,
		    char *, size_t);
static void	answer_cb(void *, int, void *, int, int, char *, int);
static void	probe_cb(void *, int, void *, int, int, char *, int);
static void	probe_timeout(evutil_socket_t, short, void *);

/*
 * A process that asks one question at a time and lives for one SMTP
 * connection (exim-spf.so: max-inflight 1) pays libunbound's start-up
 * on every connection.  Measured (tests/bench/conncost.c, callgrind and
 * minor faults): most of it is memory that is touched at once, not
 * used later.  Every slabbed cache (msg, rrset, key, infra) allocates
 * and initialises a 1,024-bin table with a lock per bin in each of its
 * four slabs; one slab is enough without threads.  The outgoing port
 * list is a copy of every permitted port (256 KiB for 1024-65535): a
 * 4,096-port range keeps a random source port among 4,096 (plus the
 * random query ID) and is 16 KiB.  TCP: one outgoing connection is
 * enough for one lookup at a time.  Trust anchor signalling (RFC 8145,
 * on by default): a validating context tells the anchor's servers
 * which keys it trusts with one more question (a NULL query for
 * _ta-KEYTAG) after priming; a process per connection would send it
 * per connection, one question in five of a validated check (measured:
 * tests/bench/exim_bench.py).  Larger max-inflight keeps libunbound's
 * defaults, which are for many lookups at once.
 */
static int
small_sizing(struct resolver *r, char *err, size_t errlen)
{
	static const char *const opts[][2] = {
		{ "msg-cache-slabs:", "1" },
		{ "rrset-cache-slabs:", "1" },
		{ "key-cache-slabs:", "1" },
		{ "infra-cache-slabs:", "1" },
		{ "infra-cache-numhosts:", "64" },
		{ "ratelimit-slabs:", "1" },
		{ "ip-ratelimit-slabs:", "1" },
		{ "outgoing-num-tcp:", "1" },
		{ "outgoing-port-avoid:", "0-65535" },
		{ "outgoing-port-permit:", SMALL_PORTS },
		{ "trust-anchor-signaling:", "no" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (set(r, opts[i][0], opts[i][1], err, errlen) == -1)
			return -1;
	return 0;
}

static int
set(struct resolver *r, const char *opt, const char *val, char *err,
    size_t errlen)
{
	int	 rc;

	if ((rc = ub_ctx_set_option(r->ctx, opt, val)) != 0) {
		(void)snprintf(err, errlen, "resolver option %s %s: %s", opt,
		    val, ub_strerror(rc));
		return -1;
	}
	return 0;
}

/* auth-zone clauses only come from a file; write one for ub_ctx_config. */
static int
write_zone_config(const struct spf_config *cfg, char *path, size_t pathlen,
    char origins[][SPF_DOMAIN_LEN], char *err, size_t errlen)
{
	char	 origin[SPF_DOMAIN_LEN], abs[PATH_MAX];
	FILE	*f;
	int	 fd, i;
	const char *tmp;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	(void)snprintf(path, pathlen, "%s/spfgate-zones.XXXXXX", tmp);
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		(void)snprintf(err, errlen, "temporary file in %s: %s", tmp,
		    strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(path);
		}
		return -1;
	}
	for (i = 0; i < cfg->nzones; i++) {
		if (zone_origin(cfg->zones[i], origin, sizeof(origin), err,
		    errlen) == -1 || zone_owners(cfg->zones[i], origin, NULL,
		    err, errlen) == -1 || realpath(cfg->zones[i], abs) == NULL) {
			if (err[0] == '\0')
				(void)snprintf(err, errlen, "zone %s: %s",
				    cfg->zones[i], strerror(errno));
			fclose(f);
			unlink(path);
			return -1;
		}
		fprintf(f, "auth-zone:\n\tname: \"%s\"\n\tzonefile: \"%s\"\n"
		    "\tfor-upstream: yes\n\tfor-downstream: no\n"
		    "\tfallback-enabled: no\n", origin, abs);
		(void)strlcpy(origins[i], origin, SPF_DOMAIN_LEN);
	}
	if (fclose(f) != 0) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * Every owner name of a master file must lie in its zone: libunbound
 * drops other names without a word, and a lookup of one would leave for
 * the Internet.  Owners are the first field of a line that does not
 * continue a parenthesized record; $ORIGIN may change along the way.
 * With lift, also remove libunbound's built-in local zones (test.,
 * invalid., the private and TEST-NET reverse zones...) at and above
 * every owner: they would answer NXDOMAIN for it before the file is
 * asked.  Removing a zone that is not there does nothing.
 */
static int
zone_owners(const char *path, const char *zone, struct ub_ctx *lift,
    char *err, size_t errlen)
{
	FILE	*f;
	char	 line[4096], origin[SPF_DOMAIN_LEN], owner[DNS_NAME_TEXT];
	char	*p, *tok, *save;
	int	 depth = 0, quoted = 0, comment = 0, lineno = 0, rc = 0;
	int	 starts, ub, more = 0;

	if ((f = fopen(path, "r")) == NULL) {
		(void)snprintf(err, errlen, "zone %s: %s", path,
		    strerror(errno));
		return -1;
	}
	(void)strlcpy(origin, zone, sizeof(origin));
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		/* a line longer than the buffer comes in pieces */
		starts = !more && depth == 0;
		if (!more) {
			lineno++;
			quoted = comment = 0;
		}
		more = strchr(line, '\n') == NULL;
		for (p = line; !comment && *p != '\0'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = !quoted;
			else if (!quoted && *p == ';') {
				*p = '\0';
				comment = 1;
			} else if (!quoted && *p == '(')
				depth++;
			else if (!quoted && *p == ')' && depth > 0)
				depth--;
		}
		if (!starts || isspace((unsigned char)line[0]) ||
		    (tok = strtok_r(line, " \t\r\n(", &save)) == NULL)
			continue;
		if (!master_field(tok, &save, origin, sizeof(origin), owner,
		    sizeof(owner)))
			continue;
		if (!name_under(owner, zone)) {
			(void)snprintf(err, errlen, "zone %s, line %d: %s is "
			    "not in the file's zone %s (the owner of its SOA); "
			    "give each zone a file of its own", path, lineno,
			    owner, zone);
			rc = -1;
		}
		for (p = owner; rc == 0 && lift != NULL && *p != '\0';
		    p += strcspn(p, ".") + (p[strcspn(p, ".")] == '.')) {
			if ((ub = ub_ctx_zone_remove(lift, p)) != 0) {
				(void)snprintf(err, errlen, "zone %s, line %d: "
				    "%s: %s", path, lineno, p,
				    ub_strerror(ub));
				rc = -1;
			}
		}
	}
	fclose(f);
	return rc;
}

/* Is name equal to zone or below it?  Text names, trailing dot or not. */
static int
name_under(const char *name, const char *zone)
{
	size_t	 nl = strlen(name), zl = strlen(zone);

	if (nl > 0 && name[nl - 1] == '.')
		nl--;
	if (zl > 0 && zone[zl - 1] == '.')
		zl--;
	if (zl == 0)
		return 1;
	if (nl < zl || strncasecmp(name + nl - zl, zone, zl) != 0)
		return 0;
	return nl == zl || name[nl - zl - 1] == '.';
}

/*
 * libunbound reads the zone files when the context is finalized and
 * only logs what it cannot parse; the zone is then empty and every
 * answer from it an error.  Turn the first error it logged into ours.
 * Its "parse error FILE L:C: text" counts the line after the record's
 * newline, so the record's own line is one less, unless the record
 * ends the file without a newline.
 */
static int
zone_log_error(const struct spf_config *cfg, const char *log, char *err,
    size_t errlen)
{
	const char	*p, *e, *num, *errstr;
	char		 line[512], path[PATH_MAX], *colon;
	long long	 lineno, nl = 0;
	size_t		 n;
	FILE		*f;
	int		 c, i, last = EOF;

	for (p = log; *p != '\0'; p = *e == '\n' ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		n = (size_t)(e - p) < sizeof(line) ? (size_t)(e - p) :
		    sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		if ((p = strstr(line, "error: ")) == NULL)
			continue;
		p += 7;
		if (strncmp(p, "parse error ", 12) != 0) {
			(void)snprintf(err, errlen, "zone files: %s", p);
			return -1;
		}
		p += 12;
		/* the file is one of ours: match it by its name */
		for (i = 0; i < cfg->nzones; i++) {
			if (realpath(cfg->zones[i], path) != NULL &&
			    strncmp(p, path, strlen(path)) == 0 &&
			    p[strlen(path)] == ' ')
				break;
		}
		if (i == cfg->nzones) {
			(void)snprintf(err, errlen, "zone files: parse error %s",
			    p);
			return -1;
		}
		num = p + strlen(path) + 1;
		if ((colon = strchr(num, ':')) == NULL) {
			(void)snprintf(err, errlen, "zone %s: parse error %s",
			    cfg->zones[i], num);
			return -1;
		}
		*colon = '\0';
		lineno = strtonum(num, 1, LLONG_MAX, &errstr);
		p = strchr(colon + 1, ':');
		p = p != NULL ? p + 1 + strspn(p + 1, " ") : colon + 1;
		if (errstr != NULL) {
			(void)snprintf(err, errlen, "zone %s: parse error: %s",
			    cfg->zones[i], p);
			return -1;
		}
		if ((f = fopen(cfg->zones[i], "r")) != NULL) {
			while ((c = getc(f)) != EOF) {
				nl += c == '\n';
				last = c;
			}
			fclose(f);
			if (lineno > 1 && (lineno <= nl || last == '\n'))
				lineno--;
		}
		(void)snprintf(err, errlen, "zone %s, line %lld: %s",
		    cfg->zones[i], lineno, p);
		return -1;
	}
	return 0;
}

struct resolver *
resolver_new(const struct spf_config *cfg, struct event_base *base, int novalidate,
    char *err, size_t errlen)
{
	struct resolver	*r;
	char		 num[32], zconf[PATH_MAX];
	char		 origins[SPF_MAX_ZONES][SPF_DOMAIN_LEN];
	const char	*anchors[SPF_MAX_ANCHORS + 1];
	int		 i, rc, n, nanchors = 0, forwarding;
	size_t		 cache, loglen = 0;
	char		*logbuf = NULL;
	FILE		*logf = NULL;

	err[0] = '\0';
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((r->ctx = ub_ctx_create_event(base)) == NULL) {
		(void)snprintf(err, errlen, "cannot create resolver context");
		free(r);
		return NULL;
	}
	forwarding = !cfg->recursive && (cfg->nresolvers > 0 ||
	    cfg->nzones == 0);

	/*
	 * Tuned for mail: a thousand lookups in flight, and a server that
	 * answers some names late is not written off because others came
	 * back fast (the defaults turned slow answers into SERVFAIL).
	 */
	/*
	 * cache-size is shared: half for the checker's own cache of
	 * decoded answers (cache.c, which serves the hot names), half here,
	 * where the rest lives (delegations, DNSSEC keys, the names that
	 * cache.c let go): half of that for records, a quarter each for
	 * messages and keys.  libunbound files every answer in both of its
	 * caches whatever their size; smaller ones cost no CPU (issue 16's
	 * cold profile, 1/2 MB against 16/32 MB).
	 */
	cache = (cfg->cache_size > 0 ? cfg->cache_size : 4 * 1024 * 1024) / 4;
	/*
	 * A full mesh answers SERVFAIL, so it holds every question that
	 * can be out at once: lookup.c puts at most max-questions out and
	 * queues the rest; libunbound's own sub-queries (delegations,
	 * DNSSEC keys) are not counted here.  Four times that leaves room
	 * for cancelled questions that libunbound still finishes.
	 */
	n = cfg->max_questions * 4;
	(void)snprintf(num, sizeof(num), "%d", n < 64 ? 64 : n > 65536 ?
	    65536 : n);
	if (set(r, "num-queries-per-thread:", num, err, errlen) == -1)
		goto fail;
	/*
	 * Sockets: one per evaluation in flight.  libunbound allocates
	 * every one up front (about 0.8 KiB each, a comm_point and its
	 * event) and a question finding none free waits for one; an
	 * evaluation mostly has one question out.  Four per evaluation
	 * cost 3.2 KiB of RSS per evaluation in flight for ports that
	 * stayed unused (issue 16).  A per-connection Exim needs few.
	 * No more than max-questions: lookup.c never has more out.
	 */
	n = cfg->max_inflight < cfg->max_questions ? cfg->max_inflight :
	    cfg->max_questions;
	(void)snprintf(num, sizeof(num), "%d", n < 32 ? 32 : n > 4096 ?
	    4096 : n);
	if (set(r, "outgoing-range:", num, err, errlen) == -1 ||
	    set(r, "infra-cache-min-rtt:", "1000", err, errlen) == -1 ||
	    set(r, "infra-keep-probing:", "yes", err, errlen) == -1 ||
	    /* answers in the order served: a trace that can be compared */
	    set(r, "rrset-roundrobin:", "no", err, errlen) == -1 ||
	    set(r, "do-not-query-localhost:", "no", err, errlen) == -1)
		goto fail;
	(void)snprintf(num, sizeof(num), "%zu", cache);
	if (set(r, "rrset-cache-size:", num, err, errlen) == -1)
		goto fail;
	if (cfg->max_inflight <= SMALL_INFLIGHT && small_sizing(r, err,
	    errlen) == -1)
		goto fail;
	(void)snprintf(num, sizeof(num), "%zu", cache / 2);
	if (set(r, "msg-cache-size:", num, err, errlen) == -1 ||
	    set(r, "key-cache-size:", num, err, errlen) == -1)
		goto fail;
	if (forwarding && set(r, "unblock-lan-zones:", "yes", err,
	    errlen) == -1)
		goto fail;

	if (cfg->dnssec != SPF_DNSSEC_MODE_NO && !novalidate) {
		for (i = 0; i < cfg->nanchors; i++)
			anchors[nanchors++] = cfg->anchors[i];
		/* Offline zones are unsigned: the root key only for DNS. */
		if (nanchors == 0 && cfg->nzones == 0 &&
		    access(ROOT_KEY, R_OK) == 0)
			anchors[nanchors++] = ROOT_KEY;
	}
	r->validating = nanchors > 0;
	if (r->validating && anchor_zone(anchors[0], r->anchor_zone,
	    sizeof(r->anchor_zone)) == -1) {
		(void)snprintf(err, errlen, "trust anchor %s: no record found",
		    anchors[0]);
		goto fail;
	}
	if (!r->validating && set(r, "module-config:", "iterator", err,
	    errlen) == -1)
		goto fail;

	if (cfg->nzones > 0) {
		/*
		 * Hear what libunbound says about the zone files: it reads
		 * them when the context is finalized, below.
		 */
		if ((logf = open_memstream(&logbuf, &loglen)) == NULL) {
			(void)snprintf(err, errlen, "out of memory");
			goto fail;
		}
		(void)ub_ctx_debugout(r->ctx, logf);
		if (write_zone_config(cfg, zconf, sizeof(zconf), origins, err,
		    errlen) == -1)
			goto fail;
		rc = ub_ctx_config(r->ctx, zconf);
		unlink(zconf);
		if (rc != 0) {
			(void)snprintf(err, errlen, "loading zones: %s",
			    ub_strerror(rc));
			goto fail;
		}
	}
	for (i = 0; i < cfg->nresolvers; i++) {
		if ((rc = ub_ctx_set_fwd(r->ctx, cfg->resolvers[i])) != 0) {
			(void)snprintf(err, errlen, "resolver %s: %s",
			    cfg->resolvers[i], ub_strerror(rc));
			goto fail;
		}
	}
	if (forwarding && cfg->nresolvers == 0 &&
	    (rc = ub_ctx_resolvconf(r->ctx, RESOLV_CONF)) != 0) {
		(void)snprintf(err, errlen, "%s: %s", RESOLV_CONF,
		    ub_strerror(rc));
		goto fail;
	}
	for (i = 0; i < nanchors; i++) {
		if ((rc = ub_ctx_add_ta_file(r->ctx, anchors[i])) != 0) {
			(void)snprintf(err, errlen, "trust anchor %s: %s",
			    anchors[i], ub_strerror(rc));
			goto fail;
		}
	}
	/* zone_add finalizes the context: every option comes before it */
	if (forwarding) {
		for (i = 0; i < (int)(sizeof(default_zones) /
		    sizeof(default_zones[0])); i++) {
			rc = ub_ctx_zone_add(r->ctx, default_zones[i],
			    "nodefault");
			/*
			 * zone_add after finalize only retypes the built-in
			 * zone: its SOA/NS stay and answer at the apex.
			 */
			if (rc == 0)
				rc = ub_ctx_data_remove(r->ctx,
				    default_zones[i]);
			if (rc != 0) {
				(void)snprintf(err, errlen, "local zone %s: %s",
				    default_zones[i], ub_strerror(rc));
				goto fail;
			}
		}
	}
	if (logf != NULL) {
		/* Zone files answer for every name in them, in test. too. */
		for (i = 0; i < cfg->nzones; i++)
			if (zone_owners(cfg->zones[i], origins[i], r->ctx, err,
			    errlen) == -1)
				goto fail;
		(void)ub_ctx_debugout(r->ctx, stderr);
		rc = fclose(logf);
		logf = NULL;
		if (rc != 0 || zone_log_error(cfg, logbuf, err, errlen) == -1) {
			if (err[0] == '\0')
				(void)snprintf(err, errlen, "out of memory");
			goto fail;
		}
		free(logbuf);
		logbuf = NULL;
	}
	(void)snprintf(r->describe, sizeof(r->describe), "%s%s%s",
	    cfg->recursive ? "recursive" : cfg->nresolvers > 0 ?
	    "forwarding to configured resolvers" : cfg->nzones > 0 ?
	    "answering from zone files" : "forwarding to " RESOLV_CONF,
	    r->validating ? ", DNSSEC validating with " : ", no DNSSEC "
	    "validation", r->validating ? anchors[0] : "");
	return r;
fail:
	if (logf != NULL) {
		/* the zone files' error explains a failure to finalize */
		(void)ub_ctx_debugout(r->ctx, stderr);
		if (fclose(logf) == 0 && logbuf != NULL)
			(void)zone_log_error(cfg, logbuf, err, errlen);
	}
	free(logbuf);
	resolver_free(r);
	return NULL;
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	if (r->ctx != NULL)
		ub_ctx_delete(r->ctx);
	free(r);
}

int
resolver_validating(const struct resolver *r)
{
	return r->validating;
}

const char *
resolver_describe(const struct resolver *r)
{
	return r->describe;
}

void
resolver_set_describe(struct resolver *r, const char *text)
{
	(void)strlcpy(r->describe, text, sizeof(r->describe));
}

static void
probe_cb(void *arg, int rcode, void *pkt, int len, int sec, char *why,
    int ratelimited)
{
	struct probe	*p = arg;

	(void)ratelimited;
	p->done = p->answered = 1;
	p->sec = sec;
	p->rcode = rcode;
	p->havepkt = pkt != NULL && len >= 12;
	if (why != NULL)
		(void)strlcpy(p->why, why, sizeof(p->why));
}

static void
probe_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct probe	*p = arg;

	(void)fd;
	(void)what;
	p->done = 1;
	(void)strlcpy(p->why, "no answer in time", sizeof(p->why));
}

/*
 * Can this resolver path deliver answers that validate?  Ask for the
 * trust anchor's own zone's DNSKEY: through a forwarder that strips
 * DNSSEC records every signed domain would turn bogus, which must not
 * become a mail outage.  Returns 1 if secure, 0 with why if the answer
 * cannot be validated, -1 with why if no answer came at all.
 */
int
resolver_probe(struct resolver *r, struct event_base *base, int ms, char *why,
    size_t whylen)
{
	struct probe	 p;
	struct event	*ev;
	struct timeval	 tv;
	int		 id = 0, rc;

	if (!r->validating)
		return 1;
	memset(&p, 0, sizeof(p));
	if ((ev = evtimer_new(base, probe_timeout, &p)) == NULL) {
		(void)strlcpy(why, "out of memory", whylen);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
	rc = ub_resolve_event(r->ctx, r->anchor_zone, DNS_T_DNSKEY, 1, &p,
	    probe_cb, &id);
	if (rc != 0) {
		(void)snprintf(p.why, sizeof(p.why), "%s", ub_strerror(rc));
		p.done = 1;
	}
	while (!p.done)
		if (event_base_loop(base, EVLOOP_ONCE) == -1)
			break;
	/* p lives on this stack: no late answer may reach it */
	if (!p.answered && id != 0)
		(void)ub_cancel(r->ctx, id);
	event_free(ev);
	if (p.sec == 2)
		return 1;
	if (!p.answered) {
		(void)snprintf(why, whylen, "no answer to the DNSKEY of %s "
		    "in time", r->anchor_zone);
		return -1;
	}
	(void)snprintf(why, whylen, "the DNSKEY of %s came back %s%s%s",
	    r->anchor_zone, p.sec == 1 ? "bogus" : !p.havepkt ?
	    "without an answer" : p.rcode != 0 ? "with an error" :
	    "unsigned", p.why[0] ? ": " : "", p.why);
	return 0;
}

static void
answer_cb(void *arg, int rcode, void *pkt, int len, int sec, char *why,
    int ratelimited)
{
	struct resolver_cb	*cb = arg;
	enum dns_status		 status;
	struct dns_iter		 it;

	(void)ratelimited;
	/* the event API reports 0 and leaves the real rcode in the packet */
	if (rcode == 0 && pkt != NULL && len >= 12)
		rcode = ((const unsigned char *)pkt)[3] & 0x0f;
	if (sec == 1)
		status = DNS_BOGUS;
	else if (pkt == NULL || len < 12)
		status = DNS_ERROR;
	else if (rcode == 3)
		status = DNS_NXDOMAIN;
	else if (rcode != 0)
		status = DNS_ERROR;
	else if (dns_iter_init(&it, pkt, (size_t)len, 0) == -1)
		status = DNS_ERROR;
	else
		status = DNS_OK;	/* the caller tells OK from NODATA */
	cb->fn(cb->arg, status, pkt, len > 0 ? (size_t)len : 0, sec, why);
}

int
resolver_query(struct resolver *r, const char *name, int type,
    struct resolver_cb *cb, int *id)
{
	char	 qname[DNS_NAME_TEXT];

	*id = 0;
	if (domain_query_text(name, qname, sizeof(qname)) == -1)
		return -1;
	if (ub_resolve_event(r->ctx, qname, type, 1, cb, answer_cb, id) != 0)
		return -1;
	return 0;
}

void
resolver_cancel(struct resolver *r, int id)
{
	if (id != 0)
		(void)ub_cancel(r->ctx, id);
}
