#!/bin/bash
# cachecluster startup script for Compute Engine (instance metadata key `startup-script`).
# The guest agent runs it as root at every boot. From the instance's metadata (the cachecluster-* attributes
# the instance template sets) it:
#   - checks that Node.js >= NODE_MAJOR is installed, and installs it from NodeSource if not;
#   - installs the app from cachecluster-app-archive (gs://...) if set, else expects it in the image;
#   - writes /etc/cachecluster/cachecluster.ini and one environment file per worker process (ports, name,
#     cache budget, V8 heap size), and fetches the gossip key from Secret Manager if cachecluster-gossip-secret
#     is set;
#   - installs the systemd unit from the cachecluster-unit attribute and (re)starts one worker per vCPU
#     (cachecluster-workers: auto, or a number).
# Its output goes to the serial console and Cloud Logging (google_metadata_script_runner).
set -euo pipefail

readonly NODE_MAJOR=20
readonly CONF_DIR=/etc/cachecluster
readonly UNIT_DIR=/etc/systemd/system
readonly APP_DIR=/opt/cachecluster-app
readonly SERVICE_USER=cachecluster
# metadata_host DMI_PRODUCT_FILE: where the metadata server is. GCE_METADATA_HOST when set (the fleet simulator sets it
# to its fake GCE; the Google client libraries honour it too); else the real server, but only on a Compute Engine
# VM, which its DMI product name says: off GCE this fails instead of asking whatever answers to that name.
metadata_host() {
  if [[ -n ${GCE_METADATA_HOST:-} ]]; then
    echo "$GCE_METADATA_HOST"
  elif [[ $(cat "$1" 2>/dev/null) == "Google Compute Engine" ]]; then
    echo metadata.google.internal
  else
    echo "not a Compute Engine VM and GCE_METADATA_HOST is unset: no metadata server to ask" >&2
    return 1
  fi
}

log() { echo "cachecluster-startup: $*"; }
die() {
  log "error: $*"
  exit 1
}

# md PATH: a metadata value; fails when the metadata server answers 404.
md() { curl --silent --show-error --fail --max-time 10 --retry 5 --retry-connrefused -H "Metadata-Flavor: Google" "http://${METADATA_HOST}/computeMetadata/v1/$1"; }

# attr NAME [DEFAULT]: an instance attribute, or DEFAULT when the instance has none by that name.
attr() {
  local value
  if value=$(md "instance/attributes/$1" 2>/dev/null); then printf '%s' "$value"; else printf '%s' "${2-}"; fi
}

# number NAME VALUE MIN MAX: VALUE when it is a whole number in [MIN, MAX], else a clear error.
number() {
  if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < $3 || $2 > $4)); then die "metadata $1 must be a whole number from $3 to $4, got '$2'"; fi
  printf '%s' "$2"
}

# The Compute API client discovery loads (@google-cloud/compute) holds about 120 MiB of V8 heap once created.
readonly CLIENT_HEAP_MIB=160

# heap_mib CACHE_MIB APP_HEAP_MIB: --max-old-space-size for a worker whose cache budget is CACHE_MIB.
# An entry's objects live on V8's heap, up to 9/10 of its counted size for tiny values, and core warns when
# that could pass 3/4 of the heap limit (cachecluster.group()); so the heap gets 1.35 x the cache budget, plus
# the Compute client's and the app's own heap, rounded up to 64 MiB.
heap_mib() {
  local need=$(($1 * 135 / 100 + CLIENT_HEAP_MIB + $2))
  echo $(((need + 63) / 64 * 64))
}

ensure_node() {
  local have=""
  if [[ -x /usr/bin/node ]]; then have=$(/usr/bin/node -p 'process.versions.node.split(".")[0]'); fi
  if [[ -n $have ]] && ((have >= NODE_MAJOR)); then
    log "Node.js $(/usr/bin/node --version) is installed"
    return
  fi
  log "installing Node.js ${NODE_MAJOR} from NodeSource (found: ${have:-none})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq ca-certificates curl gnupg
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
  echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_${NODE_MAJOR}.x nodistro main" >/etc/apt/sources.list.d/nodesource.list
  apt-get update -qq
  apt-get install -y -qq nodejs
  have=$(/usr/bin/node -p 'process.versions.node.split(".")[0]')
  ((have >= NODE_MAJOR)) || die "Node.js ${NODE_MAJOR} or later is needed, /usr/bin/node is $(/usr/bin/node --version)"
}

install_app() {
  local archive=$1 tmp
  tmp=$(mktemp -d)
  log "installing the app from $archive"
  gcloud storage cp "$archive" "$tmp/app.tar.gz"
  rm -rf "${APP_DIR}.new"
  install -d -m 0755 "${APP_DIR}.new"
  tar -xzf "$tmp/app.tar.gz" -C "${APP_DIR}.new"
  rm -rf "$tmp" "${APP_DIR}.old"
  if [[ -e $APP_DIR ]]; then mv "$APP_DIR" "${APP_DIR}.old"; fi
  mv "${APP_DIR}.new" "$APP_DIR"
}

# The Ops Agent sends the journal (the workers' JSON lines) to Cloud Logging; without it, `journalctl -u
# 'cachecluster@*'` on the VM shows them. Only a config that has no settings of its own yet is replaced.
configure_ops_agent() {
  local config=/etc/google-cloud-ops-agent/config.yaml
  [[ -d ${config%/*} ]] || return 0
  if [[ -f $config ]] && grep -qv '^[[:space:]]*\(#.*\)\?$' "$config"; then
    grep -q 'type: systemd_journald' "$config" || log "the Ops Agent has a config of its own: add a systemd_journald receiver to ship the workers' logs"
    return 0
  fi
  cat >"$config" <<'EOF'
# Written by the cachecluster startup script: ship the systemd journal (the workers' logs) to Cloud Logging.
logging:
  receivers:
    journald:
      type: systemd_journald
  service:
    pipelines:
      journald:
        receivers: [journald]
EOF
  systemctl restart google-cloud-ops-agent || log "could not restart the Ops Agent"
}

main() {
  local instance zone region project cluster tag workers cache_mib app_heap cache_port gossip_port app_port
  local heartbeat refresh peer_timeout app_entry app_archive secret vcpus
  METADATA_HOST=$(metadata_host /sys/class/dmi/id/product_name) || die "no metadata server"
  readonly METADATA_HOST
  instance=$(md instance/name)
  zone=$(md instance/zone)
  zone=${zone##*/}
  region=${zone%-*}
  project=$(md project/project-id)
  cluster=$(attr cachecluster-cluster)
  tag=$(attr cachecluster-tag "$cluster")
  [[ -n $cluster ]] || die "the instance has no cachecluster-cluster attribute: create it from the kit's instance template"
  workers=$(attr cachecluster-workers auto)
  vcpus=$(nproc)
  if [[ $workers == auto ]]; then workers=$vcpus; fi
  workers=$(number cachecluster-workers "$workers" 1 64)
  cache_mib=$(number cachecluster-cache-mib "$(attr cachecluster-cache-mib 1024)" 16 1048576)
  app_heap=$(number cachecluster-app-heap-mib "$(attr cachecluster-app-heap-mib 128)" 16 1048576)
  cache_port=$(number cachecluster-cache-port "$(attr cachecluster-cache-port 9080)" 1024 65000)
  gossip_port=$(number cachecluster-gossip-port "$(attr cachecluster-gossip-port 7946)" 1024 65000)
  app_port=$(attr cachecluster-app-port 8080)
  [[ -z $app_port ]] || app_port=$(number cachecluster-app-port "$app_port" 1024 65000)
  heartbeat=$(number cachecluster-heartbeat-ms "$(attr cachecluster-heartbeat-ms 1000)" 10 60000)
  refresh=$(number cachecluster-refresh-ms "$(attr cachecluster-refresh-ms 60000)" 100 3600000)
  peer_timeout=$(number cachecluster-peer-timeout-ms "$(attr cachecluster-peer-timeout-ms 2000)" 1 600000)
  app_entry=$(attr cachecluster-app-entry "${APP_DIR}/server.js")
  app_archive=$(attr cachecluster-app-archive)
  secret=$(attr cachecluster-gossip-secret)
  log "instance $instance in $zone: $workers worker(s) on $vcpus vCPU(s), cache ${cache_mib} MiB"

  ensure_node
  if [[ -n $app_archive ]]; then install_app "$app_archive"; fi
  [[ -f $app_entry ]] || die "the app's entry $app_entry does not exist: bake the app into the image or set cachecluster-app-archive"
  id -u "$SERVICE_USER" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVICE_USER"

  # Config shared by the workers; what differs per worker comes from its environment file (overrides).
  local cache_per_worker heap mem_mib need_mib
  cache_per_worker=$((cache_mib / workers))
  ((cache_per_worker >= 8)) || die "cachecluster-cache-mib ($cache_mib) leaves less than 8 MiB per worker ($workers workers)"
  heap=$(heap_mib "$cache_per_worker" "$app_heap")
  mem_mib=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
  need_mib=$((workers * (heap + cache_per_worker)))
  if ((need_mib > mem_mib * 9 / 10)); then
    log "warning: $workers worker(s) may use up to ${need_mib} MiB (V8 heap ${heap} MiB + cache ${cache_per_worker} MiB each) of ${mem_mib} MiB: lower cachecluster-cache-mib or pick a larger machine type"
  fi
  install -d -m 0755 "$CONF_DIR"
  cat >"$CONF_DIR/cachecluster.ini.new" <<EOF
; Written at boot by the cachecluster startup script from instance metadata: edit the instance template instead.
[cache]
port = ${cache_port}
timeout = ${peer_timeout}
; /readyz, /healthz, the status page and /metrics on the peer port: the MIG health check asks /readyz there, and the
; firewall lets only the cluster's VMs and Google's health checkers reach it (reads and writes stay members-only)
[admin]
enabled = false
on_peer_port = true
[cluster]
port = ${gossip_port}
heartbeat = ${heartbeat}
[match]
project = ${project}
region = ${region}
tags = ${tag}
refresh = ${refresh}
; every worker joins worker 0 of each VM found, so all workers of all VMs form one cluster
cluster_port = ${gossip_port}
[meta]
cachecluster-cluster = ${cluster}
EOF
  mv "$CONF_DIR/cachecluster.ini.new" "$CONF_DIR/cachecluster.ini"

  # The app's own settings (cachecluster-app-env), and the gossip key: readable by the service user only.
  attr cachecluster-app-env >"$CONF_DIR/app.env.new"
  mv "$CONF_DIR/app.env.new" "$CONF_DIR/app.env"
  umask 027
  : >"$CONF_DIR/secrets.env.new"
  if [[ -n $secret ]]; then
    local keys
    keys=$(gcloud secrets versions access latest --secret="$secret" --project="$project") || die "cannot read the gossip key from Secret Manager secret $secret"
    printf 'CACHECLUSTER_CLUSTER_SECRET_KEYS=%s\n' "$keys" >"$CONF_DIR/secrets.env.new"
  fi
  chgrp "$SERVICE_USER" "$CONF_DIR/secrets.env.new"
  mv "$CONF_DIR/secrets.env.new" "$CONF_DIR/secrets.env"
  umask 022

  local i units=()
  for ((i = 0; i < workers; i++)); do
    cat >"$CONF_DIR/worker-$i.env" <<EOF
CACHECLUSTER_CONFIG=${CONF_DIR}/cachecluster.ini
CACHECLUSTER_CACHE_PORT=$((cache_port + i))
CACHECLUSTER_CLUSTER_PORT=$((gossip_port + i))
CACHECLUSTER_CLUSTER_NAME=${instance}-${i}
CACHECLUSTER_CACHE_MAX_BYTES=${cache_per_worker}MiB
NODE_HEAP_MIB=${heap}
APP_ENTRY=${app_entry}
APP_PORT=${app_port:+$((app_port + i))}
APP_WORKER_INDEX=${i}
APP_WORKER_COUNT=${workers}
EOF
    units+=("cachecluster@$i.service")
  done

  configure_ops_agent
  md instance/attributes/cachecluster-unit >"$UNIT_DIR/cachecluster@.service.new" || die "the instance has no cachecluster-unit attribute"
  mv "$UNIT_DIR/cachecluster@.service.new" "$UNIT_DIR/cachecluster@.service"
  systemctl daemon-reload
  systemctl enable "${units[@]}"
  systemctl restart "${units[@]}"
  log "started ${units[*]} (V8 heap ${heap} MiB, cache ${cache_per_worker} MiB each)"
}

# Sourcing the script (tests) defines the functions without running main.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
