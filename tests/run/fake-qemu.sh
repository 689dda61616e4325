#!/bin/sh
# Stands in for qemu-system-x86_64 in the run suite (tests/run/run.py).
#
# FAKE_QEMU_KVM=abort: with -accel kvm, fail the way QEMU does on a host
#	whose /dev/kvm cannot run the guest (it cannot set an MSR the CPU
#	model needs and aborts, status 134). Other runs use the real QEMU.
# FAKE_QEMU_STATUS=N: run nothing and exit with status N, as QEMU would
#	for that outcome; with FAKE_QEMU_TRIPLE=1, first write the line QEMU's
#	reset log (-d cpu_reset -D FILE) holds after a triple fault.
set -u

kvm=0
log=
prev=
for a in "$@"; do
	[ "$prev" = -accel ] && [ "$a" = kvm ] && kvm=1
	[ "$prev" = -D ] && log=$a
	prev=$a
done

if [ "$kvm" -eq 1 ] && [ "${FAKE_QEMU_KVM:-}" = abort ]; then
	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x20000c0" >&2
	echo "qemu-system-x86_64: ../target/i386/kvm/kvm.c:3218:" \
	    "kvm_buf_set_msrs: Assertion \`ret == cpu->kvm_msr_buf->nmsrs'" \
	    "failed." >&2
	kill -ABRT $$
fi
if [ -n "${FAKE_QEMU_STATUS:-}" ]; then
	if [ "${FAKE_QEMU_TRIPLE:-0}" = 1 ] && [ -n "$log" ]; then
		echo "Triple fault" >> "$log"
	fi
	exit "$FAKE_QEMU_STATUS"
fi
exec qemu-system-x86_64 "$@"
