#!/bin/sh
# configure.sh — the golden image's configuration (runs as root in the guest; offline: nothing is
# downloaded). The files it installs were uploaded to /tmp/golden.
set -eu
cd /tmp/golden

# SSH: keys only, no root login (a drop-in sorts before cloud-init's own, and sshd keeps the first value)
install -m 0644 10-golden.conf /etc/ssh/sshd_config.d/10-golden.conf
sshd -t

# what a login shows
install -m 0644 motd /etc/motd

# time and logs: UTC, a persistent journal capped in size
ln -sf /usr/share/zoneinfo/Etc/UTC /etc/localtime
echo Etc/UTC >/etc/timezone
mkdir -p /etc/systemd/journald.conf.d /var/log/journal
install -m 0644 journald.conf /etc/systemd/journald.conf.d/10-golden.conf

# the next boot is a new instance: cloud-init runs again from its seed
cloud-init clean --logs
apt-get clean
rm -rf /tmp/golden
echo "golden image configured"
