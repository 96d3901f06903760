# The webhook URL carries its own token: it lives in Secret Manager and reaches the checker as a
# secret environment variable, never as a plain one. Only the checker may read it.

resource "google_secret_manager_secret" "webhook" {
  count = local.webhook_enabled ? 1 : 0

  project   = var.project_id
  secret_id = "${local.name}-alert-webhook-url"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "webhook" {
  count = local.webhook_enabled ? 1 : 0

  secret      = google_secret_manager_secret.webhook[0].id
  secret_data = var.alert_webhook_url
}
