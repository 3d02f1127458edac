/*
 * fuzz_proto.c: libFuzzer target for the OpenSMTPD filter protocol
 * layer (opensmtpd/proto.c, unchanged): the input is what smtpd writes
 * on the filter's stdin (config, report and filter lines of
 * smtpd-filters(7), 0.6 or 0.7), and proto.c splits, checks and
 * dispatches it and writes its answers on stdout.
 *
 * proto.h has no line parser of its own to call, so the target goes
 * through the public API as filter-spf does: proto_init() on a fresh
 * event base, the loop until proto.c stops at the end of input, then
 * proto_shutdown().  stdin is a pipe holding the whole input (then
 * closed); stdout a pipe large enough for every answer, read back
 * after each run.  The callbacks answer every request at once (reject
 * for a MAIL FROM with "reject" in it, so both verbs run) and echo data
 * lines.  Checked: the loop ends; every output line is whole and is one
 * of the answers a filter may write (register|, filter-result|,
 * filter-dataline|); nothing leaks (LeakSanitizer).  Seeds: the smtpd
 * 6.8 transcript (tests/opensmtpd/transcript-6.8.txt) and its 0.7
 * form, made by mkcorpus.py.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "proto.h"
#include "fuzz.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 cb_log(const char *);
static void	 cb_config(const char *, const char *);
static int	 cb_ready(void);
static void	*cb_session_new(struct proto_session *);
static void	 cb_session_free(struct proto_session *);
static void	 cb_connect(struct proto_session *, const char *,
		    const char *, const struct proto_src *, const char *);
static void	 cb_identify(struct proto_session *, const char *,
		    const char *);
static void	 cb_auth(struct proto_session *, const char *, const char *);
static void	 cb_helo(struct proto_session *, const char *, const char *);
static void	 cb_mail_from(struct proto_session *, const char *,
		    const char *);
static void	 cb_data_line(struct proto_session *, const char *,
		    const char *);
static enum proto_dataline_verdict cb_data_line_long(struct proto_session *,
		    const char *, const char *);
static void	 check_output(const char *, size_t);

#define PIPE_SIZE	(1024 * 1024)
#define INPUT_MAX	(256 * 1024)

static const struct proto_callbacks callbacks = {
	.log = cb_log,
	.config = cb_config,
	.ready = cb_ready,
	.session_new = cb_session_new,
	.session_free = cb_session_free,
	.link_connect = cb_connect,
	.link_identify = cb_identify,
	.link_auth = cb_auth,
	.helo = cb_helo,
	.ehlo = cb_helo,
	.mail_from = cb_mail_from,
	.data_line = cb_data_line,
	.data_line_long = cb_data_line_long,
};

static int	 out_r = -1;
static char	*outbuf;
static int	 sessions;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	 fds[2];

	(void)argc;
	(void)argv;
	if (pipe(fds) == -1 || fcntl(fds[0], F_SETPIPE_SZ, PIPE_SIZE) == -1 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1) {
		perror("fuzz_proto: stdout pipe");
		exit(1);
	}
	fflush(stdout);
	if (dup2(fds[1], STDOUT_FILENO) == -1) {
		perror("fuzz_proto: dup2");
		exit(1);
	}
	close(fds[1]);
	out_r = fds[0];
	if ((outbuf = malloc(PIPE_SIZE + 1)) == NULL)
		exit(1);
	return 0;
}

static void
cb_log(const char *line)
{
	CHECK(line != NULL && strchr(line, '\n') == NULL);
}

static void
cb_config(const char *key, const char *value)
{
	CHECK(key != NULL && value != NULL);
}

static int
cb_ready(void)
{
	return 0;
}

static void *
cb_session_new(struct proto_session *s)
{
	CHECK(s != NULL && memchr(s->idstr, '\0', sizeof(s->idstr)) != NULL);
	sessions++;
	return malloc(1);
}

static void
cb_session_free(struct proto_session *s)
{
	sessions--;
	free(s->data);
}

static void
cb_connect(struct proto_session *s, const char *rdns, const char *fcrdns,
    const struct proto_src *src, const char *dest)
{
	CHECK(s->data != NULL && rdns != NULL && fcrdns != NULL &&
	    src != NULL && src->text != NULL && dest != NULL);
	/* an address is one, in text that fits; nothing else has one */
	CHECK(src->kind == PROTO_SRC_ADDR ? src->ip[0] != '\0' &&
	    strlen(src->ip) < sizeof(src->ip) : src->ip[0] == '\0');
	CHECK(!src->loopback || src->kind == PROTO_SRC_ADDR);
}

static void
cb_identify(struct proto_session *s, const char *method,
    const char *identity)
{
	CHECK(s->data != NULL && method != NULL && identity != NULL);
}

static void
cb_auth(struct proto_session *s, const char *user, const char *result)
{
	CHECK(s->data != NULL && user != NULL && result != NULL);
}

static void
cb_helo(struct proto_session *s, const char *token, const char *identity)
{
	CHECK(identity != NULL);
	proto_proceed(s, token);
}

static void
cb_mail_from(struct proto_session *s, const char *token,
    const char *address)
{
	CHECK(address != NULL);
	if (strstr(address, "reject") != NULL)
		proto_reject(s, token, "550 5.7.23 rejected by the fuzzer");
	else
		proto_proceed(s, token);
}

static void
cb_data_line(struct proto_session *s, const char *token, const char *line)
{
	CHECK(line != NULL);
	proto_dataline(s, token, line);
}

static enum proto_dataline_verdict
cb_data_line_long(struct proto_session *s, const char *token,
    const char *prefix)
{
	(void)s;
	CHECK(token != NULL && prefix != NULL);
	return prefix[0] == 'X' ? PROTO_LINE_DROP : PROTO_LINE_PASS;
}

/* Whole lines, each an answer a filter may give. */
static void
check_output(const char *out, size_t len)
{
	const char	*p = out, *nl;

	CHECK(len == 0 || out[len - 1] == '\n');
	for (; p < out + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(out + len - p));
		CHECK(nl != NULL);
		if (strncmp(p, "register|", 9) != 0 &&
		    strncmp(p, "filter-result|", 14) != 0 &&
		    strncmp(p, "filter-dataline|", 16) != 0) {
			fprintf(stderr, "output line: %.*s\n",
			    (int)(nl - p > 200 ? 200 : nl - p), p);
			CHECK(!"an answer a filter may write");
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_base	*base;
	char			 err[256];
	int			 fds[2], rc;
	ssize_t			 n;
	size_t			 olen = 0;

	if (size > INPUT_MAX)
		return 0;
	if (pipe(fds) == -1 || fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE) == -1)
		abort();
	if (size > 0 && write(fds[1], data, size) != (ssize_t)size)
		abort();
	close(fds[1]);
	if (dup2(fds[0], STDIN_FILENO) == -1)
		abort();
	close(fds[0]);

	if ((base = event_base_new()) == NULL)
		abort();
	sessions = 0;
	rc = proto_init(base, &callbacks, err, sizeof(err));
	CHECK(rc == 0);
	CHECK(event_base_dispatch(base) != -1);
	(void)proto_status();
	(void)proto_version();
	proto_shutdown();
	CHECK(sessions == 0);
	event_base_free(base);

	/* what it answered, all of it */
	while ((n = read(out_r, outbuf + olen, PIPE_SIZE - olen)) > 0)
		olen += (size_t)n;
	CHECK(n == 0 || errno == EAGAIN);
	CHECK(olen < PIPE_SIZE);
	check_output(outbuf, olen);
	return 0;
}
