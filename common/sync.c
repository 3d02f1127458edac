/*
 * sync.c: a blocking check for callers without a loop of their own,
 * ending in a verdict whatever happens.  The query's own timer bounds
 * the wait.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "spfint.h"

struct sync_state {
	const struct spf_config	*cfg;
	struct spf_verdict	*out;
	int			 done;
};

static void	sync_done(const struct spf_verdict *,
		    const struct spf_trace *, void *);

static void
sync_done(const struct spf_verdict *v, const struct spf_trace *t, void *arg)
{
	struct sync_state	*s = arg;

	(void)t;
	*s->out = *v;
	s->done = 1;
}

int
spf_check_sync(struct spf_checker *c, const char *ip, const char *sender,
    const char *helo, struct spf_verdict *out)
{
	struct sync_state	 s;
	struct spf_message	*q;
	char			 err[SPF_PROBLEM_LEN];

	if (ip == NULL || *ip == '\0') {
		spf_verdict_local(&c->cfg, sender, helo, out);
		return 0;
	}
	memset(&s, 0, sizeof(s));
	s.cfg = &c->cfg;
	s.out = out;
	q = spf_message_start(c, ip, sender, helo, 0, sync_done, &s, err,
	    sizeof(err));
	if (q == NULL)
		goto fail;
	while (!s.done) {
		/*
		 * 1 means nothing is pending: the query's own timer is gone,
		 * so waiting longer would spin, not finish.
		 */
		if (event_base_loop(c->base, EVLOOP_ONCE) != 0 && !s.done) {
			spf_message_cancel(q);
			(void)strlcpy(err, "event loop failed", sizeof(err));
			goto fail;
		}
	}
	return 0;
fail:
	spf_verdict_unchecked(&c->cfg, SPF_TEMPERROR, ip, sender, helo, err,
	    out);
	return -1;
}
