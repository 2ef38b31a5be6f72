#!/usr/bin/env bash
# Makes the certificates a docgen Dask cluster uses for mutual TLS, into FOLDER (default certs/):
#   ca.pem, ca.key        the cluster's own certificate authority (keep ca.key off the cluster)
#   cluster.pem, .key     one certificate signed by it, for the scheduler, workers and docgen
# Only a machine holding a certificate signed by ca.key can join or send work. Copy ca.pem,
# cluster.pem and cluster.key to each machine of the cluster, readable by its user alone.
#   scripts/cluster-certs.sh [FOLDER] [DAYS]
set -euo pipefail
folder="${1:-certs}"
days="${2:-365}"
umask 077
mkdir -p "$folder"
cd "$folder"
openssl req -x509 -newkey rsa:3072 -nodes -days "$days" -subj "/CN=docgen cluster CA" \
  -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:3072 -nodes -subj "/CN=docgen cluster" \
  -keyout cluster.key -out cluster.csr 2>/dev/null
openssl x509 -req -in cluster.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
  -out cluster.pem 2>/dev/null
rm -f cluster.csr ca.srl
echo "$folder: ca.pem ca.key cluster.pem cluster.key"
