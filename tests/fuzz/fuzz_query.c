/*
 * fuzz_query.c: libFuzzer target for a whole evaluation, from the
 * strings a client chooses (IP, envelope sender, HELO name) through
 * spf_query_start, the evaluator, the resolver glue and the DNS
 * decoder to the result and every text made from it (JSON line,
 * Received-SPF, Authentication-Results, SMTP reply, log line, trace).
 * This is what "spfgate filter" does with each input line once it has
 * split it into fields, without the network: each checker answers from
 * one zone file (tests/fuzz/zones/, a root zone, so every name is
 * answered from it; the forwarder it names, 127.0.0.1 port 9, is never
 * needed and refuses if asked).
 *
 * Input: "IP\nSENDER\nHELO\nMODE", later lines optional.  MODE is a
 * list of words: zN picks the zone (0 realworld.zone, N suite-NN.zone
 * from the RFC 7208 suite), t traces the evaluation (--explain), s runs
 * it through spf_check_sync, cN cancels it after N turns of the event
 * loop, l lints the sender's domain instead ("spfgate lint",
 * spf_lint_start: the same hostile records, read by other code).  Seeds are in tests/fuzz/corpus/query, made by mkcorpus.py.
 *
 * Checked for every input: the callback runs exactly once (never after
 * a cancel), within the configured timeout; the result keeps RFC 7208's
 * limits (at most 10 DNS-querying terms, 10 MX or PTR names each, so
 * at most 1 + 10 * 11 + 11 + 1 questions); every text stays in its
 * buffer, the JSON line and headers fit the sizes spf.h promises
 * suffice, a header stays within RFC 5322's 998 octets and the SMTP
 * reply within one reply line; nothing is left in flight.
 *
 * SPF_FUZZ_ZONES overrides the zone directory; SPF_FUZZ_VERBOSE prints
 * each result's JSON line on stderr.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "spfint.h"
#include "lint/spflint.h"
#include "fuzz.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#ifndef FUZZ_ZONES
#define FUZZ_ZONES	"tests/fuzz/zones"
#endif
#define NZONES		17		/* realworld + 16 suite scenarios */
#define TIMEOUT_MS	2000
/* the sizes spf.h promises suffice (stream.c keeps 32 for "line") */
#define JSON_LEN	(SPF_JSON_LEN - 32)
#define HEADER_LEN	SPF_HEADER_LEN
/* RFC 5322 2.1.1: a header line, "Name: " included */
#define HEADER_MAX	998
/* RFC 7208 4.6.4: the SPF record, 10 terms of at most 11 questions,
 * the client's PTR names (%{p}) and the explanation */
#define MAX_QUERIES	(1 + SPF_MAX_DNS_TERMS * (1 + SPF_MAX_MX_NAMES) + \
			    (1 + SPF_MAX_PTR_NAMES) + 1)

struct run {
	const struct spf_config	*cfg;
	int			 done;
	int			 cancelled;
};

static void	 done_cb(const struct spf_result *, void *);
static void	 emit(const char *, void *);
static void	 check_result(const struct spf_result *,
		    const struct spf_config *);
static struct spf_checker *checker_for(int);
static void	 split_input(char *, char **, int);
static void	 lint_cb(const struct spf_lint_report *, void *);
static void	 run_lint(struct spf_checker *, const char *, int);

static struct event_base	*base;
static struct spf_checker	*checkers[NZONES];
static struct spf_config	 configs[NZONES];
static const char		*zonedir = FUZZ_ZONES;
static int			 verbose;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*s;

	(void)argc;
	(void)argv;
	if ((s = getenv("SPF_FUZZ_ZONES")) != NULL && *s != '\0')
		zonedir = s;
	verbose = getenv("SPF_FUZZ_VERBOSE") != NULL;
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "fuzz_query: no event base\n");
		exit(1);
	}
	return 0;
}

/* One checker per zone, made when first needed (a zone takes time). */
static struct spf_checker *
checker_for(int zone)
{
	struct spf_config	*cfg = &configs[zone];
	char			 err[512], path[SPF_PATH_LEN];

	if (checkers[zone] != NULL)
		return checkers[zone];
	if (zone == 0)
		(void)snprintf(path, sizeof(path), "%s/realworld.zone",
		    zonedir);
	else
		(void)snprintf(path, sizeof(path), "%s/suite-%02d.zone",
		    zonedir, zone);
	spf_config_init(cfg);
	cfg->nzones = 1;
	(void)strlcpy(cfg->zones[0], path, sizeof(cfg->zones[0]));
	/* forwarding lifts libunbound's own reverse zones for TEST-NET */
	cfg->nresolvers = 1;
	(void)strlcpy(cfg->resolvers[0], "127.0.0.1@9",
	    sizeof(cfg->resolvers[0]));
	cfg->dnssec = SPF_DNSSEC_MODE_NO;
	cfg->timeout_ms = TIMEOUT_MS;
	cfg->cache_size = 256 * 1024;
	(void)strlcpy(cfg->receiver, "receiver.example.net",
	    sizeof(cfg->receiver));
	if ((checkers[zone] = spf_checker_new(cfg, base, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_query: %s: %s\n", path, err);
		exit(1);
	}
	return checkers[zone];
}

static void
emit(const char *line, void *arg)
{
	size_t	*total = arg;

	CHECK(line != NULL && strchr(line, '\n') == NULL);
	*total += strlen(line);
}

#define STR_OK(s)	(memchr((s), '\0', sizeof(s)) != NULL)

static void
check_result(const struct spf_result *r, const struct spf_config *cfg)
{
	int			 max_void = cfg->max_void_lookups;
	char			*buf;
	size_t			 total = 0;
	int			 n;

	CHECK(r->code >= SPF_NONE && r->code < SPF_NCODES);
	CHECK(r->action >= SPF_ACCEPT && r->action <= SPF_DEFER);
	CHECK(r->identity == SPF_ID_MAILFROM || r->identity == SPF_ID_HELO);
	CHECK(r->dnssec == SPF_DNSSEC_UNVALIDATED);
	/* the term past the limit is counted, never looked up */
	CHECK(r->lookups >= 0 && r->lookups <= SPF_MAX_DNS_TERMS + 1);
	CHECK(r->lookups <= SPF_MAX_DNS_TERMS || r->code == SPF_PERMERROR);
	CHECK(r->void_lookups >= 0 && r->void_lookups <= max_void + 1);
	CHECK(r->void_lookups <= max_void || r->code == SPF_PERMERROR);
	CHECK(r->queries >= 0 && r->queries <= MAX_QUERIES);
	CHECK(r->elapsed_ms >= 0 && r->elapsed_ms <= TIMEOUT_MS + 1000);
	CHECK(STR_OK(r->client_ip) && STR_OK(r->sender) && STR_OK(r->helo));
	CHECK(STR_OK(r->domain) && STR_OK(r->mechanism));
	CHECK(STR_OK(r->explanation) && STR_OK(r->problem));
	CHECK(r->code == SPF_FAIL || r->explanation[0] == '\0');

	/* every text the wrappers make, in buffers of their sizes */
	if ((buf = malloc(JSON_LEN)) == NULL)
		return;
	n = spf_result_json(r, cfg, buf, JSON_LEN);
	if (verbose)
		fprintf(stderr, "%s\n", n >= 0 ? buf : "(too long)");
	CHECK(n > 0 && n < JSON_LEN && strlen(buf) == (size_t)n);
	CHECK(buf[0] == '{' && buf[n - 1] == '}');
	free(buf);
	if ((buf = malloc(HEADER_LEN)) == NULL)
		return;
	n = spf_received_spf(r, cfg, buf, HEADER_LEN);
	CHECK(n > 0 && n <= HEADER_MAX && strlen(buf) == (size_t)n);
	CHECK(strpbrk(buf, "\r\n") == NULL);
	n = spf_authres_header(r, cfg, buf, HEADER_LEN);
	CHECK(n > 0 && n <= HEADER_MAX && strlen(buf) == (size_t)n);
	CHECK(strpbrk(buf, "\r\n") == NULL);
	n = spf_authres_method(r, buf, HEADER_LEN);
	CHECK(n > 0 && n <= HEADER_MAX && strlen(buf) == (size_t)n);
	n = spf_smtp_reply(r, buf, HEADER_LEN);
	CHECK(n >= 0 && n <= 510 && strlen(buf) == (size_t)n);
	CHECK(strpbrk(buf, "\r\n") == NULL);
	/* no size promised: the wrappers fall back to a short line */
	n = spf_log_line(r, buf, HEADER_LEN);
	CHECK(n == -1 || strlen(buf) == (size_t)n);
	free(buf);
	if (r->trace != NULL)
		(void)spf_trace_print(r->trace, total & 1, emit, &total);
}

static void
done_cb(const struct spf_result *r, void *arg)
{
	struct run	*run = arg;

	CHECK(!run->done && !run->cancelled);
	run->done = 1;
	check_result(r, run->cfg);
}

static void
lint_cb(const struct spf_lint_report *rep, void *arg)
{
	struct run	*run = arg;
	int		 i, e = 0, w = 0;

	CHECK(!run->done && !run->cancelled);
	run->done = 1;
	CHECK(STR_OK(rep->domain) && STR_OK(rep->worst_path));
	CHECK(rep->nrecords >= 0 && (rep->nrecords == 0 ||
	    rep->records != NULL));
	CHECK(rep->nfindings >= 0 && (rep->nfindings == 0 ||
	    rep->findings != NULL));
	CHECK(rep->lookups >= 0 && rep->void_lookups >= 0);
	CHECK(rep->elapsed_ms >= 0 && rep->elapsed_ms <= TIMEOUT_MS + 1000);
	for (i = 0; i < rep->nrecords; i++) {
		const struct spf_lint_record *r = &rep->records[i];

		CHECK(r->depth >= 0 && STR_OK(r->via) && STR_OK(r->domain));
		CHECK(STR_OK(r->path));
		if (r->text != NULL)
			CHECK(strlen(r->text) <= SPF_RECORD_MAX);
		if (r->missing != NULL)
			CHECK(strlen(r->missing) < 4096);
	}
	for (i = 0; i < rep->nfindings; i++) {
		const struct spf_lint_finding *f = &rep->findings[i];

		CHECK(f->code != NULL && f->code[0] != '\0');
		CHECK(STR_OK(f->path) && STR_OK(f->domain) &&
		    STR_OK(f->term) && STR_OK(f->message));
		CHECK(spf_lint_severity_str(f->severity) != NULL);
		e += f->severity == SPF_LINT_ERROR;
		w += f->severity == SPF_LINT_WARNING;
	}
	CHECK(rep->errors == e && rep->warnings == w &&
	    rep->errors + rep->warnings + rep->infos == rep->nfindings);
	if (verbose)
		fprintf(stderr, "lint %s: %d records, %d findings, %d "
		    "lookups\n", rep->domain, rep->nrecords, rep->nfindings,
		    rep->lookups);
}

/* "spfgate lint" on the sender's domain, cancelled after cancel turns. */
static void
run_lint(struct spf_checker *c, const char *sender, int cancel)
{
	struct spf_lint	*l;
	struct run	 run;
	const char	*domain;
	char		 err[512];
	int		 turns;

	memset(&run, 0, sizeof(run));
	domain = sender != NULL && strrchr(sender, '@') != NULL ?
	    strrchr(sender, '@') + 1 : sender != NULL ? sender : "";
	err[0] = '\0';
	if ((l = spf_lint_start(c, domain, lint_cb, &run, err,
	    sizeof(err))) == NULL) {
		CHECK(err[0] != '\0' && STR_OK(err));
		return;
	}
	CHECK(!run.done);
	for (turns = 0; !run.done; turns++) {
		if (turns == cancel) {
			spf_lint_cancel(l);
			run.cancelled = 1;
			(void)event_base_loop(base, EVLOOP_NONBLOCK);
			break;
		}
		CHECK(event_base_loop(base, EVLOOP_ONCE) != -1);
		CHECK(turns < 1000000);
	}
}

/* Split on newlines into at most n fields; missing ones are NULL. */
static void
split_input(char *s, char **f, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		f[i] = s;
		if (s != NULL && (s = strchr(s, '\n')) != NULL)
			*s++ = '\0';
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spf_checker	*c;
	struct spf_query	*q;
	struct spf_verdict	 res;
	struct run		 run;
	struct timespec		 t0, t1;
	char			*text, *f[4], *w, *save, err[512];
	int			 zone = 0, trace = 0, sync = 0, lint = 0;
	int			 cancel = -1;
	int			 turns, r;
	long			 ms;

	if (size > 3 * SPF_SENDER_MAX)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	split_input(text, f, 4);
	w = f[3] != NULL ? strtok_r(f[3], " ", &save) : NULL;
	for (; w != NULL; w = strtok_r(NULL, " ", &save)) {
		if (w[0] == 'z')
			zone = abs(atoi(w + 1)) % NZONES;
		else if (w[0] == 'c')
			cancel = abs(atoi(w + 1)) % 1000;
		else if (strcmp(w, "t") == 0)
			trace = 1;
		else if (strcmp(w, "s") == 0)
			sync = 1;
		else if (strcmp(w, "l") == 0)
			lint = 1;
	}
	c = checker_for(zone);
	memset(&run, 0, sizeof(run));
	run.cfg = &configs[zone];
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	err[0] = '\0';

	if (lint) {
		run_lint(c, f[1], cancel);
		goto out;
	}
	if (sync) {
		r = spf_check_sync(c, f[0] != NULL ? f[0] : "", f[1], f[2],
		    &res);
		/* a verdict either way; one that could not start says why */
		CHECK(r == 0 || (r == -1 && res.result.problem[0] != '\0' &&
		    res.result.code == SPF_TEMPERROR));
		if (r == 0 && f[0] != NULL && f[0][0] != '\0')
			check_result(&res.result, run.cfg);
		goto out;
	}
	q = spf_query_start(c, f[0] != NULL ? f[0] : "", f[1], f[2], trace,
	    done_cb, &run, err, sizeof(err));
	if (q == NULL) {
		CHECK(err[0] != '\0' && STR_OK(err));
		CHECK(!run.done);
		goto out;
	}
	/* the callback never runs inside spf_query_start */
	CHECK(!run.done);
	for (turns = 0; !run.done; turns++) {
		if (turns == cancel) {
			spf_query_cancel(q);
			run.cancelled = 1;
			/* nothing of it may run any more */
			(void)event_base_loop(base, EVLOOP_NONBLOCK);
			(void)event_base_loop(base, EVLOOP_NONBLOCK);
			break;
		}
		CHECK(event_base_loop(base, EVLOOP_ONCE) != -1);
		(void)clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000;
		CHECK(ms <= TIMEOUT_MS + 3000);
	}
out:
	CHECK(spf_checker_inflight(c) == 0);
	free(text);
	return 0;
}
