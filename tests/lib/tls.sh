# tests/lib/tls.sh -- certificates, radsecproxy and RADIUS-over-TCP helpers
# for radlb's stream transport tests (t-tcp.sh, t-tls.sh). Source it after
# tests/integration/rlb.sh (it uses T_DIR, t_* and the MFA launcher):
#
#     . "$(dirname "$0")/rlb.sh"
#     . "$TOP_SRCDIR/tests/lib/tls.sh"
#     tls_pki                              # $T_DIR/pki: CA, certificates, CRL
#     fp=$(tls_fingerprint "$PKI/server.crt")   # sha256:AB:CD:...
#
# Certificates (tls_pki; EC P-256, SHA-256, valid 2 days, all under $PKI):
#   ca.crt/.key            the test CA ("CN=radlb test CA")
#   radlb.crt/.key         radlb: CN=radlb.test, SAN DNS:radlb.test IP:127.0.0.1,
#                          extendedKeyUsage serverAuth + clientAuth
#   client.crt/.key        the RadSec client (radsecproxy in front of radlb):
#                          CN=nas.test, SAN DNS:nas.test IP:127.0.0.1, clientAuth + serverAuth
#   client2.crt/.key       another client certificate of the same CA (CN=nas2.test):
#                          valid, but not the one a fingerprint pin names
#   server.crt/.key        the RadSec server (radsecproxy in front of an MFA
#                          server): CN=mfa1.test, SAN DNS:mfa1.test only, serverAuth + clientAuth
#   revoked.crt/.key       a client certificate of the CA listed in ca.crl
#   ca.crl                 the CA's CRL (PEM) revoking revoked.crt
#   rogue-ca.crt/.key      another CA with the SAME subject as ca.crt
#   rogue-client.crt/.key  signed by rogue-ca, same subject and SANs as client.crt
#   rogue-server.crt/.key  signed by rogue-ca, same subject and SANs as server.crt
#
# radsecproxy (1.9; runs in the foreground, logs to $T_DIR/NAME.log):
#   rsp_client_conf NAME UDP_PORT UDP_SECRET TLS_PORT [--cert C --key K] [--peer-name DNS]
#       a RadSec CLIENT: UDP in on 127.0.0.1:UDP_PORT (radclient, UDP_SECRET),
#       TLS out to 127.0.0.1:TLS_PORT (radlb), secret "radsec", auth and
#       accounting; client.crt unless --cert; the peer's certificate must
#       carry IP:127.0.0.1, or with --peer-name the DNS name DNS
#   rsp_server_conf NAME TLS_PORT AUTH_PORT ACCT_PORT SECRET [CERT KEY]
#       a RadSec SERVER: TLS in on 127.0.0.1:TLS_PORT (radlb), UDP out to an MFA
#       server on 127.0.0.1 AUTH_PORT/ACCT_PORT with SECRET
#   rsp_start NAME      checks $T_DIR/NAME.conf (radsecproxy -p), starts it, waits
#                       for its listening socket; sets NAME_PID (dashes -> _)
#   rsp_kill NAME [SIG] stops it (default TERM) and waits
#
# MFA server over TCP (FreeRADIUS 3.2 listens on TCP with "proto = tcp";
# tests/mfa/mfa-server.sh only writes UDP listeners, see mfa_tcp_start):
#   mfa_tcp_start NAME AUTH_PORT ACCT_PORT SECRET [mfa-server.sh options]
#       the MFA server NAME in $T_DIR/NAME, on TCP AUTH_PORT/ACCT_PORT (its
#       UDP ports are spare ones nobody is told about)
#
# radlb configuration (rlb_config writes UDP only; these post-process
# $T_DIR/radlb.conf):
#   rlb_add_listen ENTRY           prepend "{ ... }" to the listen list
#   rlb_set_servers ENTRIES        replace the whole servers list
#   rlb_tls_section [min_version] [crl]  the tls = { ... } text for radlb.crt
#   rlb_check_config               radlb -C on it; the errors and the file shown on failure
#
# radlb's state:
#   rlb_stat_sum REGEX             the sum of the "show stats" values whose name matches
#   stat_is KEY VALUE              for t_wait_until: rlb_stat KEY is VALUE
#   state_of NAME / is_state NAME STATE   a server's state (up, down, ...)
#
# RADIUS over TCP/TLS from Python: stream ARGS... runs $STREAM
# (tests/tools/rlb-stream.py) with /usr/bin/python3; see the usage in its
# docstring.

PY=/usr/bin/python3
STREAM=${STREAM:-$TOP_SRCDIR/tests/tools/rlb-stream.py}
RADSECPROXY=${RADSECPROXY:-/usr/sbin/radsecproxy}
PKI=$T_DIR/pki
# radsecproxy's debug level: 4 = informational (connections, requests), 5 = all
RSP_DEBUG=${RSP_DEBUG:-4}

for tool in "$PY" "$RADSECPROXY" openssl; do
	command -v "$tool" >/dev/null || t_fail "$tool is missing"
done
[ -r "$STREAM" ] || t_fail "$STREAM is missing"

stream() { "$PY" "$STREAM" "$@"; }

# ---------------------------------------------------------------- certificates

# tls__leaf NAME CN SANS [CA]: key and certificate NAME signed by CA (default ca).
tls__leaf() {
	local name=$1 cn=$2 sans=$3 ca=${4:-ca}
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$name.key" -out "$PKI/$name.csr" -subj "/O=radlb tests/CN=$cn" 2>/dev/null &&
		printf '%s\n' \
			'basicConstraints = critical, CA:FALSE' \
			'keyUsage = critical, digitalSignature, keyAgreement' \
			'extendedKeyUsage = serverAuth, clientAuth' \
			"subjectAltName = $sans" \
			'subjectKeyIdentifier = hash' \
			'authorityKeyIdentifier = keyid' >"$PKI/$name.ext" &&
		openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" \
			-set_serial "0x$(openssl rand -hex 12)" -days 2 -sha256 \
			-extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null ||
		t_fail "cannot make the certificate $name"
}

# tls__ca NAME: a self-signed CA (both CAs get the same subject on purpose).
tls__ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$1.key" -out "$PKI/$1.crt" -days 2 -sha256 \
		-subj "/O=radlb tests/CN=radlb test CA" \
		-addext 'basicConstraints = critical, CA:TRUE' \
		-addext 'keyUsage = critical, keyCertSign, cRLSign' \
		-addext 'subjectKeyIdentifier = hash' 2>/dev/null ||
		t_fail "cannot make the CA $1"
}

tls_pki() {
	mkdir -p "$PKI" || t_fail "mkdir $PKI"
	tls__ca ca
	tls__leaf radlb radlb.test 'DNS:radlb.test, IP:127.0.0.1'
	tls__leaf client nas.test 'DNS:nas.test, IP:127.0.0.1'
	tls__leaf client2 nas2.test 'DNS:nas2.test, IP:127.0.0.1'
	tls__leaf server mfa1.test 'DNS:mfa1.test'
	tls__leaf revoked nas.test 'DNS:nas.test, IP:127.0.0.1'
	tls__ca rogue-ca
	tls__leaf rogue-client nas.test 'DNS:nas.test, IP:127.0.0.1' rogue-ca
	tls__leaf rogue-server mfa1.test 'DNS:mfa1.test' rogue-ca

	# The CRL: "openssl ca" wants a database; revoke revoked.crt, then sign.
	: >"$PKI/index.txt"
	echo 01 >"$PKI/crlnumber"
	cat >"$PKI/ca.cnf" <<-EOF
	[ ca ]
	default_ca = test_ca
	[ test_ca ]
	database = $PKI/index.txt
	crlnumber = $PKI/crlnumber
	certificate = $PKI/ca.crt
	private_key = $PKI/ca.key
	default_md = sha256
	default_crl_days = 2
	EOF
	openssl ca -config "$PKI/ca.cnf" -revoke "$PKI/revoked.crt" -crl_reason keyCompromise >/dev/null 2>&1 &&
		openssl ca -config "$PKI/ca.cnf" -gencrl -out "$PKI/ca.crl" >/dev/null 2>&1 ||
		t_fail "cannot make the CRL"

	# Check what we made: right chains, the revocation seen by openssl itself.
	local c
	for c in radlb client client2 server revoked; do
		openssl verify -CAfile "$PKI/ca.crt" "$PKI/$c.crt" >/dev/null 2>&1 || t_fail "$c.crt does not verify"
	done
	! openssl verify -CAfile "$PKI/ca.crt" "$PKI/rogue-client.crt" >/dev/null 2>&1 ||
		t_fail "rogue-client.crt verifies against the real CA"
	openssl verify -crl_check -CAfile "$PKI/ca.crt" -CRLfile "$PKI/ca.crl" "$PKI/client.crt" >/dev/null 2>&1 ||
		t_fail "client.crt fails the CRL check"
	! openssl verify -crl_check -CAfile "$PKI/ca.crt" -CRLfile "$PKI/ca.crl" "$PKI/revoked.crt" >/dev/null 2>&1 ||
		t_fail "revoked.crt passes the CRL check"
	[ "$(openssl x509 -noout -subject -in "$PKI/rogue-ca.crt")" = "$(openssl x509 -noout -subject -in "$PKI/ca.crt")" ] ||
		t_fail "the rogue CA should have the CA's subject"
}

# tls_fingerprint FILE: "sha256:AB:CD:..." (openssl x509 -fingerprint -sha256).
tls_fingerprint() {
	openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/^[^=]*=/sha256:/'
}

# tls_fp_norm TEXT: a fingerprint without "sha256:", colons, in upper case
# (to find one in a log whatever its format).
tls_fp_norm() {
	printf '%s' "${1#sha256:}" | tr -d ':' | tr 'a-f' 'A-F'
}

# ---------------------------------------------------------------- radsecproxy

# rsp__tls_block CERT KEY: one "tls default" block (the CA is always ours:
# the peer's certificate is checked against the real CA).
rsp__tls_block() {
	cat <<-EOF
	tls default {
	    CACertificateFile $PKI/ca.crt
	    CertificateFile $1
	    CertificateKeyFile $2
	    TlsVersion TLS1_2:
	}
	EOF
}

rsp_client_conf() {
	local name=$1 udp=$2 secret=$3 tls=$4 cert=$PKI/client.crt key=$PKI/client.key peer='' check
	shift 4
	while [ $# -gt 0 ]; do
		case $1 in
		--cert) cert=$2; shift 2 ;;
		--key) key=$2; shift 2 ;;
		--peer-name) peer=$2; shift 2 ;;
		*) t_fail "rsp_client_conf: unknown option $1" ;;
		esac
	done
	if [ -n "$peer" ]; then
		# a certificate without IP:127.0.0.1 (server.crt): check its DNS name instead
		check="CertificateNameCheck off
		    MatchCertificateAttribute SubjectAltName:DNS:/^${peer//./\\.}\$/"
	else
		# radlb's certificate carries IP:127.0.0.1: the default name check
		# (host against the subjectAltName) applies
		check="CertificateNameCheck on"
	fi
	{
		echo "# radsecproxy as a RadSec client: UDP in (radclient), TLS out (radlb)"
		echo "ListenUDP 127.0.0.1:$udp"
		echo "LoopPrevention off"
		rsp__tls_block "$cert" "$key"
		cat <<-EOF
		client nas-udp {
		    host 127.0.0.1
		    type udp
		    secret "$secret"
		}
		server radlb {
		    host 127.0.0.1
		    port $tls
		    type tls
		    secret radsec
		    StatusServer off
		    $check
		}
		realm * {
		    server radlb
		    accountingServer radlb
		}
		EOF
	} >"$T_DIR/$name.conf"
}

rsp_server_conf() {
	local name=$1 tls=$2 auth=$3 acct=$4 secret=$5 cert=${6:-$PKI/server.crt} key=${7:-$PKI/server.key}
	{
		echo "# radsecproxy as a RadSec server: TLS in (radlb), UDP out (an MFA server)"
		echo "ListenTLS 127.0.0.1:$tls"
		echo "LoopPrevention off"
		rsp__tls_block "$cert" "$key"
		cat <<-EOF
		# The client's certificate must carry IP:127.0.0.1 (radlb's and the
		# RadSec client's do).
		client radlb {
		    host 127.0.0.1
		    type tls
		    secret radsec
		}
		server mfa-auth {
		    host 127.0.0.1
		    port $auth
		    type udp
		    secret "$secret"
		}
		server mfa-acct {
		    host 127.0.0.1
		    port $acct
		    type udp
		    secret "$secret"
		}
		realm * {
		    server mfa-auth
		    accountingServer mfa-acct
		}
		EOF
	} >"$T_DIR/$name.conf"
}

# rsp_start NAME: radsecproxy on $T_DIR/NAME.conf, in the foreground (-f:
# the log goes to stderr, $T_DIR/NAME.log), waited for.
rsp_start() {
	local name=$1 pid var out
	var=${name//-/_}_PID
	out=$("$RADSECPROXY" -p -c "$T_DIR/$name.conf" 2>&1) || {
		printf '%s\n' "$out" | sed 's/^/# /' >&2
		t_fail "radsecproxy refuses $T_DIR/$name.conf"
	}
	"$RADSECPROXY" -f -d "$RSP_DEBUG" -c "$T_DIR/$name.conf" >>"$T_DIR/$name.log" 2>&1 &
	pid=$!
	t_register_daemon "$name" "$pid" "$T_DIR/$name.log"
	printf -v "$var" %s "$pid"
	t_wait_until 10 rsp__listening "$pid" || t_fail "radsecproxy $name did not start (see $name.log)"
}

# Is radsecproxy PID listening (a TCP listener or a bound UDP socket)?
rsp__listening() {
	ss -Hlntup 2>/dev/null | grep -qF "pid=$1,"
}

rsp_kill() {
	local var=${1//-/_}_PID pid
	pid=${!var}
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# ---------------------------------------------------------------- MFA over TCP

# mfa_tcp_start NAME AUTH_PORT ACCT_PORT SECRET [mfa-server.sh options]
#
# tests/mfa/mfa-server.sh writes UDP listeners only, and its clients have no
# "proto" (FreeRADIUS then takes UDP only). So: start it normally on two
# spare UDP ports (its readiness check needs them), stop it, add to the
# instantiated configuration in $T_DIR/NAME/raddb
#   - two listeners "proto = tcp" on AUTH_PORT/ACCT_PORT for the mfa server,
#   - "proto = *" in every client,
# and start freeradius again the way mfa-server.sh does (same command line,
# so "mfa-server.sh stop/code --dir $T_DIR/NAME" keep working). The UDP
# ports stay bound too, but nothing is told about them.
mfa_tcp_start() {
	local name=$1 auth=$2 acct=$3 secret=$4 dir=$T_DIR/$1 u1 u2 pid
	shift 4
	u1=$(t_free_port udp) && u2=$(t_free_port udp) || t_fail "no free port"
	"$MFA" start --name "$name" --dir "$dir" --auth-port "$u1" --acct-port "$u2" \
		--secret "$secret" "$@" >/dev/null || t_fail "MFA server $name did not start"
	"$MFA" stop --dir "$dir" || t_fail "MFA server $name did not stop"
	sed -i 's/^\([[:space:]]*\)nas_type = other$/&\n\1proto = */' "$dir/raddb/clients.conf"
	grep -q 'proto = \*' "$dir/raddb/clients.conf" || t_fail "cannot add proto = * to $dir/raddb/clients.conf"
	cat >"$dir/raddb/sites/tcp" <<-EOF
	# added by tests/lib/tls.sh: the mfa server on TCP (RFC 6613)
	listen {
	    type = auth
	    proto = tcp
	    ipaddr = 127.0.0.1
	    port = $auth
	    virtual_server = mfa
	    limit {
	        max_connections = 64
	        lifetime = 0
	        idle_timeout = 0
	    }
	}
	listen {
	    type = acct
	    proto = tcp
	    ipaddr = 127.0.0.1
	    port = $acct
	    virtual_server = mfa
	    limit {
	        max_connections = 64
	        lifetime = 0
	        idle_timeout = 0
	    }
	}
	EOF
	local -a dbg=()
	[ "${MFA_DEBUG:-0}" = 1 ] && dbg=(-xx)
	"$(command -v freeradius || command -v radiusd)" -f "${dbg[@]}" -d "$dir/raddb" -D /usr/share/freeradius \
		-l "$dir/radiusd.log" </dev/null >>"$dir/stdout.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/pid"
	t_register_daemon "$name" "$pid" "$dir/radiusd.log"
	t_wait_until 15 mfa__tcp_ready "$auth" "$secret" ||
		t_fail "MFA server $name does not answer Status-Server on TCP port $auth"
}

mfa__tcp_ready() {
	echo 'Message-Authenticator = 0x00' |
		timeout 5 radclient -D /usr/share/freeradius -P tcp -q -r 1 -t 1 "127.0.0.1:$1" status "$2"
}

# ---------------------------------------------------------------- radlb configuration

# rlb_add_listen '{ type = "auth"; proto = "tcp"; ... }': first in the list.
rlb_add_listen() {
	local entry=$1
	awk -v e="$entry" '{ print } /^listen = \($/ && !done { print "  " e ","; done = 1 }' \
		"$T_DIR/radlb.conf" >"$T_DIR/radlb.conf.new" && mv "$T_DIR/radlb.conf.new" "$T_DIR/radlb.conf"
	grep -qF "$entry" "$T_DIR/radlb.conf" || t_fail "rlb_add_listen: no listen list in radlb.conf"
}

# rlb_set_servers 'ENTRY, ENTRY': the servers list, replaced.
rlb_set_servers() {
	local entries=$1
	awk -v e="$entries" '
		/^servers = \($/ { print; print "  " e; skip = 1; next }
		skip && /^\);$/ { skip = 0 }
		!skip { print }' "$T_DIR/radlb.conf" >"$T_DIR/radlb.conf.new" &&
		mv "$T_DIR/radlb.conf.new" "$T_DIR/radlb.conf"
}

# rlb_tls_section [MIN_VERSION [CRL_FILE]]: radlb's tls section.
rlb_tls_section() {
	printf 'tls = { certificate = "%s"; private_key = "%s"; ca_file = "%s";%s min_version = "%s"; };\n' \
		"$PKI/radlb.crt" "$PKI/radlb.key" "$PKI/ca.crt" "${2:+ crl_file = \"$2\";}" "${1:-1.2}"
}

# rlb_check_config: radlb -C on $T_DIR/radlb.conf, the errors shown.
rlb_check_config() {
	local out
	out=$("$RADLB" -C -f "$T_DIR/radlb.conf" 2>&1) || {
		printf '%s\n' "$out" | sed 's/^/# /' >&2
		sed 's/^/#   /' "$T_DIR/radlb.conf" >&2
		t_fail "radlb -C refuses the configuration"
	}
}

# ---------------------------------------------------------------- stats

# rlb_stat_sum REGEX: the sum of every "show stats" value whose name matches
# the awk regex (given to awk -v, so write '\\.' for a literal dot), e.g.
# '^server\\.mfa1\\..*retransmi'. 0 when none.
rlb_stat_sum() {
	rlb_ctl show stats | awk -v r="$1" '$1 ~ r { s += $2 } END { print s + 0 }'
}

# stat_is KEY VALUE: for t_wait_until (which runs its command again and
# again: a "$(rlb_stat ...)" argument would be expanded only once).
stat_is() { [ "$(rlb_stat "$1")" = "$2" ]; }

# state_of NAME: up/down/... of a server (radlbctl --json show servers).
state_of() { rlb_ctl --json show servers | jq -r ".servers[] | select(.name == \"$1\") | .state"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
