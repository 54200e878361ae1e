/*
 * spf-eval.c - doorman's SPF verdicts for the conformance suite
 *
 * spf-eval CONF: reads cases from stdin, one a line,
 *     NAME CLIENT SENDER HELO
 * (SENDER as MAIL FROM gives it, "<>" for the null sender) and writes
 *     NAME MAILFROM-RESULT HELO-RESULT
 * for each.  Every case runs the way a connection does: conn_new with the
 * policy of CONF, session_helo, session_mail; the results are the facts
 * check_spf leaves for the Authentication-Results header, whatever the
 * policy's actions.  The resolver is CONF's (NSD of the test).
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "dns.h"
#include "errs.h"
#include "log.h"
#include "session.h"

static const char *
name_of(enum auth_result r)
{
	return r == AUTH_UNSET ? "unset" : auth_result_name(r);
}

int
main(int argc, char **argv)
{
	struct errs errs = { 0 };
	struct config *cfg;
	struct dns *d;
	char why[256], line[2048];

	if (argc != 2) {
		fprintf(stderr, "usage: spf-eval CONF <cases\n");
		return 2;
	}
	log_open("spf-eval", true, 0);
	if ((cfg = config_load(argv[1], &errs)) == NULL) {
		errs_print(&errs, stderr);
		return 1;
	}
	if ((d = config_resolver_new(cfg, why, sizeof(why))) == NULL ||
	    auth_init(cfg->public_suffix_list, cfg->authserv_id, why, sizeof(why)) < 0) {
		fprintf(stderr, "spf-eval: %s\n", why);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char name[128], ip[64], sender[1024], helo[512];
		struct conn_info ci = { .daemon_name = "spf", .hostname = "unknown", .dns = d };
		struct verdict v;
		struct conn *c;

		if (sscanf(line, "%127s %63s %1023s %511s", name, ip, sender, helo) != 4)
			continue;
		ci.addr = ip;
		c = conn_new(config_ref(cfg), &ci);
		session_connect(c, &v);
		session_helo(c, helo, &v);
		session_mail(c, sender, "", &v);
		printf("%s %s %s\n", name, name_of(c->msg.au.spf_mailfrom.result),
		       name_of(c->msg.au.spf_helo.result));
		fflush(stdout);
		conn_free(c);
	}
	auth_shutdown();
	dns_free(d);
	config_unref(cfg);
	return 0;
}
