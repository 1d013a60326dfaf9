# SPDX-License-Identifier: GPL-2.0-only
# Sourced by tests/run and tests/run-asan: one reading of pytest's summary.
# pytest_counts OUTPUT: prints "PASSED FAILED". Errors and skipped tests count
# as failed (a test that cannot run here guards nothing; -rs says why it
# skipped); a run that passed nothing and failed nothing counts one failure.
pytest_counts() {
	local p f e s
	p=$(grep -Eo '[0-9]+ passed' <<<"$1" | tail -1 | cut -d' ' -f1)
	f=$(grep -Eo '[0-9]+ failed' <<<"$1" | tail -1 | cut -d' ' -f1)
	e=$(grep -Eo '[0-9]+ errors?' <<<"$1" | tail -1 | cut -d' ' -f1)
	s=$(grep -Eo '[0-9]+ skipped' <<<"$1" | tail -1 | cut -d' ' -f1)
	f=$(( ${f:-0} + ${e:-0} + ${s:-0} ))
	[ -z "$p" ] && [ "$f" = 0 ] && f=1
	echo "${p:-0} $f"
}
