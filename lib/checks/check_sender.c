/*
 * check_sender.c - sender checks
 *
 * At MAIL, in this order: syntax, the sender access list, the null sender
 * rule, and a fully-qualified domain.  An access entry that accepts
 * allowlists this transaction's sender for the remaining sender checks.
 * At RCPT: a message from the null sender (a bounce) has one recipient;
 * the second is refused by sender.null_multi_rcpt.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

static void
sender_mail(struct conn *c, struct verdict *v)
{
	const struct policy *p = c->pol;
	struct msg *m = &c->msg;
	const struct access_entry *e;
	char prefix[sizeof(m->sender_text) + 4];

	snprintf(prefix, sizeof(prefix), "<%s>: ", m->sender_text);
	if (!m->sender_parsed) {
		verdict_set(v, "sender_syntax", &p->sender_syntax, prefix, "unparsable sender");
		return;
	}
	if ((e = access_sender(p->sender_access, &m->sender)) != NULL) {
		access_verdict(e, "sender_access", &p->sender_access_reply, prefix,
			       "listed in sender.access", v);
		m->allowlisted = v->action == ACTION_ACCEPT;
		return;
	}
	if (m->sender.null) {
		verdict_set(v, "sender_null", &p->sender_null, prefix, "null sender");
		return;
	}
	if (!m->sender.ip_literal && strchr(m->sender.domain, '.') == NULL)
		verdict_set(v, "sender_non_fqdn", &p->sender_non_fqdn, prefix,
			    "sender domain not fully qualified");
}

static void
sender_run(struct conn *c, enum stage st, struct verdict *v)
{
	if (st == STAGE_MAIL) {
		sender_mail(c, v);
		return;
	}
	if (c->msg.sender_parsed && c->msg.sender.null && !c->msg.allowlisted && c->msg.naccepted >= 1)
		verdict_set(v, "sender_null_multi_rcpt", &c->pol->sender_null_multi, NULL,
			    "second recipient of a bounce");
}

const struct check check_sender = {
	.name = "sender",
	.stages = STAGE_BIT(STAGE_MAIL) | STAGE_BIT(STAGE_RCPT),
	.exemptable = true,
	.run = sender_run,
};
