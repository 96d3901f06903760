# Optional early wake-up: when an ExportDocuments operation finishes, its Admin Activity audit
# entry (operation.last=true) is routed to the check topic and the checker runs at once instead of
# at its next tick. Polling stays the source of truth: such an entry is usually, not always,
# written. One sink per target project, since audit logs stay in the project of the database.

resource "google_logging_project_sink" "export_done" {
  for_each = var.enable_audit_log_trigger ? local.target_projects : toset([])

  project     = each.value
  name        = "${local.name}-export-done"
  description = "Finished Firestore exports, to wake the firestore-exporter checker."
  destination = "pubsub.googleapis.com/${google_pubsub_topic.check.id}"
  filter = join(" AND ", [
    "logName=\"projects/${each.value}/logs/cloudaudit.googleapis.com%2Factivity\"",
    "protoPayload.methodName:\"FirestoreAdmin.ExportDocuments\"",
    "operation.last=true",
  ])
  unique_writer_identity = true
}

resource "google_pubsub_topic_iam_member" "export_done_writer" {
  for_each = google_logging_project_sink.export_done

  project = var.project_id
  topic   = google_pubsub_topic.check.name
  role    = "roles/pubsub.publisher"
  member  = each.value.writer_identity
}
