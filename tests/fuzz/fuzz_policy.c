/*
 * fuzz_policy.c: libFuzzer target for the Postfix policy protocol
 * layer of "spfgate policy": filter/policyconn.c (line framing,
 * long-line discarding, pipelining, ordered answers, back-pressure)
 * and filter/policyproto.c (attributes, bounds, malformed requests,
 * the answer's form), unchanged, on stdin and stdout as under spawn(8).
 * The core is left out: a stub handler answers each request, some at
 * once, the rest later and in reverse order from a timer, so that the
 * queue must put them back in order; its answer names the request's
 * number and, for some, echoes its recipient (which may hold a
 * carriage return: policy_answer must refuse it, DUNNO instead).
 *
 * stdin is a memfd holding the input (a regular file: the non-polling
 * read path); stdout another memfd, read back after each run.  Checked:
 * the loop ends; one answer per empty input line (the requests the
 * protocol delimits), none for a request the input cut short; every
 * answer exactly "action=TEXT\n\n" with TEXT one line and no NUL; the
 * numbered answers in request order; every kept attribute within its
 * field.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "policyconn.h"
#include "fuzz.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define LATER_MAX	256

static void	on_request(struct policy_ticket *,
		    const struct policy_request *, void *);
static void	on_cancel(struct policy_ticket *, void *);
static void	on_log(const char *, void *);
static void	later_cb(evutil_socket_t, short, void *);
static size_t	count_requests(const uint8_t *, size_t);
static void	check_output(const char *, size_t, size_t);

static int			 in_fd = -1, out_fd = -1;
static struct policy_ticket	*later[LATER_MAX];
static int			 nlater;
static unsigned long		 nrequests;
static struct event		*ev_later;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((in_fd = memfd_create("fuzz-policy-in", 0)) == -1 ||
	    (out_fd = memfd_create("fuzz-policy-out", 0)) == -1) {
		perror("fuzz_policy");
		exit(1);
	}
	return 0;
}

static void
on_log(const char *line, void *arg)
{
	(void)line;
	(void)arg;
}

static void
on_cancel(struct policy_ticket *t, void *arg)
{
	int	 i;

	(void)arg;
	for (i = 0; i < nlater; i++)
		if (later[i] == t)
			later[i] = NULL;
}

static void
on_request(struct policy_ticket *t, const struct policy_request *rq,
    void *arg)
{
	char		 text[POLICY_VALUE_MAX + 32];
	unsigned long	 n = nrequests++;
	struct timeval	 tv = { 0, 0 };

	(void)arg;
	/* every kept value is a string within its field */
	CHECK(strlen(rq->sender) < sizeof(rq->sender));
	CHECK(strlen(rq->recipient) < sizeof(rq->recipient));
	CHECK(strlen(rq->helo_name) < sizeof(rq->helo_name));
	CHECK(strlen(rq->instance) < sizeof(rq->instance));
	CHECK(strlen(rq->client_address) < sizeof(rq->client_address));
	CHECK(strlen(rq->protocol_state) < sizeof(rq->protocol_state));
	CHECK(rq->nattrs >= 0);
	CHECK(rq->malformed != NULL || rq->nattrs <= POLICY_ATTRS_MAX);
	if (n % 3 == 1 && nlater < LATER_MAX) {
		/* answered from the timer, the last first */
		policy_ticket_set(t, (void *)(uintptr_t)n);
		later[nlater++] = t;
		(void)evtimer_add(ev_later, &tv);
		return;
	}
	if (n % 3 == 2 && rq->malformed == NULL)
		(void)snprintf(text, sizeof(text), "R%lu %s", n,
		    rq->recipient);
	else
		(void)snprintf(text, sizeof(text), "R%lu", n);
	policy_reply(t, text);
}

static void
later_cb(evutil_socket_t fd, short what, void *arg)
{
	char			 text[32];
	struct policy_ticket	*t;

	(void)fd;
	(void)what;
	(void)arg;
	while (nlater > 0) {
		if ((t = later[--nlater]) == NULL)
			continue;
		(void)snprintf(text, sizeof(text), "R%lu",
		    (unsigned long)(uintptr_t)policy_ticket_get(t));
		policy_reply(t, text);
	}
}

/* Requests as the protocol delimits them: each empty line ends one. */
static size_t
count_requests(const uint8_t *p, size_t n)
{
	size_t	 i, start = 0, count = 0;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i == start || (i == start + 1 && p[start] == '\r'))
			count++;
		start = i + 1;
	}
	return count;
}

static void
check_output(const char *out, size_t len, size_t want)
{
	const char	*p = out, *end;
	char		 num[32];
	unsigned long	 n = 0;
	size_t		 k;
	int		 m;

	while (p < out + len) {
		CHECK(strncmp(p, "action=", 7) == 0);
		end = memchr(p, '\n', (size_t)(out + len - p));
		CHECK(end != NULL && end + 1 < out + len && end[1] == '\n');
		CHECK(memchr(p, '\0', (size_t)(end - p)) == NULL);
		CHECK(memchr(p, '\r', (size_t)(end - p)) == NULL);
		/* "R<n>" or "R<n> <recipient>", or DUNNO for a refused one */
		m = snprintf(num, sizeof(num), "R%lu", n);
		k = (size_t)(end - p - 7);
		if (k == 5 && memcmp(p + 7, "DUNNO", 5) == 0)
			;
		else
			CHECK(k >= (size_t)m && memcmp(p + 7, num,
			    (size_t)m) == 0 && (k == (size_t)m ||
			    p[7 + m] == ' '));
		n++;
		p = end + 2;
	}
	if (n != want)
		fprintf(stderr, "%lu answers for %zu requests\n", n, want);
	CHECK(n == want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_callbacks	 cb;
	struct policy_server	*srv;
	struct event_base	*base;
	char			 err[128], *out;
	off_t			 olen;

	if (size > 256 * 1024)
		return 0;
	if (ftruncate(in_fd, 0) == -1 || pwrite(in_fd, data, size, 0) !=
	    (ssize_t)size || lseek(in_fd, 0, SEEK_SET) == -1 ||
	    ftruncate(out_fd, 0) == -1 || lseek(out_fd, 0, SEEK_SET) == -1)
		abort();
	nlater = 0;
	nrequests = 0;
	memset(&cb, 0, sizeof(cb));
	cb.request = on_request;
	cb.cancel = on_cancel;
	cb.log = on_log;
	if ((base = event_base_new()) == NULL ||
	    (ev_later = evtimer_new(base, later_cb, NULL)) == NULL ||
	    (srv = policy_server_new(base, &cb, 4, 100)) == NULL)
		abort();
	CHECK(policy_server_stdio(srv, in_fd, out_fd, err,
	    sizeof(err)) == 0);
	CHECK(event_base_dispatch(base) != -1);
	policy_server_free(srv);
	event_free(ev_later);
	event_base_free(base);
	CHECK(nlater == 0);

	if ((olen = lseek(out_fd, 0, SEEK_END)) < 0)
		abort();
	if ((out = malloc((size_t)olen + 1)) == NULL)
		return 0;
	if (pread(out_fd, out, (size_t)olen, 0) != olen)
		abort();
	out[olen] = '\0';
	check_output(out, (size_t)olen, count_requests(data, size));
	free(out);
	return 0;
}
