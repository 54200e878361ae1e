/*
 * auth_spf.c - SPF (RFC 7208) with libspf2, its DNS through doorman's
 * resolver (see auth.h)
 *
 * One SPF_server_t for the process, made at auth_init(); libspf2 reads it
 * and never writes it during a query, so threads share it.  Its DNS is a
 * layer of ours (SPF_dns_server_t) whose lookup asks dns.c within the
 * message's budget, one query at a time as libspf2 walks the record.
 *
 * What libspf2 leaves to us:
 *   - the RFC 7208 4.6.4 limit of two void lookups (answers with no
 *     records, or NXDOMAIN): counted here, a third makes the result
 *     permerror;
 *   - the obsolete SPF RR type (RFC 7208 3.1): answered "no data" here
 *     without a query, so every evaluation costs one lookup less;
 *   - explanations: libspf2 1.2.10 mangles the ones it expands (spaces come
 *     out as '%', a second macro is left unexpanded), so the reply names
 *     the domain and the address in our words, and a domain's exp= text
 *     (the sender's words in our reply) is not used.
 * libspf2 enforces the limit of ten DNS mechanisms itself.
 *
 * Time: the lookups of both identities share one resolver.timeout (the
 * deadline check_spf sets), so a slow domain costs the MAIL stage one
 * round, not twenty; what is left unanswered then is a temperror.
 */
#include "auth.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "dns.h"
#include "log.h"
#include "session.h"

#define SPF_VOID_MAX 2

static SPF_server_t *spf_server;
static SPF_dns_server_t spf_layer;

/* the evaluation in progress on this thread */
struct spf_eval {
	unsigned lookups;
	unsigned voids;
};
static __thread struct spf_eval *cur_eval;

static void
rr_add(SPF_dns_rr_t *rr, int type, const char *text)
{
	const char *name = text;
	size_t len;
	int n = rr->num_rr;

	switch (type) {
	case DNS_TYPE_A: {
		struct in_addr a;
		if (inet_pton(AF_INET, text, &a) != 1 ||
		    SPF_dns_rr_buf_realloc(rr, n, sizeof(a)) != SPF_E_SUCCESS)
			return;
		rr->rr[n]->a = a;
		break;
	}
	case DNS_TYPE_AAAA: {
		struct in6_addr a;
		if (inet_pton(AF_INET6, text, &a) != 1 ||
		    SPF_dns_rr_buf_realloc(rr, n, sizeof(a)) != SPF_E_SUCCESS)
			return;
		rr->rr[n]->aaaa = a;
		break;
	}
	case DNS_TYPE_MX:
		/* dns.c writes "preference name" */
		if ((name = strchr(text, ' ')) == NULL)
			return;
		name++;
		/* FALLTHROUGH */
	default:
		len = strlen(name);
		if (SPF_dns_rr_buf_realloc(rr, n, len + 1) != SPF_E_SUCCESS)
			return;
		memcpy(rr->rr[n]->txt, name, len + 1);
		break;
	}
	rr->num_rr = n + 1;
}

static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *srv, const char *domain, ns_type type, int should_cache)
{
	struct conn *c = auth_current();
	const struct dns_answer *a;
	struct dns_batch *b;
	SPF_dns_rr_t *rr;
	int herrno, i;

	(void)should_cache;
	if (type == ns_t_spf)
		return SPF_dns_rr_new_init(srv, domain, type, 0, NO_DATA);
	/* out of time: a temporary error, without asking */
	if (c == NULL || c->dns == NULL || auth_left_ms(c->msg.au.spf_deadline) == 0)
		return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
	b = session_dns(c);
	i = dns_batch_add(b, domain, (int)type);
	session_dns_within(c, b, auth_left_ms(c->msg.au.spf_deadline));
	a = dns_batch_answer(b, i);
	switch (a->status) {
	case DNS_FOUND:
		herrno = NETDB_SUCCESS;
		break;
	case DNS_NXDOMAIN:
		herrno = HOST_NOT_FOUND;
		break;
	case DNS_NODATA:
		herrno = NO_DATA;
		break;
	default:
		herrno = TRY_AGAIN;
		break;
	}
	/* every lookup after the first (the record itself) may be void */
	if (cur_eval != NULL && cur_eval->lookups++ > 0 &&
	    (herrno == HOST_NOT_FOUND || herrno == NO_DATA))
		cur_eval->voids++;
	rr = SPF_dns_rr_new_init(srv, domain, type, a->ttl, herrno);
	for (int k = 0; rr != NULL && herrno == NETDB_SUCCESS && k < a->nrr; k++)
		rr_add(rr, (int)type, a->rr[k]);
	dns_batch_free(b);
	return rr;
}

int
spf_init(const char *me, char *why, size_t whylen)
{
	spf_layer.destroy = NULL; /* static: never freed by libspf2 */
	spf_layer.lookup = layer_lookup;
	spf_layer.name = "doorman";
	if ((spf_server = SPF_server_new_dns(&spf_layer, 0)) == NULL) {
		snprintf(why, whylen, "libspf2: cannot make a server");
		return -1;
	}
	SPF_server_set_max_dns_mech(spf_server, 10);
	SPF_server_set_max_dns_mx(spf_server, 10);
	SPF_server_set_max_dns_ptr(spf_server, 10);
	if (me != NULL && *me != '\0')
		SPF_server_set_rec_dom(spf_server, me);
	return 0;
}

void
spf_shutdown(void)
{
	if (spf_server != NULL)
		SPF_server_free(spf_server);
	spf_server = NULL;
}

static enum auth_result
map_result(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS:
		return AUTH_PASS;
	case SPF_RESULT_FAIL:
		return AUTH_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return AUTH_SOFTFAIL;
	case SPF_RESULT_NEUTRAL:
		return AUTH_NEUTRAL;
	case SPF_RESULT_NONE:
		return AUTH_NONE;
	case SPF_RESULT_TEMPERROR:
		return AUTH_TEMPERROR;
	default:
		return AUTH_PERMERROR;
	}
}

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* One evaluation: sender "" checks the HELO identity (postmaster@helo). */
static void
evaluate(struct conn *c, const char *ip, const char *helo, const char *sender,
	 struct spf_fact *out)
{
	struct spf_eval ev = { 0 };
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	bool v6 = strchr(ip, ':') != NULL;

	if (spf_server == NULL || (req = SPF_request_new(spf_server)) == NULL) {
		out->result = AUTH_TEMPERROR;
		return;
	}
	if ((v6 ? SPF_request_set_ipv6_str(req, ip) : SPF_request_set_ipv4_str(req, ip)) !=
		    SPF_E_SUCCESS ||
	    (helo[0] != '\0' && SPF_request_set_helo_dom(req, helo) != SPF_E_SUCCESS) ||
	    SPF_request_set_env_from(req, sender) != 0) {
		/* nothing to check the address against */
		out->result = AUTH_NONE;
		SPF_request_free(req);
		return;
	}
	auth_current_set(c);
	cur_eval = &ev;
	SPF_request_query_mailfrom(req, &resp);
	cur_eval = NULL;
	auth_current_set(NULL);
	if (resp == NULL) {
		out->result = AUTH_TEMPERROR;
	} else {
		out->result = map_result(SPF_response_result(resp));
		if (ev.voids > SPF_VOID_MAX && out->result != AUTH_TEMPERROR)
			out->result = AUTH_PERMERROR;
		if (out->result == AUTH_FAIL)
			snprintf(out->explanation, sizeof(out->explanation),
				 "%.200s does not designate %.46s as a permitted sender", out->domain, ip);
		copy(out->received, sizeof(out->received),
		     SPF_response_get_received_spf_value(resp));
		SPF_response_free(resp);
	}
	SPF_request_free(req);
}

void
spf_check_mailfrom(struct conn *c, const char *ip, const char *helo, const char *sender,
		   struct spf_fact *out)
{
	const char *at = strrchr(sender, '@');

	memset(out, 0, sizeof(*out));
	if (*sender == '\0') {
		/* RFC 7208 2.4: the null sender is postmaster@HELO */
		snprintf(out->identity, sizeof(out->identity), "postmaster@%s", helo);
		copy(out->domain, sizeof(out->domain), helo);
	} else {
		copy(out->identity, sizeof(out->identity), sender);
		copy(out->domain, sizeof(out->domain), at ? at + 1 : sender);
	}
	if (out->domain[0] == '\0' || !domain_syntax_ok(out->domain) || !strchr(out->domain, '.')) {
		out->result = AUTH_NONE;
		return;
	}
	evaluate(c, ip, helo, sender, out);
}

void
spf_check_helo(struct conn *c, const char *ip, const char *helo, struct spf_fact *out)
{
	memset(out, 0, sizeof(*out));
	copy(out->identity, sizeof(out->identity), helo);
	copy(out->domain, sizeof(out->domain), helo);
	/* an address literal or a bare name has no SPF record (RFC 7208 2.3) */
	if (!domain_syntax_ok(helo) || !strchr(helo, '.')) {
		out->result = AUTH_NONE;
		return;
	}
	evaluate(c, ip, helo, "", out);
}
