/*
 * hdrval.h - header field values doorman sends to the MTA
 *
 * A value doorman adds or changes may carry what a client sent (a HELO
 * name inside Received-SPF, a domain inside Authentication-Results).  The
 * MTA writes it into the message as it is: a CR, or a LF that does not
 * start a folded line, would end the field early and let a client write
 * header fields of its own.  Postfix and Sendmail strip some of it today;
 * doorman does not rely on that.
 *
 * hdrval_bad - the first byte of VALUE a header field value may not carry
 * (CR, a control byte other than HT, a LF not followed by SP or HT, a LF at
 * the end), or NULL if there is none.  A LF followed by SP or HT folds the
 * field, as smfi_addheader(3) documents (the MTA adds the CR).  NUL ends the
 * C string: a value is taken up to its first NUL.
 *
 * hdrval_clean - VALUE with every byte hdrval_bad() finds replaced by '?',
 * in place; returns how many were replaced.
 *
 * Pure and reentrant.
 */
#ifndef DOORMAN_HDRVAL_H
#define DOORMAN_HDRVAL_H

#include <stddef.h>

const char *hdrval_bad(const char *value);
size_t hdrval_clean(char *value);

#endif
