# APIs of var.project_id that the module uses. They are never disabled on destroy: other
# workloads of the project may depend on them.

locals {
  apis = toset([
    "artifactregistry.googleapis.com",     # images built from the function source
    "cloudbuild.googleapis.com",           # builds the functions
    "cloudfunctions.googleapis.com",       # Cloud Functions 2nd gen
    "cloudresourcemanager.googleapis.com", # project numbers for service agents
    "cloudscheduler.googleapis.com",       # export and check schedules
    "firestore.googleapis.com",            # Admin API (exports) and the ledger
    "iam.googleapis.com",                  # service accounts and custom roles
    "logging.googleapis.com",              # log-based metrics and the audit-log sink
    "monitoring.googleapis.com",           # alert policies and the email channel
    "pubsub.googleapis.com",               # trigger, check, alert and dead-letter topics
    "run.googleapis.com",                  # 2nd gen functions are Cloud Run services
    "secretmanager.googleapis.com",        # the webhook URL
    "storage.googleapis.com",              # export and source buckets
  ])
}

resource "google_project_service" "apis" {
  for_each = var.enable_apis ? local.apis : toset([])

  project                    = var.project_id
  service                    = each.value
  disable_on_destroy         = false
  disable_dependent_services = false
}
