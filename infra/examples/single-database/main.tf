# Nightly export of one project's (default) database, alerts by email and (optionally) Slack.
#
#   terraform init
#   terraform apply -var project_id=my-project -var alert_email=oncall@example.com
#
# Build the function bundle first (deploy.sh does: it fills build/function-source).

terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 5.40, < 7.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4, < 3.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

variable "project_id" {
  description = "Project whose (default) database is exported, and where everything is deployed."
  type        = string
}

variable "region" {
  description = "Region of the functions, the bucket and the ledger."
  type        = string
  default     = "europe-west1"
}

variable "alert_email" {
  description = "Who is told when an export fails, hangs or goes missing."
  type        = string
}

variable "alert_webhook_url" {
  description = "Optional Slack or Google Chat webhook URL."
  type        = string
  default     = null
  sensitive   = true
}

module "firestore_exporter" {
  source = "../.."

  project_id  = var.project_id
  region      = var.region
  bucket_name = "${var.project_id}-firestore-exports"

  targets = [
    { database_id = "(default)" },
  ]

  schedule  = "0 2 * * *"
  time_zone = "UTC"

  export_retention_days = 30

  alert_email       = var.alert_email
  alert_webhook_url = var.alert_webhook_url
}

output "trigger_topic" {
  description = "Publish a JSON message here for a manual export."
  value       = module.firestore_exporter.trigger_topic
}

output "export_scheduler_job_name" {
  description = "The nightly export job."
  value       = module.firestore_exporter.export_scheduler_job_name
}

output "bucket_name" {
  description = "Where the exports land."
  value       = module.firestore_exporter.bucket_name
}
