output "project_id" {
  description = "Project that hosts the deployment."
  value       = var.project_id
}

output "region" {
  description = "Region of the functions."
  value       = var.region
}

output "scheduler_region" {
  description = "Region of the two Cloud Scheduler jobs (for `gcloud scheduler jobs run NAME --location REGION`)."
  value       = local.scheduler_region
}

output "time_zone" {
  description = "Time zone of both scheduler jobs and of the schedule the functions derive slots from."
  value       = var.time_zone
}

output "export_scheduler_job_name" {
  description = "Short name of the Cloud Scheduler job that triggers the scheduled exports."
  value       = google_cloud_scheduler_job.export.name
}

output "export_scheduler_job_id" {
  description = "Full name of the export job (projects/P/locations/L/jobs/N), as the Cloud Scheduler API takes it."
  value       = google_cloud_scheduler_job.export.id
}

output "check_scheduler_job_name" {
  description = "Short name of the Cloud Scheduler job that ticks the checker."
  value       = google_cloud_scheduler_job.check.name
}

output "schedule" {
  description = "Cron expression of the export job."
  value       = google_cloud_scheduler_job.export.schedule
}

output "bucket_name" {
  description = "Export bucket (without gs://)."
  value       = google_storage_bucket.exports.name
}

output "trigger_topic" {
  description = "Topic short name for manual exports: `gcloud pubsub topics publish TOPIC --message '{...}'`."
  value       = google_pubsub_topic.trigger.name
}

output "check_topic" {
  description = "Topic short name that wakes the checker (scheduler ticks and audit-log entries)."
  value       = google_pubsub_topic.check.name
}

output "alert_topic" {
  description = "Topic short name that receives every alert as JSON (ALERT_TOPIC); subscribe to it to route alerts elsewhere."
  value       = google_pubsub_topic.alerts.name
}

output "dead_letter_subscription" {
  description = "Subscription holding undeliverable trigger and check messages for 7 days."
  value       = google_pubsub_subscription.dead_letter.name
}

output "exporter_function_name" {
  description = "Name of the exportFirestore function (2nd gen)."
  value       = google_cloudfunctions2_function.exporter.name
}

output "checker_function_name" {
  description = "Name of the checkExports function (2nd gen)."
  value       = google_cloudfunctions2_function.checker.name
}

output "exporter_function_uri" {
  description = "URL of the exporter's Cloud Run service (the push endpoint and OIDC audience)."
  value       = google_cloudfunctions2_function.exporter.service_config[0].uri
}

output "checker_function_uri" {
  description = "URL of the checker's Cloud Run service (the push endpoint and OIDC audience)."
  value       = google_cloudfunctions2_function.checker.service_config[0].uri
}

output "exporter_service_account_email" {
  description = "Runtime identity of exportFirestore."
  value       = google_service_account.exporter.email
}

output "checker_service_account_email" {
  description = "Runtime identity of checkExports."
  value       = google_service_account.checker.email
}

output "invoker_service_account_email" {
  description = "Identity the push subscriptions present to the functions (OIDC)."
  value       = google_service_account.invoker.email
}

output "builder_service_account_email" {
  description = "Identity of the function builds, or null when the project's default build identity is used."
  value       = var.create_build_service_account ? google_service_account.builder[0].email : null
}

output "ledger_database" {
  description = "Firestore database of the ledger (LEDGER_DATABASE)."
  value       = local.ledger_database
}

output "ledger_collection" {
  description = "Collection of the ledger (LEDGER_COLLECTION)."
  value       = var.ledger_collection
}

output "function_environment" {
  description = "The plain environment variables of both functions (no secrets), as the product reads them."
  value       = local.function_environment
}
