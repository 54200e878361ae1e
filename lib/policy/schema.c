/*
 * schema.c - every setting of the policy file (see schema.h)
 *
 * When you add a row, also add the field to struct config or struct policy
 * (config.h), document it in man/doorman.conf.5, and use it in a file under
 * policies/.  An ST_ACTION row is followed by the ST_REPLY row of the same rule
 * (named "x_reply", or "relay.reply"): the loader relies on that pairing to
 * check that a configured reply agrees with its action.
 */
#include "schema.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "callout.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "store.h"

#define DNS_FAIL_REPLY "451 4.4.3 Temporary DNS failure, try again later"
#define G(field) SCOPE_GLOBAL, offsetof(struct config, field)
#define P(field) SCOPE_POLICY, offsetof(struct policy, field)

static int
check_socket(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;
	const char *colon = strchr(s, ':');

	if (s[0] == '/')
		return 0;
	if (colon != NULL && (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0) &&
	    colon[1] == '/')
		return 0;
	if (strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0) {
		int port = 0;
		const char *p = colon + 1;
		while (*p >= '0' && *p <= '9' && port < 65536)
			port = port * 10 + (*p++ - '0');
		if (p != colon + 1 && port > 0 && port < 65536 && *p == '\0') {
			/* libmilter would listen on every interface: a milter open to
			 * the network only by being told so */
			snprintf(why, whylen,
				 "\"%s\" names no address, so it would listen on every interface: "
				 "write %s@127.0.0.1 (or @0.0.0.0 to mean every interface)", s, s);
			return -1;
		}
		if (p != colon + 1 && port > 0 && port < 65536 && *p == '@' && p[1])
			return 0;
	}
	snprintf(why, whylen,
		 "\"%s\" is not a milter socket (unix:/path, inet:port@address, inet6:port@address)", s);
	return -1;
}

/* metrics.listen: empty, unix:/path or a numeric address:port */
static int
check_metrics_listen(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;
	struct metrics_addr a;

	return *s == '\0' ? 0 : metrics_listen_parse(s, &a, why, whylen);
}

static int
check_user(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (*s == '\0')
		return 0;
	if (getpwnam_r(s, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
		snprintf(why, whylen, "no such user \"%s\"", s);
		return -1;
	}
	return 0;
}

static int
check_timeout(const void *field, char *why, size_t whylen)
{
	long v = *(const long *)field;

	if (v < 1 || v > 3600) {
		snprintf(why, whylen, "timeout %ld out of range 1..3600 seconds", v);
		return -1;
	}
	return 0;
}

/* the milter protocol engines milter/engine.c knows */
static int
check_engine(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	if (strcmp(s, "native") != 0 && strcmp(s, "libmilter") != 0) {
		snprintf(why, whylen, "engine \"%s\": native or libmilter", s);
		return -1;
	}
	return 0;
}

static int
check_facility(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	if (log_facility_parse(s) < 0) {
		snprintf(why, whylen, "unknown syslog facility \"%s\"", s);
		return -1;
	}
	return 0;
}

static int
check_absolute(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	if (*s != '\0' && *s != '/') {
		snprintf(why, whylen, "\"%s\" must be an absolute path", s);
		return -1;
	}
	return 0;
}

/* "address" or "address@port" */
static int
check_server(const char *s, char *why, size_t whylen)
{
	char host[128];
	const char *at = strchr(s, '@');
	size_t hl = at ? (size_t)(at - s) : strlen(s);
	struct ipaddr ip;
	long port = 53;

	if (at != NULL) {
		char *end;
		port = strtol(at + 1, &end, 10);
		if (end == at + 1 || *end != '\0')
			port = -1;
	}
	if (hl >= sizeof(host) || port < 1 || port > 65535) {
		snprintf(why, whylen, "\"%s\" is not address or address@port", s);
		return -1;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (ip_parse(host, &ip) < 0) {
		snprintf(why, whylen, "\"%s\" is not an IP address", host);
		return -1;
	}
	return 0;
}

static int
check_upstreams(const void *field, char *why, size_t whylen)
{
	const struct strlist *l = field;

	for (size_t i = 0; i < l->n; i++)
		if (check_server(l->v[i], why, whylen) < 0)
			return -1;
	return 0;
}

static int
check_stub_zones(const void *field, char *why, size_t whylen)
{
	const struct strlist *l = field;

	for (size_t i = 0; i < l->n; i++) {
		const char *eq = strchr(l->v[i], '=');
		if (eq == NULL || eq == l->v[i]) {
			snprintf(why, whylen, "\"%s\" is not zone=address@port", l->v[i]);
			return -1;
		}
		if (check_server(eq + 1, why, whylen) < 0)
			return -1;
	}
	return 0;
}

static int
check_zones(const void *field, char *why, size_t whylen)
{
	const struct zonelist *l = field;

	/* check_dnsbl.c asks at most 64 zones in one round */
	if (l->n > 64) {
		snprintf(why, whylen, "%zu zones: at most 64", l->n);
		return -1;
	}
	return 0;
}

static int
check_resolver_timeout(const void *field, char *why, size_t whylen)
{
	long v = *(const long *)field;

	/* Sendmail's milter read timeout is 10 s by default; a stage runs up
	 * to four rounds (connect: DNSBL, its TXT reason, PTR, addresses) */
	if (v < 100 || v > 2000) {
		snprintf(why, whylen, "%ld ms out of range 100..2000", v);
		return -1;
	}
	return 0;
}

/* a listing threshold of 0 or less would take every client */
static int
check_threshold(const void *field, char *why, size_t whylen)
{
	long v = *(const long *)field;

	if (v < 1) {
		snprintf(why, whylen, "%ld: a threshold must be 1 or more", v);
		return -1;
	}
	return 0;
}

/* an allowlist threshold of 0 or more would allowlist every unlisted client */
static int
check_allow_threshold(const void *field, char *why, size_t whylen)
{
	long v = *(const long *)field;

	if (v > -1) {
		snprintf(why, whylen, "%ld: an allowlist threshold must be -1 or less", v);
		return -1;
	}
	return 0;
}

static int
check_authserv_id(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	if (*s != '\0' && !domain_syntax_ok(s)) {
		snprintf(why, whylen, "\"%s\" is not a host name", s);
		return -1;
	}
	return 0;
}

static int
check_readable(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	if (*s == '\0')
		return 0;
	if (*s != '/' || access(s, R_OK) != 0) {
		snprintf(why, whylen, "\"%s\": %s", s, *s != '/' ? "must be an absolute path" : strerror(errno));
		return -1;
	}
	return 0;
}

static int
check_history(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	if (*s == '\0' || (*s == '/' && s[strlen(s) - 1] != '/'))
		return 0;
	snprintf(why, whylen, "\"%s\" must be an absolute file name", s);
	return -1;
}

static int
check_sendmail(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	if (*s == '/')
		return 0;
	snprintf(why, whylen, "\"%s\" must be an absolute path", s);
	return -1;
}

/* a line of the report's XML and of its mail header: printable ASCII */
static int
check_report_text(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p > '~') {
			snprintf(why, whylen, "\"%s\" must be printable ASCII on one line", s);
			return -1;
		}
	return 0;
}

static int
check_report_from(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;
	const char *at = strrchr(s, '@');

	if (*s == '\0')
		return 0;
	if (check_report_text(field, why, whylen) < 0)
		return -1;
	if (at == NULL || at == s || at[1] == '\0' || strpbrk(s, " <>\"(),;:\\[]") != NULL) {
		snprintf(why, whylen, "\"%s\" is not a plain address local@domain", s);
		return -1;
	}
	return 0;
}

static int
check_max_signatures(const void *field, char *why, size_t whylen)
{
	long v = *(const long *)field;

	if (v < 1 || v > DKIM_SIGS_KEPT) {
		snprintf(why, whylen, "%ld out of range 1..%d", v, DKIM_SIGS_KEPT);
		return -1;
	}
	return 0;
}

static int
check_one_of(const char *s, const char *const *words, char *why, size_t whylen)
{
	for (size_t i = 0; words[i] != NULL; i++)
		if (strcmp(s, words[i]) == 0)
			return 0;
	snprintf(why, whylen, "\"%s\" is not one of %s%s%s%s%s", s, words[0], words[1] ? ", " : "",
		 words[1] ? words[1] : "", words[1] && words[2] ? ", " : "", words[1] && words[2] ? words[2] : "");
	return -1;
}

static int
check_on_reject(const void *field, char *why, size_t whylen)
{
	static const char *const words[] = { "reject", "quarantine", "tag", NULL };
	return check_one_of(*(char *const *)field, words, why, whylen);
}

static int
check_on_quarantine(const void *field, char *why, size_t whylen)
{
	static const char *const words[] = { "quarantine", "tag", NULL };
	return check_one_of(*(char *const *)field, words, why, whylen);
}

static int
check_5xx(const void *field, char *why, size_t whylen)
{
	const struct reply *r = field;

	if (r->code / 100 != 5) {
		snprintf(why, whylen, "reply %d must be a 5xx reply", r->code);
		return -1;
	}
	return 0;
}

static int
check_budget(const void *field, char *why, size_t whylen)
{
	long v = *(const long *)field;

	if (v < 1 || v > 1000) {
		snprintf(why, whylen, "%ld out of range 1..1000", v);
		return -1;
	}
	return 0;
}

/* ---- recipients (check_rcpt.c) ---- */

static int
in_range(const void *field, long lo, long hi, const char *unit, char *why, size_t whylen)
{
	long v = *(const long *)field;

	if (v < lo || v > hi) {
		snprintf(why, whylen, "%ld out of range %ld..%ld %s", v, lo, hi, unit);
		return -1;
	}
	return 0;
}

/* milter.max_connections: the descriptor limit is raised to fit it */
static int
check_max_connections(const void *field, char *why, size_t whylen)
{
	return in_range(field, 1, 100000, "connections", why, whylen);
}

static int
check_interval(const void *field, char *why, size_t whylen)
{
	return in_range(field, 0, 3600, "seconds", why, whylen);
}

/* Sendmail waits 10 s for a milter reply by default: a probe must end well before */
static int
check_callout_timeout(const void *field, char *why, size_t whylen)
{
	return in_range(field, 100, 8000, "milliseconds", why, whylen);
}

static int
check_ttl(const void *field, char *why, size_t whylen)
{
	return in_range(field, 0, 30 * 86400, "seconds", why, whylen);
}

static int
check_max_conns(const void *field, char *why, size_t whylen)
{
	return in_range(field, 1, 100, "connections", why, whylen);
}

/* "domain=x" items, x checked by what */
static int
check_domain_items(const struct strlist *l, int (*what)(const char *, char *, size_t), char *why,
		   size_t whylen)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *eq = strchr(l->v[i], '=');
		char dom[256];

		if (eq == NULL || eq == l->v[i] || (size_t)(eq - l->v[i]) >= sizeof(dom)) {
			snprintf(why, whylen, "\"%s\" is not domain=value", l->v[i]);
			return -1;
		}
		snprintf(dom, sizeof(dom), "%.*s", (int)(eq - l->v[i]), l->v[i]);
		if (!domain_syntax_ok(dom)) {
			snprintf(why, whylen, "\"%s\" is not a domain name", dom);
			return -1;
		}
		if (what(eq + 1, why, whylen) < 0)
			return -1;
	}
	return 0;
}

static int
nonempty_file(const char *s, char *why, size_t whylen)
{
	if (*s != '\0')
		return 0;
	snprintf(why, whylen, "a list needs a file name after '='");
	return -1;
}

static int
check_rcpt_lists(const void *field, char *why, size_t whylen)
{
	return check_domain_items(field, nonempty_file, why, whylen);
}

static int
check_rcpt_callouts(const void *field, char *why, size_t whylen)
{
	return check_domain_items(field, callout_spec_check, why, whylen);
}

static int
check_separators(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == '@' || *p == '"') {
			snprintf(why, whylen, "separators are printable characters other than '@' and '\"'");
			return -1;
		}
	if (strlen(s) > 8) {
		snprintf(why, whylen, "at most 8 separator characters");
		return -1;
	}
	return 0;
}

/* ---- the state store (lib/store/) and greylisting (check_greylist.c) ---- */

static int
check_store_backend(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	if (strcmp(s, "lmdb") == 0 || strcmp(s, "redis") == 0)
		return 0;
	snprintf(why, whylen, "\"%s\": lmdb or redis", s);
	return -1;
}

static int
check_store_path(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	if (*s == '/')
		return 0;
	snprintf(why, whylen, "\"%s\" must be an absolute path", s);
	return -1;
}

static int
check_map_size(const void *field, char *why, size_t whylen)
{
	return in_range(field, 1, 1048576, "megabytes", why, whylen);
}

static int
check_redis(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;
	char host[256];
	int port;

	return *s == '\0' ? 0 : store_redis_parse(s, host, sizeof(host), &port, why, whylen) < 0 ? -1 : 0;
}

static int
check_redis_database(const void *field, char *why, size_t whylen)
{
	return in_range(field, 0, 1000, "(a database number)", why, whylen);
}

static int
check_redis_pool(const void *field, char *why, size_t whylen)
{
	return in_range(field, 1, 256, "connections", why, whylen);
}

/* a store operation runs inside a stage: Sendmail waits 10 s for a reply */
static int
check_store_timeout(const void *field, char *why, size_t whylen)
{
	return in_range(field, 10, 5000, "milliseconds", why, whylen);
}

static int
check_grey_delay(const void *field, char *why, size_t whylen)
{
	return in_range(field, 1, 86400, "seconds", why, whylen);
}

static int
check_grey_window(const void *field, char *why, size_t whylen)
{
	return in_range(field, 60, 30 * 86400, "seconds", why, whylen);
}

static int
check_grey_lifetime(const void *field, char *why, size_t whylen)
{
	return in_range(field, 3600, 400 * 86400, "seconds", why, whylen);
}

static int
check_auto_allow(const void *field, char *why, size_t whylen)
{
	return in_range(field, 0, 1000, "deliveries", why, whylen);
}

static int
check_ipv4_prefix(const void *field, char *why, size_t whylen)
{
	return in_range(field, 8, 32, "bits", why, whylen);
}

static int
check_ipv6_prefix(const void *field, char *why, size_t whylen)
{
	return in_range(field, 16, 128, "bits", why, whylen);
}

/* ---- forwarders learned from DKIM (fwdlearn.c) ---- */

static int
check_fwd_min_messages(const void *field, char *why, size_t whylen)
{
	return in_range(field, 1, 100000, "messages", why, whylen);
}

static int
check_fwd_min_domains(const void *field, char *why, size_t whylen)
{
	/* a message counts at most FWDLEARN_DOMAINS_MAX domains, but the
	 * domains add up over many messages */
	return in_range(field, 1, 10000, "domains", why, whylen);
}

/* forwarders.window and .lifetime: an hour to 400 days */
static int
check_fwd_seconds(const void *field, char *why, size_t whylen)
{
	return in_range(field, 3600, 400 * 86400, "seconds", why, whylen);
}

/* greylisting can only delay: a reject would refuse mail for being new */
static int
check_grey_action(const void *field, char *why, size_t whylen)
{
	enum action a = *(const enum action *)field;

	if (a == ACTION_TEMPFAIL || a == ACTION_DRYRUN)
		return 0;
	snprintf(why, whylen, "%s: greylisting can only tempfail or dryrun (greylist.enabled "
		 "turns it off)", action_name(a));
	return -1;
}

/* a group name of this system, or empty */
static int
check_group(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;
	struct group gr, *res = NULL;
	char buf[4096];

	if (*s == '\0')
		return 0;
	if (getgrnam_r(s, &gr, buf, sizeof(buf), &res) != 0 || res == NULL) {
		snprintf(why, whylen, "no such group \"%s\"", s);
		return -1;
	}
	return 0;
}

/* an octal file mode the socket's owner can use and other users cannot write */
static int
check_socket_mode(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;
	char *end;
	long m = strtol(s, &end, 8);

	if (*s == '\0' || *end != '\0' || m < 0 || m > 0777 || strspn(s, "01234567") != strlen(s)) {
		snprintf(why, whylen, "\"%s\" is not an octal mode such as 0660", s);
		return -1;
	}
	if ((m & 0600) != 0600) {
		snprintf(why, whylen, "%s: the owner must be able to read and write the socket", s);
		return -1;
	}
	if (m & 0002) {
		snprintf(why, whylen, "%s: every local user could talk to the milter; use socket_group", s);
		return -1;
	}
	return 0;
}

/* a store that fails never holds mail with a 5xx, and never opens anything */
static int
check_store_failure(const void *field, char *why, size_t whylen)
{
	enum action a = *(const enum action *)field;

	if (a == ACTION_ACCEPT || a == ACTION_TEMPFAIL)
		return 0;
	snprintf(why, whylen, "%s: a store failure takes accept or tempfail", action_name(a));
	return -1;
}

/* ---- BATV and SRS (lib/session_fwd.c) ---- */

static int
check_batv_age(const void *field, char *why, size_t whylen)
{
	/* the tag's day wraps at 1000 (batv.h): far below it */
	return in_range(field, 1, 365, "days", why, whylen);
}

static int
check_srs_age(const void *field, char *why, size_t whylen)
{
	/* the timestamp wraps at 1024 days (srs.h) */
	return in_range(field, 1, 365, "days", why, whylen);
}

static int
check_srs_separator(const void *field, char *why, size_t whylen)
{
	const char *s = *(char *const *)field;

	if (strlen(s) == 1 && strchr("=+-", s[0]) != NULL)
		return 0;
	snprintf(why, whylen, "\"%s\" is not an SRS separator: one of = + - (as postsrsd's -a)", s);
	return -1;
}

static int
check_fwd_action(const void *field, char *why, size_t whylen)
{
	enum action a = *(const enum action *)field;

	if (a == ACTION_REJECT || a == ACTION_DRYRUN)
		return 0;
	snprintf(why, whylen, "a bad tag can only be rejected, or logged with dryrun while rolling out");
	return -1;
}

const struct setting schema[] = {
	/* global: the milter socket and the process */
	{ "milter.socket", G(socket), ST_STRING, "inet:8891@127.0.0.1", check_socket,
	  "socket the MTA connects to: unix:/path, inet:port@address or inet6:port@address" },
	{ "milter.user", G(user), ST_STRING, "", check_user,
	  "user to run as after binding the socket; empty keeps the starting user" },
	{ "milter.socket_group", G(socket_group), ST_STRING, "", check_group,
	  "group of a unix socket (the MTA's user joins it); empty: milter.user's primary group, or the starting user's" },
	{ "milter.socket_mode", G(socket_mode), ST_STRING, "0660", check_socket_mode,
	  "octal mode of a unix socket; never writable by other users" },
	{ "milter.pidfile", G(pidfile), ST_STRING, "/run/doorman/doorman.pid", check_absolute,
	  "file the process id is written to before dropping privileges, removed at stop; its directory is made for milter.user when missing; empty for none" },
	{ "milter.timeout", G(timeout), ST_INT, "600", check_timeout,
	  "seconds a connection may wait for the MTA's next command before doorman closes it" },
	{ "milter.engine", G(engine), ST_STRING, "native", check_engine,
	  "milter protocol engine: native (doorman's own) or libmilter (Sendmail's); at start only" },
	{ "milter.max_connections", G(max_connections), ST_INT, "1024", check_max_connections,
	  "MTA connections served at once; more are refused at once (the file descriptor limit is raised to fit)" },
	{ "log.facility", G(log_facility), ST_STRING, "mail", check_facility,
	  "syslog facility (mail, daemon, user, local0..local7); -f logs to stderr instead" },
	{ "log.accepts", G(log_accepts), ST_BOOL, "true", NULL,
	  "also log a line for each accepted recipient, not only for rejections" },
	{ "metrics.listen", G(metrics_listen), ST_STRING, "", check_metrics_listen,
	  "Prometheus metrics endpoint: address:port or unix:/path; empty: none (at start only)" },

	/* global: who we are, whom we trust, what we receive mail for */
	{ "me.hostnames", G(me_hostnames), ST_STRLIST, "", NULL,
	  "names of this server a client must not claim in HELO; empty: the system host name" },
	{ "me.addresses", G(me_addresses), ST_CIDRLIST, "", NULL,
	  "addresses of this server: a HELO literal of one is impersonation, a [literal] recipient domain is local" },
	{ "networks.trusted", G(trusted), ST_CIDRLIST, "127.0.0.0/8, ::1/128", NULL,
	  "client networks that may relay and (with exempt_trusted) skip client, HELO and sender checks" },
	{ "domains.local", G(local_domains), ST_DOMLIST, "", NULL,
	  "domains this server receives mail for; \".example.org\" means subdomains only" },
	{ "domains.relay", G(relay_domains), ST_DOMLIST, "", NULL,
	  "domains this server relays to another host (backup MX, internal); same syntax" },
	/* global: the one resolver (lib/dns/dns.h) */
	{ "resolver.upstreams", G(resolver_upstreams), ST_STRLIST, "", check_upstreams,
	  "servers to forward queries to, as address or address@port; empty: /etc/resolv.conf" },
	{ "resolver.unblock", G(resolver_unblock), ST_STRLIST, "", NULL,
	  "special-use zones (test., 2.0.192.in-addr.arpa.) to ask the upstreams about anyway" },
	{ "resolver.zones", G(resolver_zones), ST_STRLIST, "", check_stub_zones,
	  "zones asked of their own server, as zone=address@port (a local DNSBL mirror, say)" },
	{ "resolver.timeout", G(resolver_timeout), ST_INT, "2000", check_resolver_timeout,
	  "milliseconds one round of parallel queries may take before it is a temporary failure" },
	{ "resolver.budget", G(resolver_budget), ST_INT, "40", check_budget,
	  "most DNS queries one connection may send per message; beyond, a temporary failure" },
	{ "auth.authserv_id", G(authserv_id), ST_STRING, "", check_authserv_id,
	  "the authserv-id of the Authentication-Results header; empty: the first of me.hostnames" },
	{ "dmarc.public_suffix_list", G(public_suffix_list), ST_STRING,
	  "/usr/share/publicsuffix/public_suffix_list.dat", check_readable,
	  "public suffix list that gives organizational domains (read at start; a change needs a restart)" },
	{ "dmarc.history", G(dmarc_history), ST_STRING, "", check_history,
	  "file a row per DMARC-evaluated message is appended to, for doorman -R's aggregate reports; empty: none" },
	{ "dmarc.report_org", G(dmarc_report_org), ST_STRING, "", check_report_text,
	  "org_name of the aggregate reports; empty: auth.authserv_id" },
	{ "dmarc.report_from", G(dmarc_report_from), ST_STRING, "", check_report_from,
	  "sender (envelope and From:) of the aggregate reports; empty: postmaster@ auth.authserv_id" },
	{ "dmarc.report_contact", G(dmarc_report_contact), ST_STRING, "", check_report_text,
	  "extra_contact_info of the aggregate reports (a URL or a telephone number); empty: none" },
	{ "dmarc.report_sendmail", G(dmarc_report_sendmail), ST_STRING, "/usr/sbin/sendmail",
	  check_sendmail, "sendmail(1) program doorman -R hands the reports to" },
	/* global: the state store (lib/store/store.h) */
	{ "store.backend", G(store_backend), ST_STRING, "lmdb", check_store_backend,
	  "where state lives: lmdb (a file on this host) or redis (shared by several MX hosts)" },
	{ "store.path", G(store_path), ST_STRING, "/var/lib/doorman", check_store_path,
	  "LMDB: directory of the state file, made when missing; must belong to milter.user, not writable by others" },
	{ "store.map_size", G(store_map_size), ST_INT, "256", check_map_size,
	  "LMDB: megabytes the state file may grow to; a write beyond is a store failure (logged, counted)" },
	{ "store.redis", G(store_redis), ST_STRING, "", check_redis,
	  "Redis: the server as unix:/path or host:port (an address is best)" },
	{ "store.redis_password", G(store_redis_password), ST_STRING, "", NULL,
	  "Redis: password sent with AUTH on each new connection; empty for none" },
	{ "store.redis_database", G(store_redis_database), ST_INT, "0", check_redis_database,
	  "Redis: database number (SELECT)" },
	{ "store.redis_pool", G(store_redis_pool), ST_INT, "8", check_redis_pool,
	  "Redis: most connections open at once; more operations wait for one within store.timeout" },
	{ "store.timeout", G(store_timeout), ST_INT, "500", check_store_timeout,
	  "milliseconds one store operation may take, waiting for a connection included" },
	/* global: forwarders learned from DKIM (fwdlearn.h) */
	{ "forwarders.learn", G(fwd_learn), ST_BOOL, "true", NULL,
	  "count DKIM evidence of store-and-forward relays and use the forwarders learned (needs a store section)" },
	{ "forwarders.min_messages", G(fwd_min_messages), ST_INT, "5", check_fwd_min_messages,
	  "evidence messages within forwarders.window before a client is a learned forwarder" },
	{ "forwarders.min_domains", G(fwd_min_domains), ST_INT, "3", check_fwd_min_domains,
	  "distinct signing organizational domains among them" },
	{ "forwarders.window", G(fwd_window), ST_INT, "604800", check_fwd_seconds,
	  "seconds the evidence counters live from their first message (a fixed window)" },
	{ "forwarders.lifetime", G(fwd_lifetime), ST_INT, "2592000", check_fwd_seconds,
	  "seconds a learned forwarder is kept, renewed by each evidence message" },
	{ "default_policy", G(default_policy_name), ST_STRING, "", NULL,
	  "policy for a listener no policy names; may be empty when there is one policy only" },

	/* per policy */
	{ "listeners", P(listeners), ST_STRLIST, "", NULL,
	  "values of the {daemon_name} milter macro that choose this policy" },
	{ "delay_reject", P(delay_reject), ST_BOOL, "true", NULL,
	  "hold client, HELO and sender rejections until RCPT, as Postfix smtpd_delay_reject" },
	{ "exempt_trusted", P(exempt_trusted), ST_BOOL, "true", NULL,
	  "trusted and authenticated clients skip client, HELO and sender checks" },
	{ "dryrun", P(dryrun), ST_BOOL, "false", NULL,
	  "log the rejects and tempfails of this policy as dryrun and accept instead; relay refusals stay" },

	{ "relay.action", P(relay.action), ST_ACTION, "reject", NULL,
	  "action for a recipient this server must not relay to" },
	{ "relay.reply", P(relay.reply), ST_REPLY, "554 5.7.1 Relay access denied", NULL,
	  "reply for relay.action" },

	{ "helo.required", P(helo_required.action), ST_ACTION, "reject", NULL,
	  "action for a MAIL FROM without a HELO or EHLO before it" },
	{ "helo.required_reply", P(helo_required.reply), ST_REPLY, "503 5.5.1 Send HELO/EHLO first", NULL,
	  "reply for helo.required" },
	{ "helo.syntax", P(helo_syntax.action), ST_ACTION, "reject", NULL,
	  "action for a HELO name that is neither a host name nor an address literal" },
	{ "helo.syntax_reply", P(helo_syntax.reply), ST_REPLY, "501 5.5.2 Invalid HELO name", NULL,
	  "reply for helo.syntax" },
	{ "helo.fqdn", P(helo_fqdn.action), ST_ACTION, "reject", NULL,
	  "action for a HELO name without a dot (not fully qualified)" },
	{ "helo.fqdn_reply", P(helo_fqdn.reply), ST_REPLY,
	  "504 5.5.2 HELO name must be a fully-qualified domain name", NULL, "reply for helo.fqdn" },
	{ "helo.self", P(helo_self.action), ST_ACTION, "reject", NULL,
	  "action for a HELO that claims one of our names, local domains or addresses" },
	{ "helo.self_reply", P(helo_self.reply), ST_REPLY, "550 5.7.1 HELO name impersonates this server", NULL,
	  "reply for helo.self" },

	{ "sender.syntax", P(sender_syntax.action), ST_ACTION, "reject", NULL,
	  "action for a sender address that cannot be parsed" },
	{ "sender.syntax_reply", P(sender_syntax.reply), ST_REPLY, "501 5.1.7 Bad sender address syntax", NULL,
	  "reply for sender.syntax" },
	{ "sender.non_fqdn", P(sender_non_fqdn.action), ST_ACTION, "reject", NULL,
	  "action for a sender without a fully-qualified domain" },
	{ "sender.non_fqdn_reply", P(sender_non_fqdn.reply), ST_REPLY,
	  "504 5.5.2 Sender address must be fully qualified", NULL, "reply for sender.non_fqdn" },
	{ "sender.null", P(sender_null.action), ST_ACTION, "accept", NULL,
	  "action for the null sender <> (bounces); accept lets them through" },
	{ "sender.null_reply", P(sender_null.reply), ST_REPLY, "550 5.7.1 Null sender not accepted", NULL,
	  "reply for sender.null" },
	{ "sender.null_multi_rcpt", P(sender_null_multi.action), ST_ACTION, "reject", NULL,
	  "action for a second recipient of a message from the null sender (a bounce has one)" },
	{ "sender.null_multi_rcpt_reply", P(sender_null_multi.reply), ST_REPLY,
	  "550 5.5.3 A bounce has only one recipient", NULL, "reply for sender.null_multi_rcpt" },
	{ "sender.access", P(sender_access_path), ST_STRING, "", NULL,
	  "sender access list file (address, user@, @domain, domain, .domain keys), relative to the policy file; empty for none" },
	{ "sender.access_reply", P(sender_access_reply), ST_REPLY,
	  "554 5.7.1 Sender address rejected: Access denied", NULL,
	  "reply for a sender access entry that gives none" },
	{ "client.access", P(client_access_path), ST_STRING, "", NULL,
	  "client access list file (address or CIDR keys, first match wins), relative to the policy file; empty for none" },
	{ "client.access_reply", P(client_access_reply), ST_REPLY,
	  "554 5.7.1 Client host rejected: Access denied", NULL,
	  "reply for a client access entry that gives none" },

	{ "dnsbl.zones", P(dnsbl_zones), ST_ZONELIST, "", check_zones,
	  "DNS lists asked about the client address at connect: zone[=filter][*weight]" },
	{ "dnsbl.threshold", P(dnsbl_threshold), ST_INT, "1", check_threshold,
	  "a score of listings at or above this takes dnsbl.action" },
	{ "dnsbl.allow_threshold", P(dnsbl_allow_threshold), ST_INT, "-1", check_allow_threshold,
	  "a score at or below this (allowlists weigh negative) skips the client, HELO and sender checks" },
	{ "dnsbl.action", P(dnsbl.action), ST_ACTION, "reject", NULL,
	  "action for a client whose DNSBL score reaches dnsbl.threshold" },
	{ "dnsbl.reply", P(dnsbl.reply), ST_REPLY, "554 5.7.1 Service unavailable; client host blocked using DNS lists", NULL,
	  "reply for dnsbl.action; the listing zones and their TXT reason are put before it" },
	{ "dnsbl.tempfail", P(dnsbl_tempfail.action), ST_ACTION, "tempfail", NULL,
	  "action when zones that did not answer could have reached the threshold" },
	{ "dnsbl.tempfail_reply", P(dnsbl_tempfail.reply), ST_REPLY, DNS_FAIL_REPLY, NULL,
	  "reply for dnsbl.tempfail" },

	{ "rhsbl.zones", P(rhsbl_zones), ST_ZONELIST, "", check_zones,
	  "DNS lists asked about the sender domain and the HELO name at MAIL: zone[=filter][*weight]" },
	{ "rhsbl.threshold", P(rhsbl_threshold), ST_INT, "1", check_threshold,
	  "a score at or above this takes rhsbl.action" },
	{ "rhsbl.action", P(rhsbl.action), ST_ACTION, "reject", NULL,
	  "action for a sender domain or HELO name listed up to rhsbl.threshold" },
	{ "rhsbl.reply", P(rhsbl.reply), ST_REPLY, "554 5.7.1 Sender domain or HELO name blocked using DNS lists", NULL,
	  "reply for rhsbl.action" },
	{ "rhsbl.tempfail", P(rhsbl_tempfail.action), ST_ACTION, "tempfail", NULL,
	  "action when zones that did not answer could have reached the threshold" },
	{ "rhsbl.tempfail_reply", P(rhsbl_tempfail.reply), ST_REPLY, DNS_FAIL_REPLY, NULL,
	  "reply for rhsbl.tempfail" },

	{ "fcrdns.fail", P(fcrdns_fail.action), ST_ACTION, "accept", NULL,
	  "action for a client whose PTR names do not resolve back to its address (iprev fail)" },
	{ "fcrdns.fail_reply", P(fcrdns_fail.reply), ST_REPLY,
	  "550 5.7.25 Client address has no matching forward-confirmed reverse DNS", NULL,
	  "reply for fcrdns.fail" },
	{ "fcrdns.tempfail", P(fcrdns_tempfail.action), ST_ACTION, "tempfail", NULL,
	  "action for an iprev temperror when fcrdns.fail would decide" },
	{ "fcrdns.tempfail_reply", P(fcrdns_tempfail.reply), ST_REPLY, DNS_FAIL_REPLY, NULL,
	  "reply for fcrdns.tempfail" },

	{ "sender.unknown_domain", P(sender_unknown_domain.action), ST_ACTION, "accept", NULL,
	  "action for a sender domain without MX, A or AAAA records (accept: not looked up)" },
	{ "sender.unknown_domain_reply", P(sender_unknown_domain.reply), ST_REPLY,
	  "550 5.1.8 Sender address rejected: Domain not found", NULL,
	  "reply for sender.unknown_domain" },
	{ "sender.null_mx", P(sender_null_mx.action), ST_ACTION, "reject", NULL,
	  "action for a sender domain with a null MX (RFC 7505), when sender.unknown_domain looks" },
	{ "sender.null_mx_reply", P(sender_null_mx.reply), ST_REPLY,
	  "550 5.7.27 Sender address rejected: Domain does not accept mail", NULL,
	  "reply for sender.null_mx" },
	{ "sender.domain_tempfail", P(sender_domain_tempfail.action), ST_ACTION, "tempfail", NULL,
	  "action when the sender domain lookup fails for now" },
	{ "sender.domain_tempfail_reply", P(sender_domain_tempfail.reply), ST_REPLY,
	  "451 4.1.8 Sender address rejected: Domain lookup failed, try again later", NULL,
	  "reply for sender.domain_tempfail" },

	{ "spf.enabled", P(spf_enabled), ST_BOOL, "false", NULL,
	  "check SPF (RFC 7208) for the MAIL FROM identity (postmaster@HELO for <>) at MAIL" },
	{ "spf.helo", P(spf_helo), ST_BOOL, "true", NULL,
	  "also check the HELO identity; its fail takes spf.fail" },
	{ "spf.trusted", P(spf_trusted), ST_BOOL, "false", NULL,
	  "also check trusted and authenticated clients" },
	{ "spf.received_header", P(spf_received), ST_BOOL, "false", NULL,
	  "add a Received-SPF header field with the MAIL FROM result" },
	{ "spf.fail", P(spf_fail.action), ST_ACTION, "reject", NULL,
	  "action for an SPF fail; the domain's explanation is put after the reply" },
	{ "spf.fail_reply", P(spf_fail.reply), ST_REPLY, "550 5.7.23 SPF validation failed", NULL,
	  "reply for spf.fail" },
	{ "spf.softfail", P(spf_softfail.action), ST_ACTION, "accept", NULL,
	  "action for an SPF softfail" },
	{ "spf.softfail_reply", P(spf_softfail.reply), ST_REPLY,
	  "550 5.7.23 SPF validation failed (softfail)", NULL, "reply for spf.softfail" },
	{ "spf.neutral", P(spf_neutral.action), ST_ACTION, "accept", NULL,
	  "action for an SPF neutral" },
	{ "spf.neutral_reply", P(spf_neutral.reply), ST_REPLY,
	  "550 5.7.23 SPF validation gave no verdict (neutral)", NULL, "reply for spf.neutral" },
	{ "spf.none", P(spf_none.action), ST_ACTION, "accept", NULL,
	  "action for a sender domain without an SPF record" },
	{ "spf.none_reply", P(spf_none.reply), ST_REPLY,
	  "550 5.7.23 Sender domain publishes no SPF record", NULL, "reply for spf.none" },
	{ "spf.permerror", P(spf_permerror.action), ST_ACTION, "accept", NULL,
	  "action for an invalid SPF record (syntax, more than 10 lookups or 2 void lookups)" },
	{ "spf.permerror_reply", P(spf_permerror.reply), ST_REPLY,
	  "550 5.7.24 SPF record of the sender domain is invalid", NULL, "reply for spf.permerror" },
	{ "spf.temperror", P(spf_temperror.action), ST_ACTION, "tempfail", NULL,
	  "action when an SPF lookup fails for now" },
	{ "spf.temperror_reply", P(spf_temperror.reply), ST_REPLY, DNS_FAIL_REPLY, NULL,
	  "reply for spf.temperror" },

	{ "dkim.enabled", P(dkim_enabled), ST_BOOL, "false", NULL,
	  "verify DKIM signatures (RFC 6376); the results go to DMARC and the header" },
	{ "dkim.max_signatures", P(dkim_max_signatures), ST_INT, "5", check_max_signatures,
	  "well-formed signatures verified per message (each costs a key lookup), those aligned with the From domain first; the others are left out" },

	{ "dmarc.enabled", P(dmarc_enabled), ST_BOOL, "false", NULL,
	  "apply DMARC (RFC 7489) at end of message; needs spf.enabled and dkim.enabled to pass" },
	{ "dmarc.on_reject", P(dmarc_on_reject), ST_STRING, "reject", check_on_reject,
	  "for a fail under p=reject: reject, quarantine (milter quarantine) or tag (a header)" },
	{ "dmarc.reject_reply", P(dmarc_reject_reply), ST_REPLY,
	  "550 5.7.1 Rejected by the DMARC policy of the From domain", check_5xx,
	  "reply when dmarc.on_reject is reject" },
	{ "dmarc.on_quarantine", P(dmarc_on_quarantine), ST_STRING, "tag", check_on_quarantine,
	  "for a fail under p=quarantine: quarantine (milter quarantine) or tag (a header)" },
	{ "dmarc.temperror", P(dmarc_temperror.action), ST_ACTION, "tempfail", NULL,
	  "action when DMARC cannot be decided for now (a lookup failed)" },
	{ "dmarc.temperror_reply", P(dmarc_temperror.reply), ST_REPLY, DNS_FAIL_REPLY, NULL,
	  "reply for dmarc.temperror" },
	{ "dmarc.malformed_from", P(dmarc_malformed.action), ST_ACTION, "reject", NULL,
	  "action for a message without exactly one From field with usable domains (RFC 7489 6.6.1)" },
	{ "dmarc.malformed_from_reply", P(dmarc_malformed.reply), ST_REPLY,
	  "550 5.7.1 Message must have one From header field with a valid domain", NULL,
	  "reply for dmarc.malformed_from" },

	{ "auth.header", P(auth_header), ST_BOOL, "true", NULL,
	  "add one Authentication-Results header field (iprev, spf, dkim, dmarc) when there are results" },
	{ "recipients.lists", P(rcpt_lists), ST_STRLIST, "", check_rcpt_lists,
	  "recipient list files as domain=file (user, user@domain or @domain per line), relative to the policy file" },
	{ "recipients.callout", P(rcpt_callouts), ST_STRLIST, "", check_rcpt_callouts,
	  "domains validated by asking their delivery server, as domain=smtp:address:port or domain=lmtp:address:port" },
	{ "recipients.patterns", P(rcpt_patterns_path), ST_STRING, "", NULL,
	  "file of rules \"rcpt|sender /regex/[i] ACTION [reply]\", first match decides; empty for none" },
	{ "recipients.pattern_reply", P(rcpt_pattern_reply), ST_REPLY,
	  "550 5.7.1 Recipient address rejected: Access denied", NULL,
	  "reply for a pattern rule that gives none" },
	{ "recipients.aliases", P(rcpt_aliases_path), ST_STRING, "", NULL,
	  "alias map file (address or @domain, then targets), applied at end of message; empty for none" },
	{ "recipients.separators", P(rcpt_separators), ST_STRING, "+", check_separators,
	  "characters that end the user part of user+tag, which is looked up as user when not found; empty for none" },
	{ "recipients.check_interval", P(rcpt_check_interval), ST_INT, "10", check_interval,
	  "seconds between looks at a list file for changes (re-read in the background); 0 only at reload" },
	{ "recipients.unknown", P(rcpt_unknown.action), ST_ACTION, "reject", NULL,
	  "action for a recipient its domain's list or callout does not know" },
	{ "recipients.unknown_reply", P(rcpt_unknown.reply), ST_REPLY,
	  "550 5.1.1 Recipient address rejected: User unknown", NULL, "reply for recipients.unknown" },
	{ "recipients.tempfail", P(rcpt_tempfail.action), ST_ACTION, "tempfail", NULL,
	  "action when the callout backend cannot answer (down, 4xx, timeout) or a pattern cannot decide" },
	{ "recipients.tempfail_reply", P(rcpt_tempfail.reply), ST_REPLY,
	  "451 4.3.0 Recipient address verification failed, try again later", NULL,
	  "reply for recipients.tempfail" },
	{ "recipients.callout_timeout", P(callout_timeout), ST_INT, "5000", check_callout_timeout,
	  "milliseconds a callout may take, waiting for a connection included" },
	{ "recipients.callout_positive_ttl", P(callout_positive_ttl), ST_INT, "3600", check_ttl,
	  "seconds a recipient the backend accepted is remembered; 0 not at all" },
	{ "recipients.callout_negative_ttl", P(callout_negative_ttl), ST_INT, "600", check_ttl,
	  "seconds a recipient the backend refused (5xx) is remembered; 0 not at all" },
	{ "recipients.callout_max_conns", P(callout_max_conns), ST_INT, "4", check_max_conns,
	  "most callouts in progress at once per backend; more wait up to callout_timeout" },

	{ "greylist.enabled", P(greylist_enabled), ST_BOOL, "false", NULL,
	  "greylist at RCPT, per recipient: a first delivery attempt is delayed until the client retries" },
	{ "greylist.action", P(greylist.action), ST_ACTION, "tempfail", check_grey_action,
	  "action for a first attempt or an early retry: tempfail, or dryrun to log would=tempfail" },
	{ "greylist.reply", P(greylist.reply), ST_REPLY,
	  "450 4.7.1 Greylisted, please try again in {retry} seconds", NULL,
	  "reply for greylist.action; {retry} becomes the seconds until a retry is accepted" },
	{ "greylist.delay", P(greylist_delay), ST_INT, "300", check_grey_delay,
	  "seconds after the first attempt before a retry is accepted" },
	{ "greylist.retry_window", P(greylist_retry_window), ST_INT, "172800", check_grey_window,
	  "seconds after greylist.delay during which a retry is accepted; later, it counts as a first attempt" },
	{ "greylist.lifetime", P(greylist_lifetime), ST_INT, "3110400", check_grey_lifetime,
	  "seconds a passed client network, sender and recipient are remembered, renewed by each message" },
	{ "greylist.auto_allow", P(greylist_auto_allow), ST_INT, "5", check_auto_allow,
	  "passed deliveries after which a client network skips greylisting (an auto-allowlist); 0 never" },
	{ "greylist.ipv4_prefix", P(greylist_ipv4_prefix), ST_INT, "24", check_ipv4_prefix,
	  "an IPv4 client is known by its network of this many bits" },
	{ "greylist.ipv6_prefix", P(greylist_ipv6_prefix), ST_INT, "64", check_ipv6_prefix,
	  "an IPv6 client is known by its network of this many bits" },
	{ "greylist.exemptions", P(greylist_exemptions_path), ST_STRING, "", NULL,
	  "file of clients (client CIDR, name NAME), senders and recipients never greylisted; empty for none" },
	{ "greylist.store_failure", P(greylist_store_failure.action), ST_ACTION, "accept",
	  check_store_failure,
	  "action when the state store cannot answer: accept (logged and counted) or tempfail" },
	{ "greylist.store_failure_reply", P(greylist_store_failure.reply), ST_REPLY,
	  "451 4.3.0 Temporary failure of the greylisting state, try again later", NULL,
	  "reply for greylist.store_failure = tempfail" },

	/* rate limits (check_ratelimit.c) */
	{ "ratelimit.rules", P(ratelimit_rules), ST_RATELIST, "", NULL,
	  "rate limits: a list of groups { key; messages; recipients; window; action; reply; }, counted in fixed windows" },
	{ "ratelimit.ipv4_prefix", P(ratelimit_ipv4_prefix), ST_INT, "24", check_ipv4_prefix,
	  "bits of an IPv4 client address that make its network, for key = \"network\"" },
	{ "ratelimit.ipv6_prefix", P(ratelimit_ipv6_prefix), ST_INT, "64", check_ipv6_prefix,
	  "bits of an IPv6 client address that make its network, for key = \"network\"" },
	{ "ratelimit.store_failure", P(ratelimit_store_failure.action), ST_ACTION, "accept",
	  check_store_failure,
	  "what a store that cannot answer does to a rate limit decision: accept (logged, counted) or tempfail" },
	{ "ratelimit.store_failure_reply", P(ratelimit_store_failure.reply), ST_REPLY,
	  "451 4.3.0 Temporary failure of the rate limit state, try again later", NULL,
	  "reply for ratelimit.store_failure = tempfail" },
	{ "batv.sign", P(batv_sign), ST_BOOL, "false", NULL,
	  "sign the envelope sender of authenticated users in batv.domains with a BATV prvs= tag (change-sender at end of message)" },
	{ "batv.domains", P(batv_domains), ST_DOMLIST, "", NULL,
	  "domains whose senders are signed and whose bounces (null sender) must carry a valid tag" },
	{ "batv.keys", P(batv_keys_path), ST_STRING, "", NULL,
	  "file of BATV keys, one per line of at least 16 bytes: the first signs, all verify; relative to the policy file" },
	{ "batv.max_age", P(batv_max_age), ST_INT, "7", check_batv_age,
	  "days a tag stays valid after it was signed" },
	{ "batv.action", P(batv.action), ST_ACTION, "reject", check_fwd_action,
	  "action for a bounce to a batv.domains address without a valid tag (reject, or dryrun to log would=reject)" },
	{ "batv.reply", P(batv.reply), ST_REPLY,
	  "550 5.7.1 Bounce address tag is missing, invalid or expired: this is not a reply to our mail", NULL,
	  "reply for batv.action" },
	{ "srs.enabled", P(srs_enabled), ST_BOOL, "false", NULL,
	  "rewrite the envelope sender of mail an alias sends to a domain that is not local (SRS0/SRS1, as postsrsd), and deliver bounces to those addresses to the original sender" },
	{ "srs.domain", P(srs_domain), ST_STRING, "", NULL,
	  "the domain of our SRS addresses; it must be a local domain so their bounces reach us" },
	{ "srs.secrets", P(srs_secrets_path), ST_STRING, "", NULL,
	  "file of SRS secrets, one per line of at least 16 bytes: the first signs, all verify; relative to the policy file" },
	{ "srs.max_age", P(srs_max_age), ST_INT, "21", check_srs_age,
	  "days an SRS address stays valid (postsrsd: 21)" },
	{ "srs.separator", P(srs_separator), ST_STRING, "=", check_srs_separator,
	  "the character after SRS0/SRS1: = + or - (postsrsd's -a)" },
	{ "srs.action", P(srs.action), ST_ACTION, "reject", check_fwd_action,
	  "action for a recipient at srs.domain that is an SRS address with a bad hash or an expired timestamp" },
	{ "srs.reply", P(srs.reply), ST_REPLY,
	  "550 5.7.1 Invalid or expired SRS address", NULL, "reply for srs.action" },
};

const size_t schema_len = sizeof(schema) / sizeof(schema[0]);

const char *
setting_type_name(enum setting_type t)
{
	static const char *const names[] = {
		[ST_BOOL] = "boolean",	      [ST_INT] = "integer",	[ST_STRING] = "string",
		[ST_STRLIST] = "string list", [ST_ACTION] = "action",	[ST_REPLY] = "reply",
		[ST_CIDRLIST] = "CIDR list",  [ST_DOMLIST] = "domain list",
		[ST_ZONELIST] = "zone list",  [ST_RATELIST] = "list of rate limit groups",
	};
	return names[t];
}

const struct setting *
schema_find(enum setting_scope scope, const char *name)
{
	for (size_t i = 0; i < schema_len; i++)
		if (schema[i].scope == scope && strcmp(schema[i].name, name) == 0)
			return &schema[i];
	return NULL;
}
