/*
 * fwd_seed.c - forwarder state written as the learning rule lays it out
 * (forwarder_key, FWDSPEC.md), for state-cli.sh to list and forget
 *
 * fwd_seed POLICY-FILE: opens the store of the policy's store settings
 * (LMDB or Redis) and writes three clients:
 *   192.0.2.9     learned {first 1700000000, last 1700086400, 6 messages,
 *                 3 domains}, and its window: 6 messages, 3 domains,
 *                 a.example 3, b.example 2, c.example 1
 *   2001:db8::25  evidence only: 2 messages, 2 domains, d.example 1, e.example 1
 *   198.51.100.1  learned {1700000000, 1700003600, 5, 3}, its window over
 * Exit 0, or 1 with a line on stderr.
 */
#include <stdio.h>

#include "config.h"
#include "errs.h"
#include "forwarder.h"
#include "store.h"

#define LIFETIME 2592000 /* forwarders.lifetime's default */
#define WINDOW 604800    /* forwarders.window's default */

struct seed_domain {
	const char *name;
	int64_t n;
};

static int
seed(struct store *s, const char *addr, const struct store_val *rec, int64_t messages,
     int64_t domains, const struct seed_domain *doms, size_t ndoms)
{
	struct store_key keys[2 + 8];
	struct store_count c[2 + 8];
	struct ipaddr ip;
	size_t n = 0;

	if (ip_parse(addr, &ip) < 0 || ndoms > 8)
		return -1;
	if (rec != NULL) {
		forwarder_key(&ip, "fwd", NULL, &keys[0]);
		if (store_put(s, &keys[0], rec, LIFETIME) != 0)
			return -1;
	}
	if (messages == 0)
		return 0;
	forwarder_key(&ip, "fwdev", NULL, &keys[n]);
	c[n] = (struct store_count){&keys[n], WINDOW, messages, 0};
	n++;
	forwarder_key(&ip, "fwdnd", NULL, &keys[n]);
	c[n] = (struct store_count){&keys[n], WINDOW, domains, 0};
	n++;
	for (size_t i = 0; i < ndoms; i++, n++) {
		forwarder_key(&ip, "fwdd", doms[i].name, &keys[n]);
		c[n] = (struct store_count){&keys[n], WINDOW, doms[i].n, 0};
	}
	return store_counts(s, c, n);
}

int
main(int argc, char **argv)
{
	static const struct seed_domain learned[] = {
	    {"a.example", 3}, {"b.example", 2}, {"c.example", 1}};
	static const struct seed_domain evidence[] = {{"d.example", 1}, {"e.example", 1}};
	struct store_val rec1 = {.f = {1700000000, 1700086400, 6, 3}, .n = 4};
	struct store_val rec2 = {.f = {1700000000, 1700003600, 5, 3}, .n = 4};
	struct errs errs = {0};
	struct config *cfg;
	struct store *s;

	if (argc != 2) {
		fprintf(stderr, "usage: fwd_seed policy-file\n");
		return 1;
	}
	if ((cfg = config_load(argv[1], &errs)) == NULL) {
		errs_print(&errs, stderr);
		return 1;
	}
	if ((s = store_shared(cfg)) == NULL || seed(s, "192.0.2.9", &rec1, 6, 3, learned, 3) != 0 ||
	    seed(s, "2001:db8::25", NULL, 2, 2, evidence, 2) != 0 ||
	    seed(s, "198.51.100.1", &rec2, 0, 0, NULL, 0) != 0) {
		fprintf(stderr, "fwd_seed: the store did not answer\n");
		config_unref(cfg);
		return 1;
	}
	config_unref(cfg);
	return 0;
}
