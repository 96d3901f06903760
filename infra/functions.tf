# Both functions come from one bundle (the folder deploy.sh prepares: package.json and the built
# JavaScript), zipped and uploaded under a name that changes with its content, so that a new
# build redeploys them and an unchanged one does not.

data "archive_file" "function_source" {
  type        = "zip"
  source_dir  = local.function_source_dir
  output_path = "${path.root}/.terraform/tmp/${local.name}-function-source.zip"
  # Cloud Build installs the dependencies from package.json.
  excludes = ["node_modules", "node_modules/**"]
}

resource "google_storage_bucket" "source" {
  project  = var.project_id
  name     = local.source_bucket_name
  location = upper(var.region)
  labels   = local.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # Holds nothing but build inputs.
  force_destroy = true

  depends_on = [google_project_service.apis]
}

resource "google_storage_bucket_object" "function_source" {
  bucket       = google_storage_bucket.source.name
  name         = "function-source-${data.archive_file.function_source.output_md5}.zip"
  source       = data.archive_file.function_source.output_path
  content_type = "application/zip"
}

locals {
  build_service_account = var.create_build_service_account ? google_service_account.builder[0].id : null
}

resource "google_cloudfunctions2_function" "exporter" {
  project     = var.project_id
  location    = var.region
  name        = local.exporter_function_name
  description = "exportFirestore: claims each scheduled or manual run in the ledger and starts its export; never waits for it."
  labels      = local.labels

  build_config {
    runtime         = "nodejs20"
    entry_point     = "exportFirestore"
    service_account = local.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    available_memory               = var.function_memory
    timeout_seconds                = var.exporter_timeout_seconds
    min_instance_count             = 0
    max_instance_count             = 5
    ingress_settings               = var.ingress_settings
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.exporter.email
    environment_variables          = local.function_environment
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.builder,
    google_firestore_database.ledger,
    terraform_data.input_checks,
  ]
}

resource "google_cloudfunctions2_function" "checker" {
  project     = var.project_id
  location    = var.region
  name        = local.checker_function_name
  description = "checkExports: follows open runs to their end, verifies exports in the bucket, raises alerts; single-flight."
  labels      = local.labels

  build_config {
    runtime         = "nodejs20"
    entry_point     = "checkExports"
    service_account = local.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    available_memory = var.function_memory
    # Under 9 minutes: the single-flight lock of a tick lapses after 9 minutes.
    timeout_seconds = var.checker_timeout_seconds
    # One tick at a time is all that is useful (an overlapping tick does nothing).
    min_instance_count             = 0
    max_instance_count             = 1
    ingress_settings               = var.ingress_settings
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.checker.email
    environment_variables          = local.function_environment

    # Pinned to the version Terraform wrote, so a new URL redeploys the checker.
    dynamic "secret_environment_variables" {
      for_each = local.webhook_enabled ? [1] : []
      content {
        key        = "ALERT_WEBHOOK_URL"
        project_id = var.project_id
        secret     = google_secret_manager_secret.webhook[0].secret_id
        version    = google_secret_manager_secret_version.webhook[0].version
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.builder,
    google_firestore_database.ledger,
    google_secret_manager_secret_iam_member.checker_webhook,
    terraform_data.input_checks,
  ]
}
