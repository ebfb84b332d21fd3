#!/bin/sh
# mod_fcgid entry point for Intuka on shared hosting.
#
# mod_fcgid starts this script with a listening FastCGI socket on fd 0 and
# manages the processes itself (how many, when to recycle), so intukad runs in
# --single mode: one process serving fd 0, no master, no pre-forking. exec
# keeps the pid and fd 0 as mod_fcgid handed them over.
#
# Expected layout, as "./configure --prefix=$HOME/intuka && make install"
# makes it (the configuration must stay out of the web root):
#   ~/public_html/.htaccess             (from deploy/apache/shared-hosting/)
#   ~/public_html/intuka.fcgi           (this file, mode 0755)
#   ~/intuka/sbin/intukad               (the server binary)
#   ~/intuka/bin/intuka-admin           (reads the same configuration)
#   ~/intuka/etc/intuka/intuka.conf     (listen is ignored in --single mode)
#   ~/intuka/etc/intuka/secrets.conf    (mode 0600, or 0640 for the web server group)
# That configuration path is also the one intukad and intuka-admin read
# without -c. Different paths: edit the two defaults below, or set
# INTUKAD_BIN and INTUKAD_CONFIG with FcgidInitialEnv where the server
# configuration allows. (Not INTUKA_*: that prefix overrides intukad
# configuration keys.)

here=$(dirname "$0")
INTUKAD_BIN="${INTUKAD_BIN:-$here/../intuka/sbin/intukad}"
INTUKAD_CONFIG="${INTUKAD_CONFIG:-$here/../intuka/etc/intuka/intuka.conf}"

exec "$INTUKAD_BIN" --single -c "$INTUKAD_CONFIG"
