/*
 * check_fcrdns.c - forward-confirmed reverse DNS (iprev), at connect
 *
 * The PTR names of the client address, then the A or AAAA records of each
 * (at most FCRDNS_NAMES of them, in one round): pass when one leads back to
 * the address, fail when none does or there is no PTR, temperror when a
 * lookup failed and nothing passed.  The result is a fact on the
 * connection (c->iprev, c->ptr_name) for the log and, later, the
 * Authentication-Results header.  It is looked up when fcrdns.fail
 * decides something (is not accept), where a temperror takes
 * fcrdns.tempfail, never a silent pass; and when the policy writes an
 * Authentication-Results header with SPF, DKIM or DMARC in it, where it
 * is only reported.
 */
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>

#include "check.h"
#include "dnsbl.h"

#define FCRDNS_NAMES 10

static enum iprev
iprev_lookup(struct conn *c)
{
	struct dns_batch *b = session_dns(c);
	const struct dns_answer *ptr;
	char name[128];
	int idx[FCRDNS_NAMES], n = 0;
	bool tempfail = false;
	enum iprev result = IPREV_FAIL;

	bl_query_ptr(&c->ip, name, sizeof(name));
	dns_batch_add(b, name, DNS_TYPE_PTR);
	session_dns_done(c, b);
	ptr = dns_batch_answer(b, 0);
	if (ptr->status == DNS_TEMPFAIL) {
		dns_batch_free(b);
		return IPREV_TEMPERROR;
	}
	if (ptr->status != DNS_FOUND) {
		dns_batch_free(b);
		return IPREV_FAIL;
	}
	{
		struct dns_batch *fwd = session_dns(c);
		int type = c->ip.family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;

		for (int i = 0; i < ptr->nrr && n < FCRDNS_NAMES; i++)
			idx[n++] = dns_batch_add(fwd, ptr->rr[i], type);
		session_dns_done(c, fwd);
		for (int i = 0; i < n && result != IPREV_PASS; i++) {
			const struct dns_answer *a = dns_batch_answer(fwd, idx[i]);
			if (a->status == DNS_TEMPFAIL)
				tempfail = true;
			for (int r = 0; r < a->nrr; r++) {
				struct ipaddr ip;
				if (ip_parse(a->rr[r], &ip) == 0 && ip_equal(&ip, &c->ip)) {
					snprintf(c->ptr_name, sizeof(c->ptr_name), "%s", ptr->rr[i]);
					result = IPREV_PASS;
					break;
				}
			}
		}
		dns_batch_free(fwd);
	}
	dns_batch_free(b);
	if (result != IPREV_PASS && tempfail)
		return IPREV_TEMPERROR;
	return result;
}

static void
fcrdns_run(struct conn *c, enum stage st, struct verdict *v)
{
	const struct policy *p = c->pol;
	char prefix[IP_TEXT_MAX + 8];
	bool decides = p->fcrdns_fail.action != ACTION_ACCEPT;
	bool reports = p->auth_header && (p->spf_enabled || p->dkim_enabled || p->dmarc_enabled);

	(void)st;
	if (!c->have_ip || c->dns == NULL || (!decides && !reports))
		return;
	c->iprev = iprev_lookup(c);
	if (!decides)
		return;
	snprintf(prefix, sizeof(prefix), "[%s]: ", c->addr_text);
	if (c->iprev == IPREV_FAIL)
		verdict_set(v, "fcrdns", &p->fcrdns_fail, prefix, "iprev_fail");
	else if (c->iprev == IPREV_TEMPERROR)
		verdict_set(v, "fcrdns", &p->fcrdns_tempfail, NULL, "iprev_temperror");
}

const struct check check_fcrdns = {
	.name = "fcrdns",
	.stages = STAGE_BIT(STAGE_CONNECT),
	.exemptable = true,
	.run = fcrdns_run,
};
