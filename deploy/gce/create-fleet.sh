#!/usr/bin/env bash
# Creates a cachecluster fleet on Compute Engine, from an empty project to running VMs:
#   1. the service account the VMs run as, allowed to list instances (roles/compute.viewer) and to write
#      logs and metrics;
#   2. firewall rules: gossip (TCP+UDP) and peer HTTP (TCP) between VMs with the cluster's network tag only,
#      and Google's health checkers (and load balancers, for the app port) to the VMs with that tag;
#   3. the instance template (tags, [meta] attributes, startup and shutdown scripts, systemd unit);
#   4. a health check on /readyz and a regional managed instance group with autohealing.
# Safe to run again: what exists is kept. Settings: see lib.sh (e.g. PROJECT=p SIZE=6 ./create-fleet.sh).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  check_settings
  log "project $PROJECT, region $REGION ($ZONES), cluster $CLUSTER, $SIZE x $MACHINE_TYPE"

  gcloud services enable compute.googleapis.com --project="$PROJECT"
  [[ -z $GOSSIP_SECRET ]] || gcloud services enable secretmanager.googleapis.com --project="$PROJECT"

  # 1. The VMs' identity: discovery lists instances (compute.instances.list), the Ops Agent writes logs/metrics.
  ensure "iam service-accounts describe $SERVICE_ACCOUNT --project=$PROJECT" \
    iam service-accounts create "$SERVICE_ACCOUNT_NAME" --project="$PROJECT" --display-name="cachecluster nodes of $CLUSTER"
  local role
  for role in roles/compute.viewer roles/logging.logWriter roles/monitoring.metricWriter; do
    gcloud projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:${SERVICE_ACCOUNT}" --role="$role" --condition=None >/dev/null
  done
  if [[ -n $GOSSIP_SECRET ]]; then
    gcloud secrets add-iam-policy-binding "$GOSSIP_SECRET" --project="$PROJECT" \
      --member="serviceAccount:${SERVICE_ACCOUNT}" --role=roles/secretmanager.secretAccessor >/dev/null
  fi

  # 2. Firewall: source and target are the cluster's tag, so nothing else in the network reaches the ports.
  ensure "compute firewall-rules describe ${CLUSTER}-gossip --project=$PROJECT" \
    compute firewall-rules create "${CLUSTER}-gossip" --project="$PROJECT" --network="$NETWORK" \
    --direction=INGRESS --action=ALLOW --rules="tcp:$(port_range "$GOSSIP_PORT"),udp:$(port_range "$GOSSIP_PORT")" \
    --source-tags="$TAG" --target-tags="$TAG" --description="cachecluster ${CLUSTER}: SWIM gossip (UDP, and TCP for state sync and fallback probes)"
  ensure "compute firewall-rules describe ${CLUSTER}-peers --project=$PROJECT" \
    compute firewall-rules create "${CLUSTER}-peers" --project="$PROJECT" --network="$NETWORK" \
    --direction=INGRESS --action=ALLOW --rules="tcp:$(port_range "$CACHE_PORT")" \
    --source-tags="$TAG" --target-tags="$TAG" --description="cachecluster ${CLUSTER}: peer HTTP between nodes"
  ensure "compute firewall-rules describe ${CLUSTER}-health --project=$PROJECT" \
    compute firewall-rules create "${CLUSTER}-health" --project="$PROJECT" --network="$NETWORK" \
    --direction=INGRESS --action=ALLOW --rules="tcp:${CACHE_PORT}" \
    --source-ranges="$GOOGLE_CHECK_RANGES" --target-tags="$TAG" --description="cachecluster ${CLUSTER}: Google health checkers"
  if [[ -n $APP_PORT ]]; then
    ensure "compute firewall-rules describe ${CLUSTER}-app --project=$PROJECT" \
      compute firewall-rules create "${CLUSTER}-app" --project="$PROJECT" --network="$NETWORK" \
      --direction=INGRESS --action=ALLOW --rules="tcp:$(port_range "$APP_PORT")" \
      --source-ranges="$GOOGLE_CHECK_RANGES" --target-tags="$TAG" --description="cachecluster ${CLUSTER}: Google load balancers to the app"
  fi

  # 3. The template.
  create_template

  # 4. Health check (worker 0's cache port) and the regional MIG with autohealing.
  ensure "compute health-checks describe $HEALTH_CHECK --project=$PROJECT" \
    compute health-checks create http "$HEALTH_CHECK" --project="$PROJECT" --port="$CACHE_PORT" --request-path="$HEALTH_PATH" \
    --check-interval="$CHECK_INTERVAL" --timeout="$CHECK_TIMEOUT" \
    --healthy-threshold="$HEALTHY_THRESHOLD" --unhealthy-threshold="$UNHEALTHY_THRESHOLD"
  ensure "compute instance-groups managed describe $MIG --region=$REGION --project=$PROJECT" \
    compute instance-groups managed create "$MIG" --project="$PROJECT" --region="$REGION" --zones="$ZONES" \
    --template="$TEMPLATE" --size="$SIZE" --base-instance-name="$CLUSTER" \
    --health-check="$HEALTH_CHECK" --initial-delay="$INITIAL_DELAY" --target-distribution-shape=EVEN
  if [[ -n $APP_PORT ]]; then
    gcloud compute instance-groups managed set-named-ports "$MIG" --project="$PROJECT" --region="$REGION" --named-ports="app:${APP_PORT}"
  fi
  log "done: watch it come up with: gcloud compute instance-groups managed list-instances $MIG --region=$REGION --project=$PROJECT"
}

main "$@"
