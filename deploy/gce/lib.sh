# shellcheck shell=bash
# shellcheck disable=SC2034 # names such as MIG and TEMPLATE are for the scripts that source this file
# Settings and helpers shared by create-fleet.sh and update-fleet.sh (sourced, not run).
#
# Every setting is an environment variable with a default; override any of them on the command line:
#   PROJECT=my-project REGION=europe-west1 SIZE=6 deploy/gce/create-fleet.sh
# Every gcloud flag below is written as --flag=value (one argument), so a reader (or the fleet simulator,
# which replays these commands) never has to know which flags take a value.

set -euo pipefail

KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# number of comma-separated zones in $ZONES
zone_count() {
  local -a zones
  IFS=, read -r -a zones <<<"$ZONES"
  echo "${#zones[@]}"
}

# ---- where --------------------------------------------------------------------------------------------
: "${PROJECT:=$(gcloud config get-value project 2>/dev/null)}" # project that holds the fleet
: "${REGION:=us-central1}"                                     # region of the regional MIG
: "${ZONES:=${REGION}-a,${REGION}-b,${REGION}-c}"              # the MIG spreads its VMs evenly over these
: "${NETWORK:=default}"                                        # VPC network (and its subnet in REGION)

# ---- what ---------------------------------------------------------------------------------------------
: "${CLUSTER:=cachecluster}"             # name of the cluster: prefix of every resource, and the [meta] item
: "${TAG:=${CLUSTER}}"                   # network tag: firewall rules and discovery both match on it
: "${VERSION:=v1}"                       # instance template version (a new one for every rolling update)
: "${MACHINE_TYPE:=e2-standard-2}"       # vCPUs decide how many worker processes a VM runs (WORKERS=auto)
: "${SIZE:=3}"                           # target size of the MIG
: "${SPOT:=false}"                       # true: Spot VMs (preempted with a 30 s notice, recreated by the MIG)
: "${IMAGE_FAMILY:=debian-12}"
: "${IMAGE_PROJECT:=debian-cloud}"
: "${EXTERNAL_IP:=false}"                # false: no external address (give the subnet Cloud NAT for apt/npm)

# ---- the app and its cache ------------------------------------------------------------------------------
: "${APP_ENTRY:=/opt/cachecluster-app/server.js}" # the app's main module on the VM (baked into the image, or:)
: "${APP_ARCHIVE:=}"                     # gs://bucket/app.tar.gz unpacked into /opt/cachecluster-app at boot
: "${APP_ENV_FILE:=}"                    # optional file of VAR=value lines for the app (EnvironmentFile)
: "${WORKERS:=auto}"                     # worker processes per VM: auto = one per vCPU, or a number
: "${CACHE_MIB:=1024}"                   # cache budget of a whole VM, shared by its workers
: "${APP_HEAP_MIB:=128}"                 # the app's own V8 heap, on top of the cache's and the Compute client's
: "${APP_PORT:=8080}"                    # worker i serves the app on APP_PORT+i (empty: no app port)
: "${CACHE_PORT:=9080}"                  # worker i: peer HTTP (and /readyz, status page) on CACHE_PORT+i
: "${GOSSIP_PORT:=7946}"                 # worker i: SWIM on GOSSIP_PORT+i, UDP and TCP
: "${MAX_WORKERS:=8}"                    # firewall port ranges cover this many workers per VM
: "${HEARTBEAT_MS:=1000}"                # [cluster] heartbeat (SWIM protocol period)
: "${REFRESH_MS:=60000}"                 # [match] refresh (discovery period)
: "${PEER_TIMEOUT_MS:=2000}"             # [cache] timeout (peer fetch)
: "${GOSSIP_SECRET:=}"                   # Secret Manager secret holding the SWIM key(s) (empty: no encryption)

# ---- health, updates --------------------------------------------------------------------------------------
: "${HEALTH_PATH:=/readyz}"              # what the health check asks worker 0 on CACHE_PORT
: "${CHECK_INTERVAL:=5s}"
: "${CHECK_TIMEOUT:=5s}"
: "${HEALTHY_THRESHOLD:=2}"
: "${UNHEALTHY_THRESHOLD:=3}"
: "${INITIAL_DELAY:=120}"                # seconds autohealing leaves a new VM to boot (s)
: "${MAX_SURGE:=$(zone_count)}"          # rolling updates: extra VMs while replacing (0, or >= the number of zones)
: "${MAX_UNAVAILABLE:=0}"                # rolling updates: VMs that may be missing (0, or >= the number of zones)
: "${MIN_READY:=10s}"                    # rolling updates: how long a new VM must be healthy before the next step

# Google's health-check and load-balancer source ranges.
GOOGLE_CHECK_RANGES="35.191.0.0/16,130.211.0.0/22"
SERVICE_ACCOUNT_NAME="${CLUSTER}-node"
SERVICE_ACCOUNT="${SERVICE_ACCOUNT_NAME}@${PROJECT}.iam.gserviceaccount.com"
TEMPLATE="${CLUSTER}-${VERSION}"
MIG="${CLUSTER}-mig"
HEALTH_CHECK="${CLUSTER}-readyz"

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

check_settings() {
  [[ -n $PROJECT ]] || die "no project: set PROJECT or run 'gcloud config set project ID'"
  [[ $WORKERS == auto || $WORKERS =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be auto or a positive number, got '$WORKERS'"
  [[ $WORKERS == auto || $WORKERS -le $MAX_WORKERS ]] || die "WORKERS ($WORKERS) exceeds MAX_WORKERS ($MAX_WORKERS), which the firewall rules cover"
  [[ $CACHE_MIB =~ ^[1-9][0-9]*$ ]] || die "CACHE_MIB must be a number of MiB, got '$CACHE_MIB'"
  [[ $SPOT == true || $SPOT == false ]] || die "SPOT must be true or false, got '$SPOT'"
  local port
  for port in "$CACHE_PORT" "$GOSSIP_PORT" ${APP_PORT:+"$APP_PORT"}; do
    [[ $port =~ ^[0-9]+$ && $port -ge 1024 && $((port + MAX_WORKERS)) -le 65535 ]] || die "ports must be numbers from 1024 up, got '$port'"
  done
  [[ -z $APP_ENV_FILE || -f $APP_ENV_FILE ]] || die "APP_ENV_FILE '$APP_ENV_FILE' does not exist"
  # A regional MIG takes fixed surge/unavailable values of 0 or at least its number of zones.
  local zones n
  zones=$(zone_count)
  for n in "$MAX_SURGE" "$MAX_UNAVAILABLE"; do
    [[ $n =~ ^[0-9]+$ && ($n -eq 0 || $n -ge $zones) ]] || die "MAX_SURGE and MAX_UNAVAILABLE must be 0 or at least the number of zones ($zones), got '$n'"
  done
  [[ $MAX_SURGE -gt 0 || $MAX_UNAVAILABLE -gt 0 ]] || die "MAX_SURGE or MAX_UNAVAILABLE must be above 0"
}

# first-last port of a per-worker range starting at $1
port_range() { printf '%s-%s' "$1" "$(($1 + MAX_WORKERS - 1))"; }

# Runs a gcloud create command unless `gcloud ... describe` finds the resource (so the scripts can run again).
ensure() {
  local describe=$1
  shift
  # shellcheck disable=SC2086 # $describe is a command line of words
  if gcloud $describe >/dev/null 2>&1; then
    log "exists: ${describe% --*}"
  else
    gcloud "$@"
  fi
}

# The instance template: machine, image, tags, service account, and the metadata the startup script reads.
create_template() {
  local metadata files
  metadata="cachecluster-cluster=${CLUSTER},cachecluster-tag=${TAG},cachecluster-workers=${WORKERS}"
  metadata+=",cachecluster-cache-mib=${CACHE_MIB},cachecluster-app-heap-mib=${APP_HEAP_MIB}"
  metadata+=",cachecluster-cache-port=${CACHE_PORT},cachecluster-gossip-port=${GOSSIP_PORT},cachecluster-app-port=${APP_PORT}"
  metadata+=",cachecluster-heartbeat-ms=${HEARTBEAT_MS},cachecluster-refresh-ms=${REFRESH_MS},cachecluster-peer-timeout-ms=${PEER_TIMEOUT_MS}"
  metadata+=",cachecluster-app-entry=${APP_ENTRY}"
  [[ -z $APP_ARCHIVE ]] || metadata+=",cachecluster-app-archive=${APP_ARCHIVE}"
  [[ -z $GOSSIP_SECRET ]] || metadata+=",cachecluster-gossip-secret=${GOSSIP_SECRET}"
  files="startup-script=${KIT_DIR}/startup-script.sh,shutdown-script=${KIT_DIR}/shutdown-script.sh,cachecluster-unit=${KIT_DIR}/cachecluster@.service"
  [[ -z $APP_ENV_FILE ]] || files+=",cachecluster-app-env=${APP_ENV_FILE}"
  local args=(
    compute instance-templates create "$TEMPLATE"
    --project="$PROJECT"
    --machine-type="$MACHINE_TYPE"
    --network="$NETWORK"
    --tags="$TAG"
    --image-family="$IMAGE_FAMILY"
    --image-project="$IMAGE_PROJECT"
    --service-account="$SERVICE_ACCOUNT"
    --scopes=cloud-platform
    --labels="cachecluster=${CLUSTER},version=${VERSION}"
    --metadata="$metadata"
    --metadata-from-file="$files"
  )
  [[ $EXTERNAL_IP == true ]] || args+=(--no-address)
  [[ $SPOT == false ]] || args+=(--provisioning-model=SPOT --instance-termination-action=DELETE)
  ensure "compute instance-templates describe $TEMPLATE --project=$PROJECT" "${args[@]}"
}
