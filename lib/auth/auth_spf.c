/*
 * auth_spf.c - SPF (RFC 7208) with libspf2, its DNS through doorman's
 * resolver (see auth.h)
 *
 * One SPF_server_t for the process, made at auth_init(); libspf2 reads it
 * and never writes it during a query, so threads share it.  Its DNS is a
 * layer of ours (SPF_dns_server_t) whose hooks ask dns.c within the
 * message's budget, one query at a time as libspf2 walks the record.
 *
 * libspf2 1.2.10 stays the evaluator; where RFC 7208 decides otherwise,
 * the layer decides around it:
 *   - the record (get_spf hook): fetched here, byte for byte (dns.c shows
 *     unprintable TXT bytes as '?', which would make an invalid record
 *     valid), one "v=spf1" record or none or permerror (4.5), checked
 *     against the section 12 grammar (spfrec.c) before libspf2 compiles
 *     it: what the grammar refuses is a permerror; libspf2 is given an
 *     equivalent text (spfrec.h: ip4 and ip6 terms decided for the client,
 *     so /0 works and long lists fit the 511 bytes libspf2 holds;
 *     redirect= last; unknown modifiers left out), and a record it would
 *     still cut short is a logged permerror, never a partial verdict;
 *   - DNS failures: a timeout, SERVFAIL or a spent budget is a temperror
 *     wherever it happens; libspf2 1.2.10 makes one in fetching an
 *     include's or redirect's record a permerror, so the evaluation
 *     remembers it and the result is told from it;
 *   - names no resolver sends (an empty label, a label over 63 octets, an
 *     empty name, '\\'): a permerror of the record (4.8, 4.3 for the
 *     include and redirect targets), not a lookup that fails for ever;
 *     names over 253 octets lose labels on the left first (7.3);
 *   - the limits of 4.6.4 counted over the whole evaluation, includes
 *     and redirects too (libspf2 counts each record apart and lets the
 *     11th term be looked up): the 11th term that asks DNS, the 3rd void
 *     lookup, an MX answer of more than 10 names (whatever their order)
 *     end it with permerror; a PTR answer is cut to its first 10 names
 *     (4.6.4 says ignore the rest, where libspf2 would permerror);
 *   - a DNS error in a ptr mechanism's PTR lookup is no match, in the
 *     address lookup of one of its names skips that name (5.5; libspf2:
 *     temperror);
 *   - a loopback client gets no free pass (query(): libspf2 answers pass
 *     for 127.0.0.1 and ::1 without a lookup; the RFC has no such rule);
 *   - explanations (get_exp hook): never looked up.  libspf2 would fetch
 *     exp= for every fail, softfail and neutral, in includes too, and
 *     count it as a lookup; doorman's reply names the domain and the
 *     address in its own words (a domain's exp= text would be the
 *     sender's words in our reply);
 *   - the obsolete SPF RR type (3.1): never asked.
 * Once the evaluation's result is decided (a limit, an unsendable name, a
 * DNS failure in a record fetch), every later lookup is answered as a
 * temporary failure without asking, so libspf2 stops at once, and the
 * decided result replaces whatever libspf2 made of it.
 *
 * Time: the lookups of both identities share one resolver.timeout (the
 * deadline check_spf sets), so a slow domain costs the MAIL stage one
 * round, not twenty; what is left unanswered then is a temperror.
 */
#include "auth.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "dns.h"
#include "log.h"
#include "session.h"
#include "spfrec.h"
#include "xalloc.h"

#define SPF_VOID_MAX 2   /* void lookups (RFC 7208 4.6.4) */
#define SPF_TERMS_MAX 10 /* terms that ask DNS */
#define SPF_NAMES_MAX 10 /* MX or PTR names looked up */
#define SPF_TXT_MAX 32   /* TXT records read at one name */

static SPF_server_t *spf_server;
static SPF_dns_server_t spf_layer;

/* the evaluation in progress on this thread */
struct spf_eval {
	unsigned records;            /* records fetched (the first is the sender's) */
	unsigned terms;              /* terms that asked DNS, includes and redirects too */
	unsigned voids;
	enum auth_result decided;    /* AUTH_UNSET, or the result RFC 7208 gives */
	const char *why;             /* what decided it, for the log */
	/* A or AAAA lookups of these names follow an MX or PTR answer: part of its term */
	char names[SPF_NAMES_MAX][256];
	unsigned nnames;
	bool names_ptr;              /* they came from a PTR answer */
};
static __thread struct spf_eval *cur_eval;

static void
decide(struct spf_eval *ev, enum auth_result r, const char *why)
{
	if (ev != NULL && ev->decided == AUTH_UNSET) {
		ev->decided = r;
		ev->why = why;
	}
}

/* RFC 7208 7.3: a name over 253 octets loses labels on the left */
static const char *
fit_name(const char *name)
{
	size_t n = strlen(name);

	while (n > 253 + (name[n - 1] == '.')) {
		const char *dot = strchr(name, '.');
		if (dot == NULL)
			break;
		n -= (size_t)(dot + 1 - name);
		name = dot + 1;
	}
	return name;
}

/* What a lookup is for: the first of a term, or the address of a name
 * the last MX or PTR answer gave (part of that answer's term). */
enum lookup_role { FIRST_OF_TERM, MX_NAME, PTR_NAME };

static enum lookup_role
role_of(struct spf_eval *ev, const char *name, ns_type type)
{
	if ((type == ns_t_a || type == ns_t_aaaa) && ev->nnames > 0) {
		for (unsigned i = 0; i < ev->nnames; i++)
			if (strcasecmp(ev->names[i], name) == 0) {
				ev->names[i][0] = '\0';
				return ev->names_ptr ? PTR_NAME : MX_NAME;
			}
	}
	ev->nnames = 0;
	return FIRST_OF_TERM;
}

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

/* One query for the evaluation: its answer, or NULL when it was not sent
 * (the deadline passed); *b to free with dns_batch_free. */
static const struct dns_answer *
ask(struct conn *c, const char *name, int type, struct dns_batch **b)
{
	int i;

	*b = NULL;
	if (c == NULL || c->dns == NULL || auth_left_ms(c->msg.au.spf_deadline) == 0)
		return NULL;
	*b = session_dns(c);
	i = dns_batch_add(*b, name, type);
	session_dns_within(c, *b, auth_left_ms(c->msg.au.spf_deadline));
	return dns_batch_answer(*b, i);
}

static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *srv, const char *domain, ns_type type, int should_cache)
{
	struct spf_eval *ev = cur_eval;
	const struct dns_answer *a;
	struct dns_batch *b;
	SPF_dns_rr_t *rr;
	enum lookup_role role = FIRST_OF_TERM;
	int herrno;

	(void)should_cache;
	if (type == ns_t_spf)
		return SPF_dns_rr_new_init(srv, domain, type, 0, NO_DATA);
	domain = fit_name(domain);
	if (ev != NULL) {
		if (ev->decided != AUTH_UNSET)
			return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
		if (!spfrec_name_ok(domain)) {
			decide(ev, AUTH_PERMERROR, "invalid_name");
			return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
		}
		role = role_of(ev, domain, type);
		if (role == FIRST_OF_TERM && ++ev->terms > SPF_TERMS_MAX) {
			decide(ev, AUTH_PERMERROR, "lookup_limit");
			return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
		}
	}
	/* out of time: a temporary error, without asking */
	a = ask(auth_current(), domain, (int)type, &b);
	switch (a == NULL ? DNS_TEMPFAIL : a->status) {
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
		/* 5.5: a DNS error in the PTR lookup is no match, in the address
		 * lookup of one of its names skips that name (libspf2 would
		 * make both a temperror); not void lookups either */
		if (type == ns_t_ptr || role == PTR_NAME) {
			dns_batch_free(b);
			return SPF_dns_rr_new_init(srv, domain, type, 0, HOST_NOT_FOUND);
		}
		dns_batch_free(b);
		return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
	}
	if (ev != NULL && (herrno == HOST_NOT_FOUND || herrno == NO_DATA) && ++ev->voids > SPF_VOID_MAX)
		decide(ev, AUTH_PERMERROR, "void_limit");
	if (ev != NULL && herrno == NETDB_SUCCESS && type == ns_t_mx && a->nrr > SPF_NAMES_MAX)
		decide(ev, AUTH_PERMERROR, "mx_limit");
	if (ev != NULL && ev->decided != AUTH_UNSET) {
		dns_batch_free(b);
		return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
	}
	rr = SPF_dns_rr_new_init(srv, domain, type, a->ttl, herrno);
	for (int k = 0; rr != NULL && herrno == NETDB_SUCCESS && k < a->nrr; k++) {
		/* 4.6.4: names of a PTR answer past the 10th are ignored */
		if (type == ns_t_ptr && k >= SPF_NAMES_MAX)
			break;
		rr_add(rr, (int)type, a->rr[k]);
	}
	if (ev != NULL && rr != NULL && (type == ns_t_mx || type == ns_t_ptr)) {
		ev->nnames = 0;
		ev->names_ptr = type == ns_t_ptr;
		for (int k = 0; k < rr->num_rr && ev->nnames < SPF_NAMES_MAX; k++)
			snprintf(ev->names[ev->nnames++], sizeof(ev->names[0]), "%s",
				 type == ns_t_mx ? rr->rr[k]->mx : rr->rr[k]->ptr);
	}
	dns_batch_free(b);
	return rr;
}

/* The record of the current domain failed: result r for the sender's own
 * record; for an include's or redirect's, libspf2 makes any error a
 * permerror, so a temperror is remembered as decided. */
static SPF_errcode_t
record_fails(SPF_response_t *resp, struct spf_eval *ev, bool top, SPF_result_t r,
	     SPF_errcode_t err, const char *why)
{
	resp->result = r;
	resp->reason = SPF_REASON_FAILURE;
	if (top && ev != NULL && ev->why == NULL)
		ev->why = why; /* for Received-SPF, not a decision */
	if (!top && r == SPF_RESULT_TEMPERROR)
		decide(ev, AUTH_TEMPERROR, why);
	else if (!top || r == SPF_RESULT_PERMERROR)
		decide(ev, AUTH_PERMERROR, why);
	return SPF_response_add_error(resp, err, "%s", why);
}

/*
 * get_spf hook: the record of spf_request->cur_dom, fetched, chosen and
 * checked here (see the top of the file), compiled by libspf2.
 */
static SPF_errcode_t
layer_get_spf(SPF_server_t *server, SPF_request_t *req, SPF_response_t *resp, SPF_record_t **recp)
{
	struct spf_eval *ev = cur_eval;
	const char *domain = fit_name(req->cur_dom ? req->cur_dom : "");
	const struct dns_answer *a;
	struct dns_batch *b;
	char *txt[SPF_TXT_MAX], *text = NULL;
	size_t len[SPF_TXT_MAX];
	int n, found = -1, nfound = 0;
	unsigned nterms = 0;
	char client[INET6_ADDRSTRLEN];
	bool top = ev == NULL || ev->records++ == 0;
	const char *why = NULL;
	SPF_errcode_t err;

	*recp = NULL;
	if (ev != NULL && ev->decided != AUTH_UNSET)
		return record_fails(resp, ev, top, SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR, "decided");
	/* 4.3: a malformed domain has no record; an include of it is a permerror */
	if (!spfrec_name_ok(domain))
		return record_fails(resp, ev, top, top ? SPF_RESULT_NONE : SPF_RESULT_PERMERROR,
				    SPF_E_NOT_SPF, "invalid_name");
	if (!top && ev != NULL) {
		ev->nnames = 0; /* a new term */
		if (++ev->terms > SPF_TERMS_MAX)
			return record_fails(resp, ev, top, SPF_RESULT_PERMERROR, SPF_E_BIG_DNS,
					    "lookup_limit");
	}
	a = ask(auth_current(), domain, DNS_TYPE_TXT, &b);
	if (a == NULL || a->status == DNS_TEMPFAIL) {
		why = a != NULL && a->why != NULL ? a->why : "timeout"; /* static */
		dns_batch_free(b);
		return record_fails(resp, ev, top, SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR, why);
	}
	if (a->status != DNS_FOUND) {
		dns_batch_free(b);
		return record_fails(resp, ev, top, top ? SPF_RESULT_NONE : SPF_RESULT_PERMERROR,
				    SPF_E_NOT_SPF, "no_record");
	}
	n = dns_txt_exact(a, txt, len, SPF_TXT_MAX);
	dns_batch_free(b);
	if (n < 0)
		return record_fails(resp, ev, top, SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR, "malformed");
	/* 4.5: records that start with "v=spf1" and a space or their end */
	for (int i = 0; i < n; i++)
		if (len[i] >= 6 && strncasecmp(txt[i], "v=spf1", 6) == 0 && (len[i] == 6 || txt[i][6] == ' ')) {
			found = i;
			nfound++;
		}
	if (req->client_ver == AF_INET6)
		inet_ntop(AF_INET6, &req->ipv6, client, sizeof(client));
	else
		inet_ntop(AF_INET, &req->ipv4, client, sizeof(client));
	if (nfound == 1 && spfrec_prepare(txt[found], len[found], client, &text, &why) < 0)
		log_msg(LOG_INFO, "spf domain=%s record_refused=\"%s\"", domain, why);
	if (text != NULL) /* doorman -t: the chain of records, as published and as evaluated */
		trace_fact(auth_current()->trace, "spf.record", "%s%s: %.*s; for %s: %s",
			   top ? "" : "include or redirect: ", domain, (int)len[found], txt[found],
			   client, text);
	for (int i = 0; i < n; i++)
		free(txt[i]);
	if (nfound == 0)
		return record_fails(resp, ev, top, top ? SPF_RESULT_NONE : SPF_RESULT_PERMERROR,
				    SPF_E_NOT_SPF, "no_record");
	if (nfound > 1)
		return record_fails(resp, ev, top, SPF_RESULT_PERMERROR, SPF_E_MULTIPLE_RECORDS,
				    "several_records");
	if (text == NULL)
		return record_fails(resp, ev, top, SPF_RESULT_PERMERROR, SPF_E_SYNTAX, "syntax");
	err = SPF_record_compile(server, resp, recp, text);
	if (err != SPF_E_SUCCESS) {
		/* the grammar accepts it, libspf2 does not: doorman.conf(5) lists these */
		log_msg(LOG_INFO, "spf domain=%s libspf2_refused=\"%s\"", domain, text);
		free(text);
		if (*recp != NULL)
			SPF_record_free(*recp);
		*recp = NULL;
		return record_fails(resp, ev, top, SPF_RESULT_PERMERROR, err, "libspf2_refused");
	}
	/* libspf2 drops, without a word, the terms past 511 bytes of its
	 * compiled form (about 60 ip4 terms): a record it cannot hold whole
	 * is not evaluated in part (doorman.conf(5)) */
	for (const char *sp = strchr(text, ' '); sp != NULL; sp = strchr(sp + 1, ' '))
		nterms++;
	free(text);
	if ((unsigned)(*recp)->num_mech + (*recp)->num_mod != nterms) {
		log_msg(LOG_INFO, "spf domain=%s libspf2_truncated=%u/%u", domain,
			(unsigned)(*recp)->num_mech + (*recp)->num_mod, nterms);
		SPF_record_free(*recp);
		*recp = NULL;
		return record_fails(resp, ev, top, SPF_RESULT_PERMERROR, SPF_E_BIG_MECH, "libspf2_limit");
	}
	return SPF_E_SUCCESS;
}

/* get_exp hook: no explanation is looked up (see the top of the file). */
static SPF_errcode_t
layer_get_exp(SPF_server_t *server, const char *domain, char **buf, size_t *buflen)
{
	(void)server;
	(void)domain;
	if (*buf == NULL || *buflen == 0) {
		free(*buf);
		*buf = xmalloc(1);
		*buflen = 1;
	}
	(*buf)[0] = '\0';
	return SPF_E_SUCCESS;
}

int
spf_init(const char *me, char *why, size_t whylen)
{
	spf_layer.destroy = NULL; /* static: never freed by libspf2 */
	spf_layer.lookup = layer_lookup;
	spf_layer.get_spf = layer_get_spf;
	spf_layer.get_exp = layer_get_exp;
	spf_layer.name = "doorman";
	if ((spf_server = SPF_server_new_dns(&spf_layer, 0)) == NULL) {
		snprintf(why, whylen, "libspf2: cannot make a server");
		return -1;
	}
	/* doorman counts the limits over the whole evaluation (layer_lookup);
	 * libspf2's own, per record, are set above them so they never decide */
	SPF_server_set_max_dns_mech(spf_server, SPF_TERMS_MAX + 1);
	SPF_server_set_max_dns_mx(spf_server, SPF_NAMES_MAX);
	SPF_server_set_max_dns_ptr(spf_server, SPF_NAMES_MAX);
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
	case SPF_RESULT_PERMERROR:
		return AUTH_PERMERROR;
	default:
		/* SPF_RESULT_INVALID: libspf2 ended without a result (an internal
		 * error); never a permerror that a policy could turn into a 5xx */
		return AUTH_TEMPERROR;
	}
}

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/*
 * SPF_request_query_mailfrom(), but for its free pass: libspf2 answers pass
 * for a loopback client without a lookup, a rule RFC 7208 does not have.
 * NULL when out of memory.
 */
static SPF_response_t *
query(SPF_request_t *req)
{
	SPF_response_t *resp = SPF_response_new(req);
	SPF_record_t *rec = NULL;

	if (resp == NULL)
		return NULL;
	req->cur_dom = req->use_helo ? req->helo_dom : req->env_from_dp;
	if (SPF_server_get_record(spf_server, req, resp, &rec) != SPF_E_SUCCESS) {
		/* layer_get_spf set the result */
		if (rec != NULL)
			SPF_record_free(rec);
		return resp;
	}
	resp->spf_record_exp = rec;
	SPF_record_interpret(rec, req, resp, 0);
	SPF_record_free(rec);
	return resp;
}

/* One evaluation: sender "" checks the HELO identity (postmaster@helo). */
static void
evaluate(struct conn *c, const char *ip, const char *helo, const char *sender,
	 struct spf_fact *out)
{
	struct spf_eval ev = { 0 };
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	const char *value;
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
	resp = query(req);
	cur_eval = NULL;
	auth_current_set(NULL);
	if (resp == NULL) {
		out->result = AUTH_TEMPERROR;
	} else {
		out->result = ev.decided != AUTH_UNSET ? ev.decided : map_result(SPF_response_result(resp));
		if (ev.decided != AUTH_UNSET)
			log_msg(LOG_INFO, "spf identity=%s result=%s decided_by=%s", out->identity,
				auth_result_name(out->result), ev.why);
		if (out->result == AUTH_FAIL)
			snprintf(out->explanation, sizeof(out->explanation),
				 "%.200s does not designate %.46s as a permitted sender", out->domain, ip);
		value = SPF_response_get_received_spf_value(resp);
		if (ev.decided != AUTH_UNSET || value == NULL || *value == '\0')
			/* libspf2's words would give its result, not this one, or
			 * it has none (the record was not evaluated) */
			snprintf(out->received, sizeof(out->received), "%s (%s: %s) client-ip=%s;",
				 auth_result_name(out->result), "doorman", ev.why ? ev.why : "no evaluation",
				 ip);
		else
			copy(out->received, sizeof(out->received), value);
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
		/* no '@': no domain part to check (libspf2 would take it all for one) */
		copy(out->identity, sizeof(out->identity), sender);
		copy(out->domain, sizeof(out->domain), at ? at + 1 : "");
	}
	if (out->domain[0] == '\0' || !domain_syntax_ok(out->domain) || !strchr(out->domain, '.') ||
	    !spfrec_name_ok(out->domain)) {
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
