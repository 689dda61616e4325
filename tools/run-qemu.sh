#!/bin/sh
# Boots capOS in QEMU for the run targets (make run, run-net, run-iso) with
# the serial console on this terminal, picks the accelerator, and turns
# QEMU's exit status into the target's (docs/boot.md, "Exit statuses"):
#
#	33	the kernel halted cleanly                  -> 0
#	0	QEMU was left (Ctrl-a x)                   -> 0
#		... unless QEMU logged a triple fault      -> 1
#	35	kernel panic                               -> 1
#	37	init failed or died                        -> 1
#	1	QEMU could not start (its error is above)  -> 1
#	>128	QEMU died of a signal (134: it aborted)    -> that status
#
# Every failure adds one line starting "run:". Usage:
#
#	run-qemu.sh --accel auto|kvm|tcg --probe KERNEL PACKAGE \
#	    --machine "QEMU MACHINE ARGS" -- BOOT ARGS...
#
# With kvm or auto, a probe boot under KVM comes first: KERNEL with
# PACKAGE, a system whose init starts nothing and exits, so the machine
# halts with status 33 once the kernel and user mode both ran. A /dev/kvm
# that is missing, that QEMU cannot use, or that cannot run the guest
# (some nested or paravirtual KVMs abort QEMU or fault in user mode) fails
# the probe. auto then falls back to TCG; kvm, named explicitly, stops.
# QEMU is $QEMU, qemu-system-x86_64 unless set.
set -u

QEMU=${QEMU:-qemu-system-x86_64}
# The probe boots in well under a second where KVM works; this bound only
# keeps a hanging probe from hanging the run.
PROBE_SECONDS=30

accel=auto
probe_kernel=
probe_pkg=
machine=
while [ $# -gt 0 ]; do
	case "$1" in
	--accel) accel=$2; shift 2 ;;
	--probe) probe_kernel=$2; probe_pkg=$3; shift 3 ;;
	--machine) machine=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "run: unknown option $1" >&2; exit 2 ;;
	esac
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Sets $why and fails when KVM cannot run capOS here.
kvm_usable() {
	if [ -z "$probe_kernel" ]; then
		why="no probe system given"
		return 1
	fi
	# $machine is a list of arguments: split on purpose.
	# shellcheck disable=SC2086
	timeout "$PROBE_SECONDS" "$QEMU" $machine -serial "file:$tmp/probe.log" \
	    -accel kvm -kernel "$probe_kernel" -initrd "$probe_pkg" \
	    </dev/null >/dev/null 2>"$tmp/probe.err"
	s=$?
	[ "$s" -eq 33 ] && return 0
	why=$(sed -n 's/^[^ ]*qemu[^ ]*: //; /./{p;q;}' "$tmp/probe.err")
	case "$s" in
	124) why="a probe boot did not finish in $PROBE_SECONDS s" ;;
	35|37) why="a probe boot under KVM ended with status $s: $(sed -n \
	    's/^\(.* faulted\):.*/\1/p; s/^\(panic.*\)/\1/p' \
	    "$tmp/probe.log" | head -n 1 | cut -c1-80)" ;;
	*) [ -n "$why" ] || why="a probe boot under KVM ended with status $s" ;;
	esac
	return 1
}

case "$accel" in
tcg) ;;
kvm)
	if ! kvm_usable; then
		echo "run: KVM cannot run capOS here: $why (ACCEL=kvm" \
		    "was asked for; leave ACCEL unset to fall back to TCG)" >&2
		exit 1
	fi ;;
auto)
	if kvm_usable; then
		accel=kvm
	else
		echo "run: KVM cannot run capOS here: $why; using TCG" >&2
		accel=tcg
	fi ;;
*)
	echo "run: ACCEL=$accel: use auto, kvm or tcg" >&2
	exit 2 ;;
esac

# The serial port shares stdio with QEMU's monitor, so Ctrl-a x leaves
# QEMU; a plain stdio serial would pass every key to the guest. The reset
# log tells a triple fault (-no-reboot makes it exit 0 too) from Ctrl-a x;
# only TCG writes that line.
# shellcheck disable=SC2086
"$QEMU" $machine -serial mon:stdio -accel "$accel" \
    -d cpu_reset -D "$tmp/qemu.log" "$@"
s=$?
# The shell turns the terminal's bracketed paste on while it reads a line
# (docs/shell.md, "Pasting"); QEMU left at a prompt would leave it on in
# the terminal make run came from.
[ -t 1 ] && printf '\033[?2004l'
case "$s" in
33) exit 0 ;;
0)
	if grep -q "Triple fault" "$tmp/qemu.log" 2>/dev/null; then
		echo "run: the guest triple-faulted and QEMU stopped" >&2
		exit 1
	fi
	exit 0 ;;
35) echo "run: the kernel panicked (QEMU status 35)" >&2 ;;
37) echo "run: init failed or died (QEMU status 37)" >&2 ;;
1) echo "run: QEMU could not start (status 1)" >&2 ;;
*)
	if [ "$s" -gt 128 ]; then
		echo "run: QEMU died of signal $((s - 128)) (status $s)" >&2
		exit "$s"
	fi
	echo "run: QEMU exit status $s" >&2 ;;
esac
exit 1
