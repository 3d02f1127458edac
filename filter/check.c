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

/* One result with its trace: the trace is at most 64 KiB of text. */
#define JSON_MAX	(1024 * 1024)

struct check_state {
	const struct spf_config	*cfg;
	const struct cmd_flags	*flags;
	int			 status;
	int			 done;
};

static void	checked(const struct spf_verdict *, const struct spf_trace *,
		    void *);
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
	struct spf_json	*j = arg;
	size_t		 depth;

	for (depth = 0; line[depth] == ' '; depth++)
		;
	spf_json_object(j, NULL);
	spf_json_int(j, "depth", (long)(depth / 2));
	spf_json_str(j, "text", line + depth);
	spf_json_end(j);
}

static void
show(const char *label, const char *value)
{
	if (value[0] != '\0')
		printf("%-13s %s\n", label, value);
}

static void
checked(const struct spf_verdict *v, const struct spf_trace *trace,
    void *arg)
{
	struct check_state	*st = arg;
	const struct spf_result	*r = &v->result, *h = &v->helo_result;
	struct spf_json		*j;
	const char		*text;
	char			 buf[SPF_JSON_LEN], reply[SPF_REPLY_LEN];
	int			 color, i;

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
		text = NULL;
		if ((j = spf_json_new(JSON_MAX)) != NULL) {
			spf_json_object(j, NULL);
			spf_json_verdict(j, v, st->cfg);
			if (st->flags->nrcpts > 0) {
				spf_json_array(j, "recipients");
				for (i = 0; i < st->flags->nrcpts; i++)
					spf_json_recipient(j, v, st->cfg,
					    st->flags->rcpts[i]);
				spf_json_end(j);
			}
			if (st->flags->explain) {
				spf_json_array(j, "trace");
				(void)spf_trace_print(trace, 0, emit_json, j);
				spf_json_end(j);
			}
			spf_json_end(j);
			text = spf_json_text(j);
		}
		printf("%s\n", text != NULL ? text :
		    "{\"error\":\"result too long\"}");
		spf_json_free(j);
		return;
	}
	if (st->flags->explain) {
		color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
		printf("evaluation:\n");
		(void)spf_trace_print(trace, color, emit_line, NULL);
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
	(void)snprintf(buf, sizeof(buf), "%d of %d, void %d of %d, %d DNS "
	    "queries, %ld ms", r->lookups, r->lookup_limit, r->void_lookups,
	    r->void_limit, r->queries, r->elapsed_ms);
	show("lookups:", buf);
	show("dnssec:", spf_dnssec_str(r->dnssec));
	if (v->helo_checked && !v->helo_decided) {
		(void)snprintf(buf, sizeof(buf), "%s (%s%s%s)",
		    spf_code_str(h->code), h->domain, h->problem[0] != '\0' ?
		    ": " : "", h->problem);
		show("helo result:", buf);
	}
	if (v->skipped[0] != '\0')
		show("skipped:", v->skipped);
	if (v->guessed)
		show("best guess:", spf_code_str(v->guess));
	if (v->would)
		show("dry run:", spf_action_str(v->would_action));
	show("reply:", v->reply);
	for (i = 0; i < st->flags->nrcpts; i++) {
		(void)snprintf(buf, sizeof(buf), "%s %s%s%s",
		    st->flags->rcpts[i], spf_action_str(spf_verdict_recipient(
		    v, st->cfg, st->flags->rcpts[i], reply, sizeof(reply))),
		    reply[0] != '\0' ? " " : "", reply);
		show("recipient:", buf);
	}
	if (v->received_spf[0] != '\0')
		printf("%s\n", v->received_spf);
	if (v->authres[0] != '\0')
		printf("%s\n", v->authres);
}

int
cmd_check(const struct spf_config *cfg, const struct cmd_flags *flags,
    int argc, char **argv)
{
	struct event_base	*base;
	struct spf_checker	*checker;
	struct spf_message	*msg;
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
	if ((msg = spf_message_start(checker, argv[0], argv[1], argc > 2 ?
	    argv[2] : "", flags->explain, checked, &st, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "spfgate: %s\n", err);
		spf_checker_free(checker);
		event_base_free(base);
		return EXIT_ERROR;
	}
	while (!st.done)
		if (event_base_loop(base, EVLOOP_ONCE) == -1) {
			/* it ends before its checker (spf.h) */
			spf_message_cancel(msg);
			break;
		}
	spf_checker_free(checker);
	event_base_free(base);
	fflush(stdout);
	return st.status;
}
