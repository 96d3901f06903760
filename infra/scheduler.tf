# Both jobs publish to a topic (no HTTP target, so no token audience to get wrong). The data is
# "{}": the functions framework ignores a push whose message has no data, and an empty JSON object
# is what the exporter reads as "all targets, for the scheduled slot". time_zone is always set
# (F12): the functions read the same schedule and zone to derive the slot and the freshness window.

resource "google_cloud_scheduler_job" "export" {
  project     = var.project_id
  region      = local.scheduler_region
  name        = "${local.name}-export"
  description = "Scheduled Firestore exports: one message to ${var.topic_names.trigger} per slot."
  schedule    = var.schedule
  time_zone   = var.time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.trigger.id
    data       = base64encode("{}")
  }

  # Only covers failing to publish; a retried publish lands in the same slot and the ledger makes
  # a duplicate a no-op.
  retry_config {
    retry_count          = 3
    min_backoff_duration = "10s"
    max_backoff_duration = "60s"
  }

  depends_on = [google_project_service.apis]
}

resource "google_cloud_scheduler_job" "check" {
  project     = var.project_id
  region      = local.scheduler_region
  name        = "${local.name}-check"
  description = "Checker tick: follows open exports, verifies them, raises alerts."
  schedule    = var.check_schedule
  time_zone   = var.time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.check.id
    data       = base64encode("{}")
  }

  depends_on = [google_project_service.apis]
}
