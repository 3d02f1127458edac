/*
 * scripted.c: a test double at the resolver boundary.  It implements
 * resolver.c's API (spfint.h) and answers every question from the
 * script the test loaded, as libunbound's event API does through
 * resolver.c: a wire-format answer with a status, from the event loop
 * (or, with sync, inside resolver_query, which libunbound does for
 * cached and local data).  Linked into the unit tests instead of
 * resolver.c; the end-to-end suites use real DNS servers.
 */
#include <event2/event.h>

#include "unit.h"

#define SCRIPT_MAX	64
#define SCRIPT_RDATA	16

struct resolver {
	struct event_base	*base;
};

/* One question asked and not yet answered. */
struct asked {
	struct resolver_cb	*cb;
	int			 id;
	int			 line;		/* -1: unscripted */
	int			 type;
	int			 cancelled;
	int			 silent;
	char			 name[DNS_NAME_TEXT];
	LIST_ENTRY(asked)	 entry;
};

static const struct script_line *script;
static int	 nlines, validating, sync_answers;
static int	 times[SCRIPT_MAX];
static int	 queries, cancelled, next_id = 1;
static LIST_HEAD(, asked) outstanding = LIST_HEAD_INITIALIZER(outstanding);

static int	 type_of(const char *);
static int	 find(const char *, int);
static void	 answer(struct asked *);
static void	 fire(evutil_socket_t, short, void *);
static void	 add_rr(struct msg *, const char *, int, const char *);

void
script_load(const struct script_line *lines, int v, int sync)
{
	struct asked	*a;

	while ((a = LIST_FIRST(&outstanding)) != NULL) {
		LIST_REMOVE(a, entry);
		free(a);
	}
	script = lines;
	for (nlines = 0; lines != NULL && lines[nlines].name != NULL; nlines++)
		assert_true(nlines < SCRIPT_MAX - 1);
	memset(times, 0, sizeof(times));
	queries = cancelled = 0;
	validating = v;
	sync_answers = sync;
}

int
script_asked(const char *name, const char *type)
{
	int	 i = find(name, type_of(type));

	return i == -1 ? 0 : times[i];
}

int
script_queries(void)
{
	return queries;
}

int
script_cancelled(void)
{
	return cancelled;
}

int
script_outstanding(void)
{
	struct asked	*a;
	int		 n = 0;

	LIST_FOREACH(a, &outstanding, entry)
		if (!a->cancelled)
			n++;
	return n;
}

static int
type_of(const char *s)
{
	if (strcmp(s, "A") == 0)
		return DNS_T_A;
	if (strcmp(s, "AAAA") == 0)
		return DNS_T_AAAA;
	if (strcmp(s, "MX") == 0)
		return DNS_T_MX;
	if (strcmp(s, "PTR") == 0)
		return DNS_T_PTR;
	assert_string_equal(s, "TXT");
	return DNS_T_TXT;
}

static int
find(const char *name, int type)
{
	int	 i;

	for (i = 0; i < nlines; i++)
		if (strcasecmp(script[i].name, name) == 0 &&
		    type_of(script[i].type) == type)
			return i;
	return -1;
}

struct resolver *
resolver_new(const struct spf_config *cfg, struct event_base *base,
    int novalidate, char *err, size_t errlen)
{
	struct resolver	*r;

	(void)cfg;
	(void)novalidate;
	(void)errlen;
	err[0] = '\0';
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->base = base;
	return r;
}

int
resolver_probe(struct resolver *r, struct event_base *base, int ms,
    char *why, size_t whylen)
{
	(void)r;
	(void)base;
	(void)ms;
	(void)why;
	(void)whylen;
	return 1;
}

void
resolver_set_describe(struct resolver *r, const char *s)
{
	(void)r;
	(void)s;
}

void
resolver_free(struct resolver *r)
{
	free(r);
}

int
resolver_validating(const struct resolver *r)
{
	(void)r;
	return validating;
}

const char *
resolver_describe(const struct resolver *r)
{
	(void)r;
	return "scripted";
}

int
resolver_query(struct resolver *r, const char *name, int type,
    struct resolver_cb *cb, int *id)
{
	struct asked	*a;
	struct timeval	 now = { 0, 0 };

	*id = 0;
	if (!domain_valid_query(name))
		return -1;
	queries++;
	a = calloc(1, sizeof(*a));
	assert_non_null(a);
	a->cb = cb;
	a->type = type;
	(void)strlcpy(a->name, name, sizeof(a->name));
	if ((a->line = find(name, type)) != -1) {
		times[a->line]++;
		a->silent = strcmp(script[a->line].data, "SILENT") == 0;
	}
	LIST_INSERT_HEAD(&outstanding, a, entry);
	if (a->silent) {
		*id = a->id = next_id++;
		return 0;
	}
	if (sync_answers) {
		answer(a);
		return 0;
	}
	*id = a->id = next_id++;
	assert_int_equal(event_base_once(r->base, -1, EV_TIMEOUT, fire, a,
	    &now), 0);
	return 0;
}

void
resolver_cancel(struct resolver *r, int id)
{
	struct asked	*a;

	(void)r;
	LIST_FOREACH(a, &outstanding, entry) {
		if (a->id == id && id != 0 && !a->cancelled) {
			a->cancelled = 1;
			cancelled++;
			if (a->silent) {
				LIST_REMOVE(a, entry);
				free(a);
			}
			return;
		}
	}
}

static void
fire(evutil_socket_t fd, short what, void *arg)
{
	struct asked	*a = arg;

	(void)fd;
	(void)what;
	if (a->cancelled) {
		LIST_REMOVE(a, entry);
		free(a);
		return;
	}
	answer(a);
}

/* Build the answer and hand it over as resolver.c's answer_cb would. */
static void
answer(struct asked *a)
{
	const struct script_line *l = a->line != -1 ? &script[a->line] : NULL;
	struct resolver_cb	*cb = a->cb;
	struct msg		 m;
	char			 data[2048], *p, *rd;
	int			 sec = 0, n = 0, rcode = 0;

	LIST_REMOVE(a, entry);
	(void)strlcpy(data, l != NULL ? l->data : "NXDOMAIN", sizeof(data));
	if ((p = strstr(data, " +secure")) != NULL) {
		*p = '\0';
		sec = 2;
	}
	if (strcmp(data, "SERVFAIL") == 0) {
		free(a);
		cb->fn(cb->arg, DNS_ERROR, NULL, 0, 0, "scripted SERVFAIL");
		return;
	}
	if (strcmp(data, "NXDOMAIN") == 0)
		rcode = 3;
	header(&m, rcode, 1, 0);
	question(&m, a->name, a->type);
	if (rcode == 0 && strcmp(data, "NODATA") != 0 &&
	    strcmp(data, "BOGUS") != 0) {
		for (p = data; (rd = strsep(&p, "|")) != NULL; n++)
			add_rr(&m, a->name, a->type, rd);
	}
	m.b[6] = (unsigned char)(n >> 8);
	m.b[7] = (unsigned char)(n & 0xff);
	if (strcmp(data, "BOGUS") == 0)
		cb->fn(cb->arg, DNS_BOGUS, m.b, m.n, 1, "scripted bogus");
	else
		cb->fn(cb->arg, rcode == 3 ? DNS_NXDOMAIN : DNS_OK, m.b, m.n,
		    sec, NULL);
	free(a);
}

static void
add_rr(struct msg *m, const char *owner, int type, const char *rd)
{
	char		 name[DNS_NAME_TEXT];
	size_t		 len, off, chunk;
	int		 pref;

	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		rr_a(m, owner, rd);
		break;
	case DNS_T_MX:
		assert_int_equal(sscanf(rd, "%d %1020s", &pref, name), 2);
		rr_mx(m, owner, pref, name);
		break;
	case DNS_T_PTR:
		rr_name(m, owner, type, rd);
		break;
	default:
		/* TXT: character-strings of at most 255 octets */
		rr(m, owner, DNS_T_TXT);
		len = strlen(rd);
		for (off = 0; off < len || off == 0; off += chunk) {
			chunk = len - off > 255 ? 255 : len - off;
			put8(m, (unsigned int)chunk);
			assert_true(m->n + chunk <= sizeof(m->b));
			memcpy(m->b + m->n, rd + off, chunk);
			m->n += chunk;
			if (len == 0)
				break;
		}
		rr_end(m);
		break;
	}
}

struct spf_checker *
script_checker(const struct script_line *lines, int v, int sync,
    int timeout_ms, struct event_base **base)
{
	struct spf_config	 cfg;
	struct spf_checker	*c;
	char			 err[256];

	script_load(lines, v, sync);
	spf_config_init(&cfg);
	cfg.timeout_ms = timeout_ms;
	assert_non_null(*base = event_base_new());
	c = spf_checker_new(&cfg, *base, err, sizeof(err));
	if (c == NULL)
		fail_msg("spf_checker_new: %s", err);
	return c;
}

void
script_run(struct spf_checker *c, struct event_base *base)
{
	assert_int_equal(event_base_dispatch(base), 1);
	assert_int_equal(script_outstanding(), 0);
	spf_checker_free(c);
	event_base_free(base);
}
