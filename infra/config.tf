# What the functions are told, derived from the inputs alone (no resource attributes), so that the
# offline tests can evaluate this file with variables.tf and feed the result to the product's own
# configuration parser. Cross-input rules that a variable's validation cannot express (Terraform
# 1.5 validations see one variable) are preconditions of terraform_data.input_checks below.

locals {
  name        = var.name_prefix
  role_prefix = replace(var.name_prefix, "-", "_")
  labels      = merge(var.labels, { "managed-by" = "terraform", "app" = "firestore-exporter" })

  bucket_location     = upper(coalesce(var.bucket_location, var.region))
  source_bucket_name  = coalesce(var.source_bucket_name, "${var.project_id}-${var.name_prefix}-src")
  scheduler_region    = coalesce(var.scheduler_region, var.region)
  ledger_location     = coalesce(var.ledger_location, var.region)
  ledger_database     = "projects/${var.project_id}/databases/${var.ledger_database_id}"
  function_source_dir = coalesce(var.function_source_dir, "${path.module}/../build/function-source")

  exporter_function_name = "${var.name_prefix}-export"
  checker_function_name  = "${var.name_prefix}-check"
  alert_topic_path       = "projects/${var.project_id}/topics/${var.topic_names.alerts}"

  # Targets with their project filled in; keyed "PROJECT/DATABASE" where a map is needed.
  targets                = [for t in var.targets : merge(t, { project_id = coalesce(t.project_id, var.project_id) })]
  target_database_groups = { for t in local.targets : "${t.project_id}/${t.database_id}" => t... }
  target_databases       = { for k, group in local.target_database_groups : k => group[0] }
  target_projects        = toset([for t in local.targets : t.project_id])
  # The Firestore service agent of another project needs an explicit grant on the bucket (F9).
  foreign_target_projects = setsubtract(local.target_projects, [var.project_id])

  # EXPORT_TARGETS: unset windows are left out (the functions then use the global ones); a null
  # in the JSON would be refused by the functions' schema.
  export_targets = [for t in local.targets : merge(
    {
      database      = "projects/${t.project_id}/databases/${t.database_id}"
      bucket        = "gs://${var.bucket_name}"
      prefix        = t.prefix
      collectionIds = t.collection_ids
      namespaceIds  = t.namespace_ids
    },
    {
      for k, v in {
        startWindow      = t.start_window
        completionWindow = t.completion_window
        freshnessWindow  = t.freshness_window
      } : k => v if v != null
    },
  )]

  manual_bucket_allowlist = length(var.manual_bucket_allowlist) > 0 ? var.manual_bucket_allowlist : ["gs://${var.bucket_name}"]

  # Exactly the names of CONFIG_VARIABLES in functions/src/config.ts, minus ALERT_WEBHOOK_URL (a
  # secret environment variable of the checker, see functions.tf). An empty value means "use the
  # product's default": the functions treat "" as unset.
  function_environment = {
    EXPORT_TARGETS              = jsonencode(local.export_targets)
    EXPORT_SCHEDULE             = var.schedule
    EXPORT_SCHEDULE_TIME_ZONE   = var.time_zone
    EXPORT_PREFIX_TEMPLATE      = var.prefix_template
    EXPORT_PREFIX_TIME_ZONE     = var.prefix_time_zone
    EXPORT_CONSISTENT           = var.consistent_exports == null ? "" : tostring(var.consistent_exports)
    FIRESTORE_ADMIN_API_VERSION = var.admin_api_version
    MANUAL_BUCKET_ALLOWLIST     = join(",", local.manual_bucket_allowlist)
    LEDGER_DATABASE             = local.ledger_database
    LEDGER_COLLECTION           = var.ledger_collection
    EXPORT_RETRY_MAX_ATTEMPTS   = tostring(var.export_retry_max_attempts)
    EXPORT_RETRY_BASE_DELAY_MS  = tostring(var.export_retry_base_delay_ms)
    EXPORT_REQUEST_TIMEOUT_MS   = tostring(var.export_request_timeout_ms)
    EXPORT_REQUESTS_PER_MINUTE  = tostring(var.export_requests_per_minute)
    EXPORT_MAX_CONCURRENT       = tostring(var.export_max_concurrent)
    # One delivery starts exports for at most this long, then leaves the rest to a redelivery,
    # well inside the function's timeout.
    EXPORT_TIME_BUDGET       = "${max(30, var.exporter_timeout_seconds - 60)}s"
    FIRESTORE_ADMIN_ENDPOINT = "https://firestore.googleapis.com"
    STORAGE_ENDPOINT         = "https://storage.googleapis.com"
    START_WINDOW             = var.start_window == null ? "" : var.start_window
    COMPLETION_WINDOW        = var.completion_window == null ? "" : var.completion_window
    FRESHNESS_WINDOW         = var.freshness_window == null ? "" : var.freshness_window
    STUCK_ACTION             = var.stuck_action
    DOCUMENT_DROP_WARN_RATIO = tostring(var.document_drop_warn_ratio)
    ALERT_WEBHOOK_FORMAT     = var.alert_webhook_format == null ? "" : var.alert_webhook_format
    ALERT_TOPIC              = local.alert_topic_path
  }

  # Permissions of the custom roles in iam.tf. The exporter may start exports and read their
  # operations: no import, no cancel, no Cloud Storage (the Firestore service agent writes the
  # files). The checker may cancel only when it is asked to.
  exporter_permissions = [
    "datastore.databases.export",
    "datastore.operations.get",
    "datastore.operations.list",
  ]
  checker_permissions = concat(
    ["datastore.operations.get", "datastore.operations.list"],
    var.stuck_action == "cancel" ? ["datastore.operations.cancel"] : [],
  )

  # count/for_each cannot use a sensitive value; whether a webhook is configured is not a secret.
  webhook_enabled = nonsensitive(var.alert_webhook_url != null)
}

resource "terraform_data" "input_checks" {
  lifecycle {
    precondition {
      condition     = alltrue([for k, group in local.target_database_groups : length(group) == 1])
      error_message = "targets lists a database more than once: ${join(", ", [for k, group in local.target_database_groups : k if length(group) > 1])}."
    }
    precondition {
      condition     = var.admin_api_version == "v1" || alltrue([for t in local.targets : length(t.namespace_ids) == 0])
      error_message = "namespace_ids need admin_api_version = \"v1\"; v1beta2 accepts only collection_ids."
    }
    precondition {
      condition     = var.admin_api_version == "v1" || var.consistent_exports != true
      error_message = "consistent_exports = true needs admin_api_version = \"v1\": v1beta2 has no snapshotTime."
    }
    precondition {
      condition     = !var.retention_policy_locked || var.retention_period_days != null
      error_message = "retention_policy_locked needs retention_period_days."
    }
    precondition {
      condition = alltrue([
        for pair in [
          [var.nearline_after_days, var.coldline_after_days],
          [var.nearline_after_days, var.export_retention_days],
          [var.coldline_after_days, var.export_retention_days],
        ] : try(pair[0] < pair[1], true) # null (unset) compares as an error: no constraint
      ])
      error_message = "Lifecycle ages must grow: nearline_after_days < coldline_after_days < export_retention_days."
    }
    precondition {
      condition     = try(var.retention_period_days <= var.export_retention_days, true)
      error_message = "retention_period_days must not exceed export_retention_days: objects under retention cannot be deleted by the lifecycle rule."
    }
    precondition {
      condition     = length(distinct(values(var.topic_names))) == 4
      error_message = "The four topic_names must differ."
    }
  }
}
