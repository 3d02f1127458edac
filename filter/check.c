/*
 * check.c: "spfgate check IP SENDER [HELO]": one evaluation, shown so a
 * person reads it at a glance, or as the filter mode's JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "spfgate.h"

struct json_trace {
	char	*buf;
	size_t	 len, off;
	int	 n;
};

struct check_state {
	const struct spf_config	*cfg;
	const struct cmd_flags	*flags;
	int			 status;
	int			 done;
};

static void	checked(const struct spf_result *, void *);
static void	emit_line(const char *, void *);
static void	show(const char *, const char *);
static void	emit_json(const char *, void *);

static void
emit_line(const char *line, void *arg)
{
	(void)arg;
	printf("  %s\n", line);
}

/* A trace line as {"depth":N,"text":"..."}: two spaces a level. */
static void
emit_json(const char *line, void *arg)
{
	struct json_trace	*jt = arg;
	size_t			 depth;
	int			 n;

	for (depth = 0; line[depth] == ' '; depth++)
		;
	n = snprintf(jt->buf + jt->off, jt->len - jt->off,
	    "%s{\"depth\":%zu,\"text\":", jt->n++ > 0 ? "," : "", depth / 2);
	if (n < 0 || (size_t)n >= jt->len - jt->off)
		return;
	jt->off += (size_t)n;
	if (spf_json_string(jt->buf, jt->len, &jt->off, line + depth) == -1 ||
	    jt->off + 1 >= jt->len)
		return;
	jt->buf[jt->off++] = '}';
	jt->buf[jt->off] = '\0';
}

static void
show(const char *label, const char *value)
{
	if (value[0] != '\0')
		printf("%-13s %s\n", label, value);
}

static void
checked(const struct spf_result *r, void *arg)
{
	struct check_state	*st = arg;
	char			 buf[SPF_JSON_LEN];
	int			 color;

	st->done = 1;
	switch (r->action) {
	case SPF_ACCEPT:
		st->status = EXIT_ACCEPT;
		break;
	case SPF_TAG:
		st->status = EXIT_TAG;
		break;
	case SPF_REJECT:
		st->status = EXIT_REJECT;
		break;
	default:
		st->status = EXIT_DEFER;
		break;
	}
	if (st->flags->json) {
		if (spf_result_json(r, st->cfg, buf, sizeof(buf)) == -1)
			(void)strlcpy(buf, "{\"error\":\"result too long\"}",
			    sizeof(buf));
		if (st->flags->explain && buf[strlen(buf) - 1] == '}') {
			struct json_trace jt = { NULL, 256 * 1024, 0, 0 };

			if ((jt.buf = calloc(1, jt.len)) != NULL) {
				(void)spf_trace_print(r->trace, 0, emit_json,
				    &jt);
				buf[strlen(buf) - 1] = '\0';
				printf("%s,\"trace\":[%s]}\n", buf, jt.buf);
				free(jt.buf);
				return;
			}
		}
		printf("%s\n", buf);
		return;
	}
	if (st->flags->explain) {
		color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
		printf("evaluation:\n");
		(void)spf_trace_print(r->trace, color, emit_line, NULL);
		printf("\n");
	}
	show("result:", spf_code_str(r->code));
	show("action:", spf_action_str(r->action));
	(void)snprintf(buf, sizeof(buf), "%s (%s)", r->domain,
	    spf_identity_str(r->identity));
	show("domain:", buf);
	show("mechanism:", r->mechanism);
	show("explanation:", r->explanation);
	show("problem:", r->problem);
	(void)snprintf(buf, sizeof(buf), "%d of 10, void %d of %d, %d DNS "
	    "queries, %ld ms", r->lookups, r->void_lookups,
	    st->cfg->max_void_lookups, r->queries, r->elapsed_ms);
	show("lookups:", buf);
	show("dnssec:", spf_dnssec_str(r->dnssec));
	if (spf_smtp_reply(r, buf, sizeof(buf)) > 0)
		show("reply:", buf);
	if (spf_received_spf(r, st->cfg, buf, sizeof(buf)) > 0)
		printf("%s\n", buf);
	if (spf_authres_header(r, st->cfg, buf, sizeof(buf)) > 0)
		printf("%s\n", buf);
}

int
cmd_check(const struct spf_config *cfg, const struct cmd_flags *flags,
    int argc, char **argv)
{
	struct event_base	*base;
	struct spf_checker	*checker;
	struct check_state	 st;
	char			 err[512];

	if (argc < 2 || argc > 3)
		usage();
	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.flags = flags;
	st.status = EXIT_ERROR;
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "spfgate: cannot create event loop\n");
		return EXIT_ERROR;
	}
	if ((checker = spf_checker_new(cfg, base, err, sizeof(err))) == NULL) {
		fprintf(stderr, "spfgate: %s\n", err);
		event_base_free(base);
		return EXIT_ERROR;
	}
	if (spf_checker_notice(checker) != NULL)
		fprintf(stderr, "spfgate: %s\n", spf_checker_notice(checker));
	if (spf_query_start(checker, argv[0], argv[1], argc > 2 ? argv[2] :
	    "", flags->explain, checked, &st, err, sizeof(err)) == NULL) {
		fprintf(stderr, "spfgate: %s\n", err);
		spf_checker_free(checker);
		event_base_free(base);
		return EXIT_ERROR;
	}
	while (!st.done)
		if (event_base_loop(base, EVLOOP_ONCE) == -1)
			break;
	spf_checker_free(checker);
	event_base_free(base);
	fflush(stdout);
	return st.status;
}
