/*
 * milter.h - the libmilter side of doorman
 *
 * milter_register() hands libmilter the callback table; every callback
 * copies what libmilter lends it into the engine's connection object
 * (lib/session.h), runs one stage, and turns the verdict into a milter
 * return in milter_answer(), the only place that does so.
 */
#ifndef DOORMAN_MILTER_H
#define DOORMAN_MILTER_H

struct dns;

int milter_register(void);
/* milter_set_dns - the resolver every connection uses; set once before
 * smfi_main(), read-only afterwards. */
void milter_set_dns(struct dns *d);

#endif
