# Alerts that reach a person through Cloud Monitoring, independent of the webhook and of the
# alert topic: every alert.raised line, every run that closed unsuccessfully, functions that cannot
# start (config.invalid), a checker that stopped ticking, and messages that were dead-lettered.
# Log-based metrics count the functions' JSON log lines (2nd gen functions log as Cloud Run
# revisions named after the function).

locals {
  function_logs = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=(\"${local.exporter_function_name}\" OR \"${local.checker_function_name}\")",
  ])
  notification_channels = concat([google_monitoring_notification_channel.email.id], var.notification_channels)
  user_metric_prefix    = "logging.googleapis.com/user"
}

resource "google_monitoring_notification_channel" "email" {
  project      = var.project_id
  display_name = "${local.name}: ${var.alert_email}"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }

  depends_on = [google_project_service.apis]
}

# ---------------------------------------------------------------------------------------------
# Log-based metrics
# ---------------------------------------------------------------------------------------------

resource "google_logging_metric" "alerts_raised" {
  project     = var.project_id
  name        = "${local.name}-alerts-raised"
  description = "Alerts raised by firestore-exporter (log event alert.raised), by kind."
  filter      = "${local.function_logs} AND jsonPayload.event=\"alert.raised\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "kind"
      value_type  = "STRING"
      description = "export_failed, export_cancelled, export_stuck, export_not_started, export_unverified, export_lost or backup_stale."
    }
  }
  label_extractors = {
    kind = "EXTRACT(jsonPayload.kind)"
  }

  depends_on = [google_project_service.apis]
}

resource "google_logging_metric" "runs_failed" {
  project     = var.project_id
  name        = "${local.name}-runs-failed"
  description = "Export runs that closed in a state other than SUCCESSFUL (log event run.closed), by state."
  filter      = "${local.function_logs} AND jsonPayload.event=\"run.closed\" AND jsonPayload.state!=\"SUCCESSFUL\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "state"
      value_type  = "STRING"
      description = "FAILED, CANCELLED or LOST."
    }
  }
  label_extractors = {
    state = "EXTRACT(jsonPayload.state)"
  }

  depends_on = [google_project_service.apis]
}

resource "google_logging_metric" "config_invalid" {
  project     = var.project_id
  name        = "${local.name}-config-invalid"
  description = "Function instances that refused to start because of their configuration (log event config.invalid)."
  filter      = "${local.function_logs} AND jsonPayload.event=\"config.invalid\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [google_project_service.apis]
}

resource "google_logging_metric" "check_ticks" {
  project     = var.project_id
  name        = "${local.name}-check-ticks"
  description = "Checker ticks (log event check.tick): their absence means nobody is watching the exports."
  filter      = "${local.function_logs} AND jsonPayload.event=\"check.tick\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [google_project_service.apis]
}

# ---------------------------------------------------------------------------------------------
# Alert policies
# ---------------------------------------------------------------------------------------------

resource "google_monitoring_alert_policy" "alert_raised" {
  project               = var.project_id
  display_name          = "${local.name}: export alert raised"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "alert.raised logged"
    condition_threshold {
      filter          = "metric.type=\"${local.user_metric_prefix}/${google_logging_metric.alerts_raised.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.kind"]
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "firestore-exporter raised an alert of kind $${metric.label.kind}. The log line (jsonPayload.event=\"alert.raised\") names the run, database, folder, the API's error and a one-line next step. The same alert went to the webhook and to the topic ${var.topic_names.alerts} when they work."
  }
}

resource "google_monitoring_alert_policy" "run_failed" {
  project               = var.project_id
  display_name          = "${local.name}: export run failed"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "run.closed with a state other than SUCCESSFUL"
    condition_threshold {
      filter          = "metric.type=\"${local.user_metric_prefix}/${google_logging_metric.runs_failed.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.state"]
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "An export run ended $${metric.label.state}. Its run.closed log line names the run and folder; the export is not restorable."
  }
}

resource "google_monitoring_alert_policy" "config_invalid" {
  project               = var.project_id
  display_name          = "${local.name}: function cannot start"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = local.notification_channels

  conditions {
    display_name = "config.invalid logged"
    condition_threshold {
      filter          = "metric.type=\"${local.user_metric_prefix}/${google_logging_metric.config_invalid.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A firestore-exporter function refused its configuration and exports or checks are not running. The config.invalid log line lists each variable, the value received and the accepted form; fix the Terraform inputs and apply again."
  }
}

# A dead man's switch for the checker itself: backup_stale cannot fire when nothing checks.
resource "google_monitoring_alert_policy" "checker_silent" {
  project               = var.project_id
  display_name          = "${local.name}: checker silent"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = local.notification_channels

  conditions {
    display_name = "no check.tick for ${var.checker_silence_alert_after}"
    condition_absent {
      filter   = "metric.type=\"${local.user_metric_prefix}/${google_logging_metric.check_ticks.name}\" AND resource.type=\"cloud_run_revision\""
      duration = var.checker_silence_alert_after
      # Summed over revisions, so a new deployment does not look like silence.
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "checkExports has logged no check.tick for ${var.checker_silence_alert_after}: exports are not being followed and stale backups would go unnoticed. Check the scheduler job ${local.name}-check, the subscription ${local.name}-check-push, the dead-letter subscription and the checker's logs."
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "${local.name}: undeliverable messages"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "messages waiting in ${google_pubsub_subscription.dead_letter.name}"
    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=\"${google_pubsub_subscription.dead_letter.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A trigger or check message could not be delivered after ${var.max_delivery_attempts} attempts. Pull it from ${google_pubsub_subscription.dead_letter.name} to see it, and read the functions' logs for why they refused it."
  }
}
