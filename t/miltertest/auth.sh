#!/bin/bash
# auth.sh - the Authentication-Results fields auth.lua saved, parsed by
# python3-authres (t/auth/check-ar.py): syntax proven, results as wanted
set -euo pipefail
ar=$DOORMAN_WORK/ar
cat >"$DOORMAN_WORK/ar.want" <<WANT
I1  v:$ar/I1  iprev=pass,policy.iprev=203.0.113.70
S1  v:$ar/S1  iprev=fail,policy.iprev=203.0.113.5 spf=pass,smtp.mailfrom=s@pass.auth.test spf=pass,smtp.helo=goodhelo.auth.test dmarc=pass,header.from=pass.auth.test
S4  v:$ar/S4  spf=softfail,smtp.mailfrom=s@soft.auth.test dmarc=fail,header.from=nopol.auth.test
S5  v:$ar/S5  spf=neutral,smtp.mailfrom=s@neutral.auth.test
S6  v:$ar/S6  spf=none,smtp.mailfrom=s@none.auth.test spf=none,smtp.helo=client.auth.test
S7  v:$ar/S7  spf=permerror,smtp.mailfrom=s@lookups.auth.test
S8  v:$ar/S8  spf=permerror,smtp.mailfrom=s@voids.auth.test
S9  v:$ar/S9  spf=permerror,smtp.mailfrom=s@loop.auth.test
S10 v:$ar/S10 spf=permerror,smtp.mailfrom=s@syntax.auth.test
S11 v:$ar/S11 spf=permerror,smtp.mailfrom=s@twice.auth.test
S16 v:$ar/S16 spf=pass,smtp.mailfrom=postmaster@goodhelo.auth.test
S18 v:$ar/S18 none
D1  v:$ar/D1  dkim=pass,header.d=pass.auth.test,header.s=r1,header.a=rsa-sha256 dmarc=pass,header.from=pass.auth.test
D2  v:$ar/D2  dkim=pass,header.d=pass.auth.test,header.s=e1,header.a=ed25519-sha256 dmarc=pass
D3  v:$ar/D3  dkim=pass,header.d=pass.auth.test,header.s=e1 dkim=pass,header.d=signer.test,header.s=r1 dmarc=pass
D4  v:$ar/D4  dkim=fail,header.d=pass.auth.test dmarc=fail,header.from=pass.auth.test,policy.dmarc=reject
D5  v:$ar/D5  dkim=permerror,header.d=pass.auth.test,header.s=nokey dmarc=fail
D6  v:$ar/D6  dkim=permerror,header.s=revoked
D7  v:$ar/D7  dkim=temperror,header.d=x.silent.test dmarc=fail
D8  v:$ar/D8  dkim=pass,header.d=pass.auth.test dmarc=pass
D9  v:$ar/D9  dkim=pass,header.d=pass.auth.test dmarc=pass
M2  v:$ar/M2  dkim=pass,header.d=pass.auth.test dmarc=pass,header.from=sub.auth.test
M4  v:$ar/M4  dmarc=fail,header.from=quar.auth.test,policy.dmarc=quarantine
M5  v:$ar/M5  dmarc=fail,header.from=nopol.auth.test,policy.dmarc=none
M6  v:$ar/M6  dmarc=fail,header.from=pct0.auth.test,policy.dmarc=reject
M8  v:$ar/M8  dmarc=permerror,header.from=bad.auth.test
M9  v:$ar/M9  dmarc=none,header.from=two.auth.test
M15 v:$ar/M15 spf=pass dmarc=pass,header.from=pass.auth.test
F1  v:$ar/F1  spf=none dmarc=fail
H1  v:$ar/H1  dkim=neutral,header.a=rsa-sha256,header.b=!! dkim=neutral,header.d=pass.auth.test,header.a=foo-bar dmarc=fail,header.from=nopol.auth.test
H2  v:$ar/H2  dmarc=fail
H5  v:$ar/H5  dmarc=fail
WANT
/usr/bin/python3 "$DOORMAN_HERE/../auth/check-ar.py" mx.example.org "$DOORMAN_WORK/ar.want"
