# Identities and grants. Rules (F15): dedicated service accounts only; additive *_iam_member
# grants only (never *_iam_policy / *_iam_binding, which would take over grants made by others);
# no primitive roles; no public members; the default compute / App Engine accounts are untouched.
#
#   exporter  starts exports and reads their operations (custom role, no import/cancel/storage),
#             reads and writes the ledger database.
#   checker   reads (and with stuck_action = "cancel" cancels) export operations, reads objects of
#             the export bucket, publishes to the alert topic, reads the webhook secret, reads and
#             writes the ledger database.
#   invoker   the OIDC identity of the push subscriptions: may invoke the two functions, nothing else.
#   builder   builds the function source (optional, see var.create_build_service_account).

data "google_project" "this" {
  project_id = var.project_id
}

# Projects of targets other than var.project_id: their Firestore service agents need the bucket.
data "google_project" "foreign" {
  for_each = local.foreign_target_projects

  project_id = each.value
}

locals {
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  foreign_firestore_agents = {
    for project, p in data.google_project.foreign :
    project => "serviceAccount:service-${p.number}@gcp-sa-firestore.iam.gserviceaccount.com"
  }

  # One grant per database with a condition naming it, or one per project without conditions
  # (two identical unconditional members would remove each other's binding on destroy).
  database_grants = var.restrict_grants_to_databases ? {
    for key, t in local.target_databases : key => {
      project = t.project_id
      condition = {
        title       = "${local.name} ${t.database_id}"
        description = "Only the database projects/${t.project_id}/databases/${t.database_id} and its operations."
        expression  = "resource.name == \"projects/${t.project_id}/databases/${t.database_id}\" || resource.name.startsWith(\"projects/${t.project_id}/databases/${t.database_id}/\")"
      }
    }
    } : {
    for project in local.target_projects : project => { project = project, condition = null }
  }

  ledger_condition = var.restrict_grants_to_databases ? {
    title       = "${local.name} ledger"
    description = "Only the ledger database ${local.ledger_database}."
    expression  = "resource.name == \"${local.ledger_database}\" || resource.name.startsWith(\"${local.ledger_database}/\")"
  } : null

  runtime_members = {
    exporter = "serviceAccount:${google_service_account.exporter.email}"
    checker  = "serviceAccount:${google_service_account.checker.email}"
  }
}

# ---------------------------------------------------------------------------------------------
# Service accounts
# ---------------------------------------------------------------------------------------------

resource "google_service_account" "exporter" {
  project      = var.project_id
  account_id   = "${local.name}-export"
  display_name = "firestore-exporter: exportFirestore"
  description  = "Starts Firestore exports and reads their operations; reads and writes the ledger."

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "checker" {
  project      = var.project_id
  account_id   = "${local.name}-check"
  display_name = "firestore-exporter: checkExports"
  description  = "Follows export operations, verifies export objects, raises alerts; reads and writes the ledger."

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "invoker" {
  project      = var.project_id
  account_id   = "${local.name}-invoke"
  display_name = "firestore-exporter: push invoker"
  description  = "OIDC identity of the Pub/Sub push subscriptions; may only invoke the two functions."

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "builder" {
  count = var.create_build_service_account ? 1 : 0

  project      = var.project_id
  account_id   = "${local.name}-build"
  display_name = "firestore-exporter: function builds"
  description  = "Builds the function source with Cloud Build."

  depends_on = [google_project_service.apis]
}

# ---------------------------------------------------------------------------------------------
# Custom roles (project-scoped, so one per target project)
# ---------------------------------------------------------------------------------------------

resource "google_project_iam_custom_role" "exporter" {
  for_each = local.target_projects

  project     = each.value
  role_id     = "${local.role_prefix}_export"
  title       = "firestore-exporter: start exports"
  description = "exportDocuments and reading its operations. No import, no cancel, no Cloud Storage access (the Firestore service agent writes the files)."
  permissions = local.exporter_permissions
}

resource "google_project_iam_custom_role" "checker" {
  for_each = local.target_projects

  project     = each.value
  role_id     = "${local.role_prefix}_check"
  title       = "firestore-exporter: follow exports"
  description = "Reads export operations; cancels them only when stuck_action is cancel."
  permissions = local.checker_permissions
}

resource "google_project_iam_custom_role" "verifier" {
  project     = var.project_id
  role_id     = "${local.role_prefix}_verify"
  title       = "firestore-exporter: verify export objects"
  description = "Reads object metadata in the export bucket (granted on that bucket only)."
  permissions = ["storage.objects.get", "storage.objects.list"]
}

resource "google_project_iam_custom_role" "export_writer" {
  count = length(local.foreign_target_projects) > 0 ? 1 : 0

  project     = var.project_id
  role_id     = "${local.role_prefix}_agent_write"
  title       = "firestore-exporter: write exports"
  description = "What the Firestore service agent of another project needs on the export bucket: no delete."
  permissions = [
    "storage.buckets.get",
    "storage.objects.create",
    "storage.objects.get",
    "storage.objects.list",
  ]
}

# ---------------------------------------------------------------------------------------------
# Firestore: exports, operations, ledger
# ---------------------------------------------------------------------------------------------

resource "google_project_iam_member" "exporter_export" {
  for_each = local.database_grants

  project = each.value.project
  role    = google_project_iam_custom_role.exporter[each.value.project].name
  member  = "serviceAccount:${google_service_account.exporter.email}"

  dynamic "condition" {
    for_each = each.value.condition == null ? [] : [each.value.condition]
    content {
      title       = condition.value.title
      description = condition.value.description
      expression  = condition.value.expression
    }
  }
}

resource "google_project_iam_member" "checker_operations" {
  for_each = local.database_grants

  project = each.value.project
  role    = google_project_iam_custom_role.checker[each.value.project].name
  member  = "serviceAccount:${google_service_account.checker.email}"

  dynamic "condition" {
    for_each = each.value.condition == null ? [] : [each.value.condition]
    content {
      title       = condition.value.title
      description = condition.value.description
      expression  = condition.value.expression
    }
  }
}

resource "google_project_iam_member" "ledger" {
  for_each = local.runtime_members

  project = var.project_id
  role    = "roles/datastore.user"
  member  = each.value

  dynamic "condition" {
    for_each = local.ledger_condition == null ? [] : [local.ledger_condition]
    content {
      title       = condition.value.title
      description = condition.value.description
      expression  = condition.value.expression
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Cloud Storage
# ---------------------------------------------------------------------------------------------

resource "google_storage_bucket_iam_member" "checker_verify" {
  bucket = google_storage_bucket.exports.name
  role   = google_project_iam_custom_role.verifier.name
  member = "serviceAccount:${google_service_account.checker.email}"
}

# F9: the Firestore service agent of var.project_id reaches the bucket by default; the agents of
# other target projects do not.
resource "google_storage_bucket_iam_member" "firestore_agent" {
  for_each = local.foreign_firestore_agents

  bucket = google_storage_bucket.exports.name
  role   = google_project_iam_custom_role.export_writer[0].name
  member = each.value
}

# ---------------------------------------------------------------------------------------------
# Pub/Sub, secrets, invocation
# ---------------------------------------------------------------------------------------------

resource "google_pubsub_topic_iam_member" "checker_alerts" {
  project = var.project_id
  topic   = google_pubsub_topic.alerts.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.checker.email}"
}

resource "google_pubsub_topic_iam_member" "trigger_publishers" {
  for_each = toset(var.trigger_publishers)

  project = var.project_id
  topic   = google_pubsub_topic.trigger.name
  role    = "roles/pubsub.publisher"
  member  = each.value
}

resource "google_secret_manager_secret_iam_member" "checker_webhook" {
  count = local.webhook_enabled ? 1 : 0

  project   = var.project_id
  secret_id = google_secret_manager_secret.webhook[0].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.checker.email}"
}

# 2nd gen functions are invoked through their Cloud Run service.
resource "google_cloud_run_service_iam_member" "invoke_exporter" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.exporter.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.invoker.email}"
}

resource "google_cloud_run_service_iam_member" "invoke_checker" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.checker.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.invoker.email}"
}

# Pub/Sub signs the push requests' OIDC tokens as the invoker (needed explicitly in projects
# created before April 2021), and moves undeliverable messages to the dead-letter topic, which
# needs publish on that topic and subscribe on the source subscriptions.
resource "google_service_account_iam_member" "pubsub_agent_token" {
  service_account_id = google_service_account.invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

resource "google_pubsub_topic_iam_member" "pubsub_agent_dead_letter" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_source" {
  for_each = {
    exporter = google_pubsub_subscription.exporter.name
    checker  = google_pubsub_subscription.checker.name
  }

  project      = var.project_id
  subscription = each.value
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# ---------------------------------------------------------------------------------------------
# Builds
# ---------------------------------------------------------------------------------------------

resource "google_project_iam_member" "builder" {
  count = var.create_build_service_account ? 1 : 0

  project = var.project_id
  role    = "roles/cloudbuild.builds.builder"
  member  = "serviceAccount:${google_service_account.builder[0].email}"
}
