/*
 * dkimkeys.h - DKIM public keys decoded once (see dkimkeys.c)
 *
 * dkimkeys.c defines d2i_PUBKEY_bio(), which libopendkim calls for every
 * signature's key: keys already decoded are handed out as copies.
 */
#ifndef DOORMAN_DKIMKEYS_H
#define DOORMAN_DKIMKEYS_H

/* dkimkeys_init - find libcrypto's own d2i_PUBKEY_bio; 0, or -1 if missing */
int dkimkeys_init(void);
/* keys handed out from the table, and keys decoded afresh */
void dkimkeys_stats(unsigned long *hits, unsigned long *misses);
/* dkimkeys_flush - forget every key (at shutdown) */
void dkimkeys_flush(void);

#endif
