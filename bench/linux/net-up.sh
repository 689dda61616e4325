#!/bin/sh
# Bring up the guest's virtio-net interface for the TCP rows. Run by /init
# (busybox sh). /etc/modules lists the modules in dependency order.
# QEMU user networking puts the guest at 10.0.2.15/24; the host-forwarded
# connections arrive from 10.0.2.2 on that subnet, so no route is needed.
set -e
while read -r m; do
	insmod "/lib/modules/$m.ko"
done </etc/modules
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
