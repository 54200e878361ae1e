/*
 * check_sender_dns.c - does the sender domain exist in DNS? at MAIL
 *
 * MX, A and AAAA of the sender domain in one round.  A null MX (RFC 7505:
 * one MX "0 .") takes sender.null_mx (550 5.7.27); an MX or an address
 * means the domain can receive its bounces; none of them (NXDOMAIN or
 * NODATA throughout) takes sender.unknown_domain (550 5.1.8); a lookup
 * that failed for now, with nothing found, takes sender.domain_tempfail
 * (451 4.1.8).  Off while sender.unknown_domain is accept.  The null
 * sender, address literals and unqualified senders (sender.non_fqdn's
 * business) are not looked up.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

static void
sender_dns_run(struct conn *c, enum stage st, struct verdict *v)
{
	const struct policy *p = c->pol;
	const struct msg *m = &c->msg;
	const struct dns_answer *mx, *a, *aaaa;
	struct dns_batch *b;
	char prefix[sizeof(m->sender_text) + 4];

	(void)st;
	if (c->dns == NULL || p->sender_unknown_domain.action == ACTION_ACCEPT || !m->sender_parsed ||
	    m->sender.null || m->sender.ip_literal || strchr(m->sender.domain, '.') == NULL)
		return;
	b = session_dns(c);
	dns_batch_add(b, m->sender.domain, DNS_TYPE_MX);
	dns_batch_add(b, m->sender.domain, DNS_TYPE_A);
	dns_batch_add(b, m->sender.domain, DNS_TYPE_AAAA);
	session_dns_done(c, b);
	mx = dns_batch_answer(b, 0);
	a = dns_batch_answer(b, 1);
	aaaa = dns_batch_answer(b, 2);
	snprintf(prefix, sizeof(prefix), "<%s>: ", m->sender_text);
	if (mx->status == DNS_FOUND && mx->nrr == 1 && strcmp(mx->rr[0], "0 .") == 0)
		verdict_set(v, "sender_null_mx", &p->sender_null_mx, prefix, "null_mx");
	else if (mx->status == DNS_FOUND || a->status == DNS_FOUND || aaaa->status == DNS_FOUND)
		; /* it exists */
	else if (mx->status == DNS_TEMPFAIL || a->status == DNS_TEMPFAIL || aaaa->status == DNS_TEMPFAIL)
		verdict_set(v, "sender_domain_tempfail", &p->sender_domain_tempfail, prefix, "dns_tempfail");
	else
		verdict_set(v, "sender_unknown_domain", &p->sender_unknown_domain, prefix,
			    mx->status == DNS_NXDOMAIN ? "nxdomain" : "no_mx_or_address");
	dns_batch_free(b);
}

const struct check check_sender_dns = {
	.name = "sender_dns",
	.stages = STAGE_BIT(STAGE_MAIL),
	.exemptable = true,
	.run = sender_dns_run,
};
