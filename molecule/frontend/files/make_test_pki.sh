#!/usr/bin/env bash
# Test-only PKI for molecule/frontend (never used outside tests): a root CA, an intermediate CA
# and a server certificate for the front end issued by the intermediate. nginx must serve
# leaf + intermediate (fullchain.pem); clients trust only root.pem.
#   make_test_pki.sh OUT_DIR SERVER_NAME [SAN ...]     (SANs like DNS:vms-1 IP:10.0.0.1)
# Existing files are kept, so a rerun changes nothing.
set -euo pipefail
out=$1; name=$2; shift 2
[ -s "$out/fullchain.pem" ] && [ -s "$out/server.key" ] && exit 0
mkdir -p "$out"; cd "$out"
sans="DNS:$name"; for s in "$@"; do sans="$sans,$s"; done
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=forge-monitoring TEST root CA" \
  -keyout root.key -out root.pem -addext basicConstraints=critical,CA:true \
  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=forge-monitoring TEST intermediate CA" \
  -keyout intermediate.key -out intermediate.csr 2>/dev/null
printf 'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > intermediate.ext
openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root.key -CAcreateserial -days 3650 \
  -extfile intermediate.ext -out intermediate.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout server.key -out server.csr 2>/dev/null
printf 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
  "$sans" > server.ext
openssl x509 -req -in server.csr -CA intermediate.pem -CAkey intermediate.key -CAcreateserial -days 825 \
  -extfile server.ext -out server.pem 2>/dev/null
cat server.pem intermediate.pem > fullchain.pem
chmod 600 ./*.key
echo "test PKI in $out: root.pem, fullchain.pem (server + intermediate), server.key"
