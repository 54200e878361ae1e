/*
 * milter.h - doorman's milter callbacks
 *
 * milter_filter is the callback table proto_run() serves (milter/proto.h):
 * every callback copies what the protocol engine lends it into the
 * engine's connection object (lib/session.h), runs one stage, and turns
 * the verdict into an answer in milter_answer(), the only place that does
 * so.
 */
#ifndef DOORMAN_MILTER_H
#define DOORMAN_MILTER_H

#include "proto.h"

struct dns;

extern const struct pfilter milter_filter;
/* milter_set_dns - the resolver every connection uses; set once before
 * proto_run(), read-only afterwards. */
void milter_set_dns(struct dns *d);

#endif
