# mta.sh - run t/proto/mta.py and count its checks here (sourced by
# proto.t.sh and engines.t.sh, after t/lib/common.sh; needs $here)
#
# mta_checks PREFIX PORT LOG MODE - mta.py's "ok - "/"not ok - " lines
# become this suite's checks (names prefixed with PREFIX), other lines are
# shown; mta.py must say "# all checks run", or that is a failure too.
mta_checks() {
	local prefix=$1 port=$2 log=$3 mode=$4 line done=
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$prefix${line#ok - }" ;;
		"not ok - "*) not_ok "$prefix${line#not ok - }" ;;
		"# all checks run") done=1 ;;
		*) echo "$line" ;;
		esac
	done < <(timeout 300 /usr/bin/python3 "$here/mta.py" "$port" "$log" "$mode" "${DOORMAN_PID:-0}" 2>&1 || true)
	[ -n "$done" ] || not_ok "${prefix}mta.py $mode ran to its end"
}
