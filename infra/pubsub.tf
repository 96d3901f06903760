# Topics, and how messages reach the functions.
#
# Delivery: explicit push subscriptions to each function's URL, not event_trigger. Eventarc
# creates and owns the subscription of an event_trigger, so Terraform cannot give it a dead-letter
# policy, and a message the function keeps refusing would then be retried until it expires,
# without a trace. Here each push carries an OIDC token of the invoker account whose audience is
# the function's exact URL (F16: a host-only audience is refused with 401); the path names the
# topic, which the functions framework expects of a raw Pub/Sub push. A failed delivery (the
# exporter throws on retryable errors) is retried with backoff, and after max_delivery_attempts it
# goes to the dead-letter topic, where a subscription keeps it for 7 days and an alert policy
# (monitoring.tf) tells a person.

resource "google_pubsub_topic" "trigger" {
  project = var.project_id
  name    = var.topic_names.trigger
  labels  = local.labels

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "check" {
  project = var.project_id
  name    = var.topic_names.check
  labels  = local.labels

  depends_on = [google_project_service.apis]
}

# ALERT_TOPIC: every alert as JSON (attributes kind and database), for whatever subscribes.
resource "google_pubsub_topic" "alerts" {
  project = var.project_id
  name    = var.topic_names.alerts
  labels  = local.labels

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  project = var.project_id
  name    = var.topic_names.dead_letter
  labels  = local.labels

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "exporter" {
  project = var.project_id
  name    = "${local.name}-export-push"
  topic   = google_pubsub_topic.trigger.id
  labels  = local.labels

  # The push waits for the function's answer: longer than the function may run.
  ack_deadline_seconds = min(600, var.exporter_timeout_seconds + 60)
  # A trigger that could not be delivered for a day is stale; the checker reports the missed slot.
  message_retention_duration = "86400s"

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.exporter.service_config[0].uri}/projects/${var.project_id}/topics/${google_pubsub_topic.trigger.name}"
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.exporter.service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  # Never expire for inactivity (a weekly schedule would otherwise come close).
  expiration_policy {
    ttl = ""
  }

  depends_on = [google_cloud_run_service_iam_member.invoke_exporter]
}

resource "google_pubsub_subscription" "checker" {
  project = var.project_id
  name    = "${local.name}-check-push"
  topic   = google_pubsub_topic.check.id
  labels  = local.labels

  ack_deadline_seconds = min(600, var.checker_timeout_seconds + 60)
  # Ticks are interchangeable: an hour-old tick is worth nothing once newer ones arrived.
  message_retention_duration = "3600s"

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.checker.service_config[0].uri}/projects/${var.project_id}/topics/${google_pubsub_topic.check.name}"
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.checker.service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "300s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_cloud_run_service_iam_member.invoke_checker]
}

# Holds dead letters for inspection (`gcloud pubsub subscriptions pull`); nothing consumes it.
resource "google_pubsub_subscription" "dead_letter" {
  project = var.project_id
  name    = "${var.topic_names.dead_letter}-hold"
  topic   = google_pubsub_topic.dead_letter.id
  labels  = local.labels

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}
