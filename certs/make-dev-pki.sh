#!/usr/bin/env bash
# Makes a development PKI for ketenpoort with OpenSSL: a root CA, the gateway's server
# certificate (localhost, 127.0.0.1, ::1) and one client certificate per party, whose
# subject serialNumber carries the party's 20-digit OIN, as PKIoverheid certificates do.
# All keys are ECDSA P-256. Never for production; never commit what it writes.
#
# usage: certs/make-dev-pki.sh OUTDIR [PARTIES_FILE]
#   PARTIES_FILE: lines "party-id OIN" (# comments allowed); default: the demo parties.
# writes: OUTDIR/ca.pem, OUTDIR/gateway.pem/.key, OUTDIR/<party-id>.pem/.key (keys 0600)
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
out=$1
parties_file=${2:-}

default_parties() {
  cat <<'PARTIES'
coa           00000099100000000001
duo           00000099100000000002
toeslagen     00000099100000000003
gemeente-0363 00000099200000000363
gemeente-0518 00000099200000000518
taalschool-a  00000099300000000001
taalschool-b  00000099300000000002
fg-0363       00000099400000000363
fg-0518       00000099400000000518
PARTIES
}

mkdir -p "$out"
chmod 700 "$out"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# Root CA, valid ten years.
new_key "$work/ca.key"
openssl req -new -x509 -key "$work/ca.key" -sha256 -days 3650 \
  -subj "/O=ketenpoort development/CN=ketenpoort development root CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" \
  -out "$out/ca.pem"

# issue NAME SUBJECT EXTFILE: key + certificate signed by the CA.
issue() {
  local name=$1 subject=$2 ext=$3
  new_key "$out/$name.key"
  openssl req -new -key "$out/$name.key" -subj "$subject" -out "$work/$name.csr"
  openssl x509 -req -in "$work/$name.csr" -CA "$out/ca.pem" -CAkey "$work/ca.key" \
    -CAcreateserial -CAserial "$work/ca.srl" -sha256 -days 397 -extfile "$ext" \
    -out "$out/$name.pem" 2>/dev/null
  chmod 600 "$out/$name.key"
  chmod 644 "$out/$name.pem"
}

cat > "$work/server.ext" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
authorityKeyIdentifier=keyid:always
EXT
issue gateway "/O=ketenpoort gateway (development)/CN=localhost" "$work/server.ext"

cat > "$work/client.ext" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=clientAuth
authorityKeyIdentifier=keyid:always
EXT

if [ -n "$parties_file" ]; then parties=$(cat "$parties_file"); else parties=$(default_parties); fi
count=0
while read -r id oin _; do
  case "$id" in ''|'#'*) continue ;; esac
  if ! [[ "$oin" =~ ^[0-9]{20}$ ]]; then
    echo "make-dev-pki: party $id: OIN must be 20 digits, got '$oin'" >&2
    exit 1
  fi
  if ! [[ "$id" =~ ^[a-z0-9._-]+$ ]]; then
    echo "make-dev-pki: party id '$id' may hold only a-z, 0-9, '.', '_', '-'" >&2
    exit 1
  fi
  issue "$id" "/O=$id/serialNumber=$oin/CN=$id" "$work/client.ext"
  count=$((count + 1))
done <<< "$parties"
chmod 644 "$out/ca.pem"

echo "development PKI in $out: root CA, gateway certificate, $count party certificates"
