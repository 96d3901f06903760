#!/usr/bin/env bash
# Builds, bundles and deploys firestore-exporter with the Terraform module in infra/, then checks
# that both Cloud Scheduler jobs exist, are enabled and run in the configured time zone: a paused or
# missing job means backups silently stop, so it fails the deploy.
set -euo pipefail

readonly PROG="deploy.sh"
readonly REQUIRED_VARIABLES=(project_id region bucket_name targets alert_email)
readonly MIN_TERRAFORM_MAJOR=1 MIN_TERRAFORM_MINOR=5 MIN_NODE_MAJOR=20

usage() {
  cat <<'EOF'
Usage: ./deploy.sh [--plan] [--run-now] [--var-file FILE] [--yes] [--help]

Builds the functions, bundles them into build/function-source/, and deploys everything with the
Terraform module in infra/ (terraform -chdir=infra). Then checks that both Cloud Scheduler jobs are
ENABLED and use the module's time zone.

Options:
  --plan           Stop after `terraform plan`; nothing is applied.
  --run-now        After applying, run the export job now and wait for the checker's verdict on
                   the runs it starts (log event run.closed); exit 0 only if every run is SUCCESSFUL.
  --var-file FILE  The tfvars file (default: infra/terraform.tfvars). It must set project_id,
                   region, bucket_name, targets and alert_email.
  --yes            Apply without asking. Without it deploy.sh asks on the terminal, and refuses to
                   apply when stdin is not a terminal.
  -h, --help       Show this help.

Flow: preflight (tools, Terraform >= 1.5, Node.js >= 20, gcloud login and Application Default
Credentials, the tfvars file; every problem is reported before exiting) -> npm ci (only when
node_modules/ is missing) -> npm run build -> node scripts/bundle-functions.mjs -> terraform init
-> terraform plan -> the bundle started with each function's planned environment (a value the
functions would refuse stops here) -> confirmation -> terraform apply of that saved plan -> scheduler job checks
-> (--run-now) gcloud scheduler jobs run, then gcloud logging read until a verdict.

Environment:
  DEPLOY_WAIT_SECONDS  How long --run-now waits for a verdict (default 1800).
  DEPLOY_POLL_SECONDS  How often --run-now reads the logs (default 15).

Exit status: 0 deployed and checked (or planned with --plan; with --run-now: every run
SUCCESSFUL), 1 a preflight problem, a failed step, a job that is not right, or an unsuccessful or
missing verdict, 2 a usage error.
EOF
}

usage_error() {
  printf '%s: %s\n' "$PROG" "$1" >&2
  printf "Run '%s --help' for usage.\n" "$PROG" >&2
  exit 2
}
fail() {
  printf '%s: error: %s\n' "$PROG" "$1" >&2
  exit 1
}
warn() { printf '%s: warning: %s\n' "$PROG" "$1" >&2; }
step() { printf '\n==> %s\n' "$1"; }

plan_only=0
run_now=0
assume_yes=0
var_file_arg=""
while (($# > 0)); do
  case "$1" in
  --plan) plan_only=1 ;;
  --run-now) run_now=1 ;;
  --yes) assume_yes=1 ;;
  --var-file)
    [[ -n ${2:-} ]] || usage_error "--var-file needs a file name"
    var_file_arg=$2
    shift
    ;;
  --var-file=*)
    var_file_arg=${1#--var-file=}
    [[ -n $var_file_arg ]] || usage_error "--var-file needs a file name"
    ;;
  -h | --help)
    usage
    exit 0
    ;;
  *) usage_error "unknown argument: $1" ;;
  esac
  shift
done
((plan_only && run_now)) && usage_error "--plan and --run-now exclude each other: --run-now needs an apply"

wait_seconds=${DEPLOY_WAIT_SECONDS:-1800}
poll_seconds=${DEPLOY_POLL_SECONDS:-15}
[[ $wait_seconds =~ ^[0-9]+$ ]] ||
  usage_error "DEPLOY_WAIT_SECONDS must be a whole number of seconds, got '$wait_seconds'"
[[ $poll_seconds =~ ^[1-9][0-9]*$ ]] ||
  usage_error "DEPLOY_POLL_SECONDS must be a whole number of seconds >= 1, got '$poll_seconds'"

# A relative --var-file is relative to where deploy.sh was started; Terraform runs in infra/, so
# every path handed to it is made absolute.
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z $var_file_arg ]]; then
  var_file_shown="infra/terraform.tfvars"
  var_file="$repo_root/infra/terraform.tfvars"
else
  var_file_shown=$var_file_arg
  var_file=$var_file_arg
  [[ $var_file == /* ]] || var_file="$PWD/$var_file"
fi
cd "$repo_root"

# ---------------------------------------------------------------------------------------------------
# Preflight: collect every problem, report them together, then stop.
problems=()
problem() { problems+=("$1"); }
have() { command -v "$1" >/dev/null 2>&1; }

# True when version $1 (x.y[.z]) is at least $2.$3.
version_at_least() {
  local major minor
  IFS=. read -r major minor _ <<<"$1"
  ((major > $2 || (major == $2 && ${minor:-0} >= $3)))
}

have gcloud || problem "gcloud is not on PATH: install the Google Cloud SDK (https://cloud.google.com/sdk/docs/install)."
have terraform || problem "terraform is not on PATH: install Terraform 1.5 or newer (https://developer.hashicorp.com/terraform/install)."
have node || problem "node is not on PATH: install Node.js ${MIN_NODE_MAJOR} or newer."
have npm || problem "npm is not on PATH: install Node.js ${MIN_NODE_MAJOR} or newer (npm comes with it)."

if have terraform; then
  tf_version=$(terraform version -json 2>/dev/null |
    sed -n 's/.*"terraform_version"[[:space:]]*:[[:space:]]*"\([0-9][0-9]*\.[0-9][0-9]*[^"]*\)".*/\1/p' |
    head -n 1 || true)
  if [[ -z $tf_version ]]; then
    problem "cannot tell the Terraform version ('terraform version -json' printed none): install Terraform 1.5 or newer."
  elif ! version_at_least "$tf_version" "$MIN_TERRAFORM_MAJOR" "$MIN_TERRAFORM_MINOR"; then
    problem "Terraform $tf_version is too old: install Terraform ${MIN_TERRAFORM_MAJOR}.${MIN_TERRAFORM_MINOR} or newer."
  fi
fi

if have node; then
  node_version=$(node -p 'process.versions.node' 2>/dev/null || true)
  if ! [[ $node_version =~ ^[0-9]+\. ]] || ! version_at_least "$node_version" "$MIN_NODE_MAJOR" 0; then
    problem "Node.js ${node_version:-of unknown version} is too old: install Node.js ${MIN_NODE_MAJOR} or newer."
  fi
fi

if have gcloud; then
  account=$(gcloud auth list --filter=status:ACTIVE --format='value(account)' 2>/dev/null | head -n 1 || true)
  [[ -n $account ]] || problem "gcloud has no active account: run 'gcloud auth login'."
  gcloud auth application-default print-access-token >/dev/null 2>&1 ||
    problem "Application Default Credentials (what Terraform authenticates with) are not usable: run 'gcloud auth application-default login'."
fi

project_id=""
if [[ ! -f $var_file ]]; then
  problem "tfvars file $var_file_shown not found: create it with project_id, region, bucket_name, targets and alert_email (see infra/terraform.tfvars.example), or pass --var-file FILE."
else
  for name in "${REQUIRED_VARIABLES[@]}"; do
    # Terraform also takes a variable from the environment as TF_VAR_name.
    tf_var="TF_VAR_${name}"
    [[ -n ${!tf_var:-} ]] && continue
    grep -Eq "^[[:space:]]*${name}[[:space:]]*=" "$var_file" ||
      problem "$var_file_shown does not set the required variable $name: add a line '$name = ...' (see infra/README.md)."
  done
  # Terraform always loads infra/terraform.tfvars too: another file would be silently merged with it.
  if [[ -n $var_file_arg && $var_file != "$repo_root/infra/terraform.tfvars" && -f $repo_root/infra/terraform.tfvars ]]; then
    problem "--var-file $var_file_shown given while infra/terraform.tfvars exists: Terraform would merge both (and use the same state). Move infra/terraform.tfvars away, or deploy each environment from its own clone."
  fi
  if grep -Eq '^[[:space:]]*project_id[[:space:]]*=' "$var_file"; then
    project_id=$(sed -n 's/^[[:space:]]*project_id[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$var_file" | head -n 1)
    [[ -n $project_id ]] ||
      problem "project_id in $var_file_shown is not a quoted project id: write it as project_id = \"my-project\"."
  fi
fi
if [[ -n $project_id ]] && have gcloud; then
  gcloud_project=$(gcloud config get-value project 2>/dev/null || true)
  if [[ -n $gcloud_project && $gcloud_project != "$project_id" ]]; then
    warn "gcloud's default project is $gcloud_project but $var_file_shown deploys to $project_id; deploy.sh passes --project=$project_id to gcloud."
  fi
fi

if ((!plan_only && !assume_yes)) && [[ ! -t 0 ]]; then
  problem "stdin is not a terminal, so deploy.sh cannot ask before applying: pass --yes to apply without asking, or --plan to only see the plan."
fi

if ((${#problems[@]} > 0)); then
  printf '%s: preflight found %d problem(s); nothing was built or deployed:\n' "$PROG" "${#problems[@]}" >&2
  for p in "${problems[@]}"; do printf '  - %s\n' "$p" >&2; done
  exit 1
fi

# ---------------------------------------------------------------------------------------------------
step "Build the functions"
if [[ ! -d node_modules ]]; then
  npm ci || fail "npm ci failed (see above)."
fi
npm run build || fail "npm run build failed (see above)."
node scripts/bundle-functions.mjs || fail "bundling the functions failed (see above)."

workdir=$(mktemp -d "${TMPDIR:-/tmp}/firestore-exporter-deploy.XXXXXX")
trap 'rm -rf "$workdir"' EXIT
plan_file="$workdir/deploy.tfplan"

if ! grep -Eqs '^[[:space:]]*backend[[:space:]]+"' infra/*.tf; then
  warn "no Terraform backend is configured: the state (which holds the webhook URL) stays in infra/terraform.tfstate on this machine. For a shared, protected state add infra/backend.tf with a \"gcs\" backend (see README, Deploy)."
fi
step "terraform init"
terraform -chdir=infra init -input=false || fail "terraform init failed (see above)."
step "terraform plan ($var_file_shown)"
terraform -chdir=infra plan -input=false -var-file="$var_file" -out="$plan_file" ||
  fail "terraform plan failed (see above); nothing was applied."

step "Check the planned configuration against the functions"
terraform -chdir=infra show -json "$plan_file" >"$workdir/plan.json" ||
  fail "terraform show failed (see above); nothing was applied."
node scripts/check-planned-config.mjs "$workdir/plan.json" ||
  fail "the functions would refuse the planned configuration (see above); fix infra/terraform.tfvars. Nothing was applied."

if ((plan_only)); then
  printf '\nPlan only (--plan): nothing was applied.\n'
  exit 0
fi

if ((!assume_yes)); then
  answer=""
  read -r -p "Apply this plan to project $project_id? Type 'yes' to apply: " answer || true
  [[ $answer == yes ]] || fail "not confirmed; nothing was applied."
fi

step "terraform apply"
terraform -chdir=infra apply -input=false "$plan_file" || fail "terraform apply failed (see above)."

# ---------------------------------------------------------------------------------------------------
step "Check the Cloud Scheduler jobs"
read_output() {
  local value
  value=$(terraform -chdir=infra output -raw "$1") ||
    fail "cannot read the Terraform output $1: the module in infra/ must define it."
  [[ -n $value ]] || fail "the Terraform output $1 is empty."
  printf '%s' "$value"
}
export_job=$(read_output export_scheduler_job_name)
check_job=$(read_output check_scheduler_job_name)
time_zone=$(read_output time_zone)
# The scheduler jobs live in scheduler_region, which is the functions' region unless set apart.
region=$(read_output scheduler_region)

# Prints the top-level fields named in the arguments of the JSON object on stdin, tab-separated.
json_fields() {
  node -e '
    const value = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
    process.stdout.write(process.argv.slice(1).map((k) => String(value[k] ?? "")).join("\t"));
  ' "$@"
}

job_problems=()
check_scheduler_job() {
  local role=$1 name=$2 described fields state zone
  if ! described=$(gcloud scheduler jobs describe "$name" --location="$region" --project="$project_id" --format=json); then
    job_problems+=("the $role job $name cannot be read in $region (see the gcloud error above): it is missing or this account may not view it, and without it no $role runs.")
    return
  fi
  if ! fields=$(printf '%s' "$described" | json_fields state timeZone); then
    job_problems+=("the $role job $name: gcloud's description is not JSON.")
    return
  fi
  state=${fields%%$'\t'*}
  zone=${fields#*$'\t'}
  if [[ $state != ENABLED ]]; then
    job_problems+=("the $role job $name is ${state:-in no state}, not ENABLED, so it never fires: resume it with 'gcloud scheduler jobs resume $name --location=$region --project=$project_id', or find out who paused it.")
  fi
  if [[ $zone != "$time_zone" ]]; then
    job_problems+=("the $role job $name runs in time zone ${zone:-(none)}, expected $time_zone (Terraform output time_zone): it was changed outside Terraform or by another deploy; run deploy.sh again.")
  fi
  if [[ $state == ENABLED && $zone == "$time_zone" ]]; then
    printf '  %s job %s: ENABLED, time zone %s\n' "$role" "$name" "$zone"
  fi
}
check_scheduler_job export "$export_job"
check_scheduler_job check "$check_job"
if ((${#job_problems[@]} > 0)); then
  printf '%s: the deploy was applied but the scheduler jobs are not right:\n' "$PROG" >&2
  for p in "${job_problems[@]}"; do printf '  - %s\n' "$p" >&2; done
  exit 1
fi
printf '\nDeployed to project %s (scheduler jobs in %s).\n' "$project_id" "$region"

((run_now)) || exit 0

# ---------------------------------------------------------------------------------------------------
# --run-now: the exporter's lines name the runs this trigger started (or found already done for the
# current slot); the checker's run.closed line for each of them is the verdict.
read -r -d '' VERDICT_JS <<'JS' || true
const FINAL = ["SUCCESSFUL", "FAILED", "CANCELLED", "LOST", "REJECTED"];
const text = require("node:fs").readFileSync(0, "utf8").trim();
const entries = (text === "" ? [] : JSON.parse(text))
  .map((e) => ({ at: String(e.timestamp ?? ""), p: e.jsonPayload ?? {} }))
  .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
const runs = new Map();
const refusals = [];
for (const { p } of entries) {
  const known = runs.has(p.runKey);
  if ((p.event === "export.started" || p.event === "export.adopted") && !known) {
    runs.set(p.runKey, { database: p.database, state: "RUNNING", note: "" });
  } else if (p.event === "export.duplicate" && !known) {
    const done = FINAL.includes(p.state);
    runs.set(p.runKey, {
      database: p.database,
      state: done ? p.state : "RUNNING",
      note: done ? " (this slot had already run; nothing new was exported)" : "",
    });
  } else if (p.event === "export.failed") {
    runs.set(p.runKey, { database: p.database, state: "FAILED", note: ` (${p.message ?? ""})` });
  } else if (p.event === "trigger.rejected" || p.event === "config.invalid") {
    refusals.push(`${p.event}: ${p.message ?? ""}`);
  }
}
for (const { p } of entries) {
  const run = runs.get(p.runKey);
  if (p.event === "run.closed" && run) Object.assign(run, { state: p.state, restorable: p.restorable === true });
}
const all = [...runs.values()];
const open = all.filter((r) => !FINAL.includes(r.state)).length;
let status;
if (refusals.length > 0) status = "unsuccessful";
else if (all.length === 0) status = "pending no run started yet";
else if (open > 0) status = `pending ${open} of ${all.length} run(s) still open`;
else status = all.every((r) => r.state === "SUCCESSFUL") ? "successful" : "unsuccessful";
const lines = [...runs].map(
  ([key, r]) => `  ${r.state}${r.restorable ? " (restorable)" : ""}  ${r.database ?? "?"}  run ${key}${r.note}`,
);
console.log([status, ...refusals.map((r) => `  ${r}`), ...lines].join("\n"));
JS

step "Run $export_job now"
# A minute of slack for a local clock ahead of Cloud Logging's; the runs are matched by key anyway.
since=$(node -e 'process.stdout.write(new Date(Date.now() - 60_000).toISOString())')
gcloud scheduler jobs run "$export_job" --location="$region" --project="$project_id" ||
  fail "cannot run the job $export_job (see above)."

filter="timestamp>=\"$since\" AND ("
separator=""
for event in export.started export.adopted export.duplicate export.failed trigger.rejected config.invalid run.closed; do
  filter+="${separator}jsonPayload.event=\"$event\""
  separator=" OR "
done
filter+=")"

printf 'Waiting up to %ss for the verdict (reading the logs every %ss)...\n' "$wait_seconds" "$poll_seconds"
started=$SECONDS
last_status=""
while :; do
  if entries=$(gcloud logging read "$filter" --project="$project_id" --format=json --limit=1000 2>"$workdir/logging.err"); then
    verdict=$(printf '%s' "$entries" | node -e "$VERDICT_JS") ||
      fail "cannot interpret the log entries gcloud returned."
    status=${verdict%%$'\n'*}
    details=""
    [[ $verdict == *$'\n'* ]] && details=${verdict#*$'\n'}
    case $status in
    successful)
      printf '\nVerdict: SUCCESSFUL\n%s\n' "$details"
      exit 0
      ;;
    unsuccessful)
      printf '\nVerdict: NOT SUCCESSFUL\n%s\n' "$details" >&2
      fail "the run started by $export_job did not succeed; see the alerts (event alert.raised) in the logs."
      ;;
    *)
      if [[ ${status#pending } != "$last_status" ]]; then
        last_status=${status#pending }
        printf '  %s (%ss)\n' "$last_status" "$((SECONDS - started))"
      fi
      ;;
    esac
  else
    warn "gcloud logging read failed, trying again: $(head -n 1 "$workdir/logging.err")"
  fi
  if ((SECONDS - started >= wait_seconds)); then
    fail "no verdict within ${wait_seconds}s (last seen: ${last_status:-no log entries read}): follow the run with gcloud logging read 'jsonPayload.event=\"run.closed\"' --project=$project_id, or wait longer with DEPLOY_WAIT_SECONDS."
  fi
  sleep "$poll_seconds"
done
