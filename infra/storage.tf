# The export bucket. The functions never write to it: the Firestore service agent writes the
# export files, and only the checker may read (to verify that an export's metadata object exists).

resource "google_storage_bucket" "exports" {
  project  = var.project_id
  name     = var.bucket_name
  location = local.bucket_location
  labels   = local.labels

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # Backups are never deleted by `terraform destroy`: a bucket that still holds exports stays.
  force_destroy = false

  dynamic "lifecycle_rule" {
    for_each = var.export_retention_days == null ? [] : [var.export_retention_days]
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.nearline_after_days == null ? [] : [var.nearline_after_days]
    content {
      condition {
        age                   = lifecycle_rule.value
        matches_storage_class = ["STANDARD"]
      }
      action {
        type          = "SetStorageClass"
        storage_class = "NEARLINE"
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.coldline_after_days == null ? [] : [var.coldline_after_days]
    content {
      condition {
        age                   = lifecycle_rule.value
        matches_storage_class = ["STANDARD", "NEARLINE"]
      }
      action {
        type          = "SetStorageClass"
        storage_class = "COLDLINE"
      }
    }
  }

  # A locked policy can never be removed or shortened (see var.retention_policy_locked).
  dynamic "retention_policy" {
    for_each = var.retention_period_days == null ? [] : [var.retention_period_days]
    content {
      retention_period = retention_policy.value * 86400
      is_locked        = var.retention_policy_locked
    }
  }

  depends_on = [google_project_service.apis, terraform_data.input_checks]
}
