# Several databases, two of them named, one in another project (its Firestore service agent is
# granted write access to the bucket), with per-database windows, tiered storage and a retention
# policy that protects every export for 30 days.
#
#   terraform init
#   terraform apply -var project_id=ops-project -var other_project_id=shop-project \
#     -var alert_email=oncall@example.com
#
# The identity running Terraform needs to manage IAM (custom roles and grants) and log sinks in
# other_project_id as well.

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
  description = "Project that hosts the exporter and the bucket, and owns the first two databases."
  type        = string
}

variable "other_project_id" {
  description = "Another project whose orders database is exported too."
  type        = string
}

variable "region" {
  description = "Region of the functions and the ledger."
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

  project_id      = var.project_id
  region          = var.region
  bucket_name     = "${var.project_id}-firestore-exports"
  bucket_location = "EU"

  targets = [
    {
      database_id = "(default)"
    },
    {
      database_id      = "analytics"
      collection_ids   = ["events", "sessions"]
      prefix           = "analytics"
      freshness_window = "2d"
    },
    {
      database_id       = "orders"
      project_id        = var.other_project_id
      completion_window = "3h"
    },
  ]

  # Every six hours, on the hour in Paris; the folder dates stay in UTC.
  schedule         = "0 */6 * * *"
  time_zone        = "Europe/Paris"
  prefix_template  = "{prefix}/{project}/{database}/{yyyy}/{mm}/{dd}/{stamp}"
  prefix_time_zone = "UTC"

  nearline_after_days   = 30
  coldline_after_days   = 90
  export_retention_days = 365
  retention_period_days = 30

  stuck_action       = "cancel"
  trigger_publishers = ["group:firestore-oncall@example.com"]

  alert_email          = var.alert_email
  alert_webhook_url    = var.alert_webhook_url
  alert_webhook_format = "slack"

  labels = {
    team = "platform"
  }
}

output "trigger_topic" {
  description = "Publish a JSON message here for a manual export."
  value       = module.firestore_exporter.trigger_topic
}

output "exporter_service_account_email" {
  description = "The exporter's identity, for audits."
  value       = module.firestore_exporter.exporter_service_account_email
}

output "checker_service_account_email" {
  description = "The checker's identity, for audits."
  value       = module.firestore_exporter.checker_service_account_email
}
