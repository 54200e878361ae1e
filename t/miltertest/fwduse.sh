#!/bin/bash
# fwduse.sh - the aggregate report row of the message whose DMARC fail
# forwarding explained (FW3): disposition none, reason forwarded (RFC 7489
# PolicyOverrideType); a row is D1 time source_ip header_from ... p sp
# pct adkim aspf fo rua disposition dkim_eval spf_eval reason ...
set -euo pipefail
rows=$DOORMAN_WORK/dmarc.history
[ -f "$rows" ] || { echo "no $rows"; exit 1; }
# FW3 is the only fail from 192.0.2.9 with DKIM evaluated as fail and no
# refusal; its row: source 192.0.2.9, From pass.auth.test, p=reject
got=$(awk -F'\t' '$3 == "192.0.2.9" && $4 == "pass.auth.test" && $7 == "reject" && $15 == "fail" && $16 == "fail" { print $14 "/" $17 }' "$rows")
echo "rows of 192.0.2.9 failing DMARC: $got"
# FW3 (forwarded), FW4 (refused by the origin's SPF before DMARC applied), FW6 (the same)
printf '%s\n' "$got" | grep -qx 'none/forwarded'
n=$(printf '%s\n' "$got" | grep -c forwarded)
[ "$n" -eq 1 ]
