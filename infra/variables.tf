# Inputs of the module. Names the functions read are in config.tf (function_environment); the
# parity test in test/infra/ keeps that map and the product's CONFIG_VARIABLES the same set.

# ---------------------------------------------------------------------------------------------
# Where it runs
# ---------------------------------------------------------------------------------------------

variable "project_id" {
  description = "Project that hosts the functions, topics, scheduler jobs, export bucket, ledger and monitoring."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lowercase letters, digits or hyphens, starting with a letter), not a project name or number."
  }
}

variable "region" {
  description = "Region of the functions (and, unless overridden, of the scheduler jobs, the export bucket and the ledger database), such as europe-west1."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1 or europe-west1."
  }
}

variable "scheduler_region" {
  description = "Region of the Cloud Scheduler jobs when Scheduler is not offered in var.region. null = var.region."
  type        = string
  default     = null

  validation {
    condition     = var.scheduler_region == null || can(regex("^[a-z]+-[a-z]+[0-9]+$", var.scheduler_region))
    error_message = "scheduler_region must be null or a region such as us-central1."
  }
}

variable "name_prefix" {
  description = "Prefix of the names of functions, service accounts, jobs, subscriptions, metrics and the secret. At most 20 characters so that service account IDs stay within 30."
  type        = string
  default     = "firestore-exporter"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-20 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes labels (bucket, topics, subscriptions, functions, secret)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must start with a lowercase letter; keys and values may hold lowercase letters, digits, _ and - (at most 63 characters)."
  }
}

variable "enable_apis" {
  description = "Enable the Google APIs the module needs in var.project_id. APIs are never disabled on destroy, since other workloads may use them."
  type        = bool
  default     = true
  nullable    = false
}

# ---------------------------------------------------------------------------------------------
# What is exported, when, and where
# ---------------------------------------------------------------------------------------------

variable "targets" {
  description = <<-EOT
    The databases to export. Each: database_id ("(default)" or a named database), project_id
    (default: var.project_id), collection_ids (collection-group ids, [] = all, at most 100),
    namespace_ids ([] = all; v1 API only), prefix (folder in the bucket, default "firestore"),
    and optional start_window / completion_window / freshness_window ("90s", "30m", "12h", "2d")
    overriding the global windows for this database.
  EOT
  type = list(object({
    database_id       = string
    project_id        = optional(string)
    collection_ids    = optional(list(string), [])
    namespace_ids     = optional(list(string), [])
    prefix            = optional(string, "firestore")
    start_window      = optional(string)
    completion_window = optional(string)
    freshness_window  = optional(string)
  }))
  nullable = false

  validation {
    condition     = length(var.targets) > 0
    error_message = "targets must name at least one database."
  }
  validation {
    condition     = alltrue([for t in var.targets : can(regex("^(\\(default\\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$", t.database_id))])
    error_message = "Each database_id must be \"(default)\" or a named database ID (4-63 lowercase letters, digits or hyphens, starting with a letter)."
  }
  validation {
    condition     = alltrue([for t in var.targets : t.project_id == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", coalesce(t.project_id, "x")))])
    error_message = "Each target project_id must be null (the module's project) or a project ID."
  }
  validation {
    condition = alltrue([for t in var.targets : length(t.collection_ids) <= 100 && alltrue([
      for c in t.collection_ids : c != "" && c != "." && c != ".." && !strcontains(c, "/") && !can(regex("^__.*__$", c))
    ])])
    error_message = "collection_ids: at most 100 per target; an id cannot be empty, contain '/', be '.' or '..', or have the form __*__."
  }
  validation {
    condition     = alltrue([for t in var.targets : !can(regex("^/|/$|//", t.prefix))])
    error_message = "A target prefix is a folder path inside the bucket without leading, trailing or doubled slashes, such as \"firestore\" or \"backups/prod\"."
  }
  validation {
    condition = alltrue(flatten([for t in var.targets : [
      for w in [t.start_window, t.completion_window, t.freshness_window] : w == null || can(regex("^[0-9]{1,7}[smhd]$", coalesce(w, "x")))
    ]]))
    error_message = "Target windows are durations such as 90s, 30m, 12h or 2d."
  }
}

variable "schedule" {
  description = "Cron expression (five fields, Cloud Scheduler's unix-cron) of the export job. The functions read the same value, so the freshness window follows the cadence."
  type        = string
  default     = "0 2 * * *"
  nullable    = false

  validation {
    condition     = can(regex("^\\S+\\s+\\S+\\s+\\S+\\s+\\S+\\s+\\S+$", trimspace(var.schedule)))
    error_message = "schedule must be a five-field cron expression such as \"0 2 * * *\"."
  }
}

variable "time_zone" {
  description = "IANA time zone of both scheduler jobs and of the schedule the functions derive slots from, such as UTC or Europe/Paris. Set on every job explicitly."
  type        = string
  default     = "UTC"
  nullable    = false

  validation {
    condition     = can(regex("^(UTC|GMT|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$", var.time_zone))
    error_message = "time_zone must be an IANA time zone name such as UTC, Europe/Paris or America/Argentina/Buenos_Aires."
  }
}

variable "check_schedule" {
  description = "Cron expression of the checker's tick (checkExports): how often open runs are followed and missed or stale exports detected."
  type        = string
  default     = "*/5 * * * *"
  nullable    = false

  validation {
    condition     = can(regex("^\\S+\\s+\\S+\\s+\\S+\\s+\\S+\\s+\\S+$", trimspace(var.check_schedule)))
    error_message = "check_schedule must be a five-field cron expression such as \"*/5 * * * *\"."
  }
}

variable "prefix_template" {
  description = "EXPORT_PREFIX_TEMPLATE: folder of each export inside the bucket. Tokens {prefix} {project} {database} {yyyy} {mm} {dd} {stamp}; {database} and {stamp} are required."
  type        = string
  default     = "{prefix}/{database}/{yyyy}/{mm}/{dd}/{stamp}"
  nullable    = false

  validation {
    condition     = strcontains(var.prefix_template, "{database}") && strcontains(var.prefix_template, "{stamp}")
    error_message = "prefix_template must contain {database} and {stamp}, so that two databases or two runs never share a folder."
  }
}

variable "prefix_time_zone" {
  description = "EXPORT_PREFIX_TIME_ZONE: time zone of the date stamp in folder names."
  type        = string
  default     = "UTC"
  nullable    = false

  validation {
    condition     = can(regex("^(UTC|GMT|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$", var.prefix_time_zone))
    error_message = "prefix_time_zone must be an IANA time zone name such as UTC or Europe/Paris."
  }
}

variable "consistent_exports" {
  description = "EXPORT_CONSISTENT: point-in-time consistent exports (snapshotTime, v1 API only). null = the product's default: on with v1, off with v1beta2."
  type        = bool
  default     = null
}

variable "admin_api_version" {
  description = "FIRESTORE_ADMIN_API_VERSION: v1 (default) or v1beta2 (no namespace_ids, no snapshotTime)."
  type        = string
  default     = "v1"
  nullable    = false

  validation {
    condition     = contains(["v1", "v1beta2"], var.admin_api_version)
    error_message = "admin_api_version must be v1 or v1beta2."
  }
}

variable "manual_bucket_allowlist" {
  description = "MANUAL_BUCKET_ALLOWLIST: buckets (gs://NAME) a manual trigger's outputUriPrefix may write to. [] = only the export bucket. The functions get no write access to any bucket: the Firestore service agent writes, and it must be able to reach these buckets."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for b in var.manual_bucket_allowlist : can(regex("^gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]/?$", b))])
    error_message = "Each allowlist entry must be a bucket URI such as gs://my-bucket."
  }
}

# ---------------------------------------------------------------------------------------------
# The export bucket
# ---------------------------------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the export bucket the module creates (globally unique)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.bucket_name)) && !startswith(var.bucket_name, "goog") && !strcontains(var.bucket_name, "google")
    error_message = "bucket_name must be 3-63 lowercase letters, digits, _ or -, start and end with a letter or digit, and neither start with \"goog\" nor contain \"google\"."
  }
}

variable "bucket_location" {
  description = "Location of the export bucket: a region (europe-west1), a dual-region (EUR4, NAM4, ASIA1) or a multi-region (EU, US, ASIA). It must be compatible with the databases' locations or exports are refused. null = var.region."
  type        = string
  default     = null

  validation {
    condition = var.bucket_location == null || can(regex(
      "^([A-Z]+-[A-Z]+[0-9]+|US|EU|ASIA|NAM4|EUR4|EUR5|EUR7|EUR8|ASIA1)$", upper(coalesce(var.bucket_location, "x"))
    ))
    error_message = "bucket_location must be a region such as europe-west1, a predefined dual-region (NAM4, EUR4, EUR5, EUR7, EUR8, ASIA1) or a multi-region (US, EU, ASIA)."
  }
}

variable "export_retention_days" {
  description = "Exports older than this many days are deleted by a lifecycle rule. null = never delete."
  type        = number
  default     = 90

  validation {
    condition     = var.export_retention_days == null || try(var.export_retention_days >= 1 && floor(var.export_retention_days) == var.export_retention_days, false)
    error_message = "export_retention_days must be null or a whole number of days, at least 1."
  }
}

variable "nearline_after_days" {
  description = "Move exports to NEARLINE after this many days (cheaper storage, 30-day minimum, per-read fee). null = never."
  type        = number
  default     = null

  validation {
    condition     = var.nearline_after_days == null || try(var.nearline_after_days >= 1 && floor(var.nearline_after_days) == var.nearline_after_days, false)
    error_message = "nearline_after_days must be null or a whole number of days, at least 1."
  }
}

variable "coldline_after_days" {
  description = "Move exports to COLDLINE after this many days (90-day minimum storage, higher read fee). null = never."
  type        = number
  default     = null

  validation {
    condition     = var.coldline_after_days == null || try(var.coldline_after_days >= 1 && floor(var.coldline_after_days) == var.coldline_after_days, false)
    error_message = "coldline_after_days must be null or a whole number of days, at least 1."
  }
}

variable "retention_period_days" {
  description = "Bucket retention policy: no object can be deleted or overwritten before it is this many days old (protects backups from deletion). null = no retention policy."
  type        = number
  default     = null

  validation {
    condition     = var.retention_period_days == null || try(var.retention_period_days >= 1 && var.retention_period_days <= 36500 && floor(var.retention_period_days) == var.retention_period_days, false)
    error_message = "retention_period_days must be null or a whole number of days from 1 to 36500."
  }
}

variable "retention_policy_locked" {
  description = "WARNING: IRREVERSIBLE. Locks the bucket's retention policy. A locked policy can never be removed or shortened, and the bucket cannot be deleted until every object has reached the retention period. Only with retention_period_days set."
  type        = bool
  default     = false
  nullable    = false
}

variable "source_bucket_name" {
  description = "Bucket holding the zipped function source. null = \"PROJECT_ID-NAME_PREFIX-src\"."
  type        = string
  default     = null

  validation {
    condition     = var.source_bucket_name == null || can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", coalesce(var.source_bucket_name, "x")))
    error_message = "source_bucket_name must be null or a valid bucket name (3-63 lowercase letters, digits, _ or -)."
  }
}

# ---------------------------------------------------------------------------------------------
# Ledger
# ---------------------------------------------------------------------------------------------

variable "create_ledger_database" {
  description = "Create a dedicated Firestore database for the ledger (recommended: the functions then get data access to that database only). false = use an existing database named ledger_database_id in var.project_id."
  type        = bool
  default     = true
  nullable    = false
}

variable "ledger_database_id" {
  description = "Firestore database of the ledger in var.project_id (LEDGER_DATABASE)."
  type        = string
  default     = "firestore-exporter-ledger"
  nullable    = false

  validation {
    condition     = can(regex("^(\\(default\\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$", var.ledger_database_id))
    error_message = "ledger_database_id must be \"(default)\" or a database ID of 4-63 lowercase letters, digits or hyphens starting with a letter."
  }
}

variable "ledger_location" {
  description = "Location of the ledger database when it is created (a region such as europe-west1, or nam5 / eur3). null = var.region."
  type        = string
  default     = null

  validation {
    condition     = var.ledger_location == null || can(regex("^([a-z]+-[a-z]+[0-9]+|nam5|eur3)$", coalesce(var.ledger_location, "x")))
    error_message = "ledger_location must be null, a region such as europe-west1, nam5 or eur3."
  }
}

variable "ledger_collection" {
  description = "LEDGER_COLLECTION: top-level collection of the ledger (the functions also use the suffixes Alerts, Targets and Locks)."
  type        = string
  default     = "firestoreExporterRuns"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,100}$", var.ledger_collection)) && !can(regex("^__.*__$", var.ledger_collection))
    error_message = "ledger_collection must be 1-100 letters, digits, _ or - and not of the reserved form __*__."
  }
}

# ---------------------------------------------------------------------------------------------
# Checker policy
# ---------------------------------------------------------------------------------------------

variable "start_window" {
  description = "START_WINDOW: a scheduled slot with no started export after this long alerts export_not_started. null = derived from the schedule by the functions."
  type        = string
  default     = null

  validation {
    condition     = var.start_window == null || can(regex("^[0-9]{1,7}[smhd]$", coalesce(var.start_window, "x")))
    error_message = "start_window must be null or a duration such as 90s, 30m, 12h or 2d."
  }
}

variable "completion_window" {
  description = "COMPLETION_WINDOW: an export still running after this long alerts export_stuck. null = derived from the schedule."
  type        = string
  default     = null

  validation {
    condition     = var.completion_window == null || can(regex("^[0-9]{1,7}[smhd]$", coalesce(var.completion_window, "x")))
    error_message = "completion_window must be null or a duration such as 90s, 30m, 12h or 2d."
  }
}

variable "freshness_window" {
  description = "FRESHNESS_WINDOW: no verified export newer than this alerts backup_stale (the dead man's switch). null = derived from the schedule."
  type        = string
  default     = null

  validation {
    condition     = var.freshness_window == null || can(regex("^[0-9]{1,7}[smhd]$", coalesce(var.freshness_window, "x")))
    error_message = "freshness_window must be null or a duration such as 90s, 30m, 12h or 2d."
  }
}

variable "stuck_action" {
  description = "STUCK_ACTION: alert (default) or cancel an export that outlives its completion window. Only with cancel does the checker get datastore.operations.cancel."
  type        = string
  default     = "alert"
  nullable    = false

  validation {
    condition     = contains(["alert", "cancel"], var.stuck_action)
    error_message = "stuck_action must be alert or cancel."
  }
}

variable "document_drop_warn_ratio" {
  description = "DOCUMENT_DROP_WARN_RATIO: warn when a verified export has fewer than this fraction of the previous one's documents (0 = never warn)."
  type        = number
  default     = 0.5
  nullable    = false

  validation {
    condition     = var.document_drop_warn_ratio >= 0 && var.document_drop_warn_ratio <= 1
    error_message = "document_drop_warn_ratio must be a number from 0 to 1."
  }
}

variable "export_retry_max_attempts" {
  description = "EXPORT_RETRY_MAX_ATTEMPTS: attempts of exportDocuments per delivery for retryable errors (500, 503, timeouts); a 429 is waited out without using one."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.export_retry_max_attempts >= 1 && var.export_retry_max_attempts <= 20 && floor(var.export_retry_max_attempts) == var.export_retry_max_attempts
    error_message = "export_retry_max_attempts must be a whole number from 1 to 20."
  }
}

variable "export_retry_base_delay_ms" {
  description = "EXPORT_RETRY_BASE_DELAY_MS: first backoff delay in milliseconds; doubles per attempt, with jitter."
  type        = number
  default     = 1000
  nullable    = false

  validation {
    condition     = var.export_retry_base_delay_ms >= 1 && var.export_retry_base_delay_ms <= 60000 && floor(var.export_retry_base_delay_ms) == var.export_retry_base_delay_ms
    error_message = "export_retry_base_delay_ms must be a whole number from 1 to 60000."
  }
}

variable "export_request_timeout_ms" {
  description = "EXPORT_REQUEST_TIMEOUT_MS: timeout of one API request in milliseconds."
  type        = number
  default     = 30000
  nullable    = false

  validation {
    condition     = var.export_request_timeout_ms >= 100 && var.export_request_timeout_ms <= 300000 && floor(var.export_request_timeout_ms) == var.export_request_timeout_ms
    error_message = "export_request_timeout_ms must be a whole number from 100 to 300000."
  }
}

variable "export_requests_per_minute" {
  description = "EXPORT_REQUESTS_PER_MINUTE: exportDocuments requests the exporter sends per minute and project. Firestore allows 20 export and import requests a minute per project; set less to leave room for other tools."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.export_requests_per_minute >= 1 && var.export_requests_per_minute <= 10000 && floor(var.export_requests_per_minute) == var.export_requests_per_minute
    error_message = "export_requests_per_minute must be a whole number from 1 to 10000."
  }
}

variable "export_max_concurrent" {
  description = "EXPORT_MAX_CONCURRENT: export operations the exporter keeps running at once per project. Firestore allows 50 concurrent export and import operations per project."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.export_max_concurrent >= 1 && var.export_max_concurrent <= 10000 && floor(var.export_max_concurrent) == var.export_max_concurrent
    error_message = "export_max_concurrent must be a whole number from 1 to 10000."
  }
}

# ---------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------

variable "alert_email" {
  description = "Email address of the Cloud Monitoring notification channel that receives the alert policies (alerts raised, failed runs, a silent checker, dead letters), so an alert reaches a person even when the webhook is down."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address."
  }
}

variable "notification_channels" {
  description = "Further Cloud Monitoring notification channels (projects/P/notificationChannels/ID) for the alert policies, such as PagerDuty or Slack."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", c))])
    error_message = "Each notification channel must be a name such as projects/P/notificationChannels/123."
  }
}

variable "alert_webhook_url" {
  description = "ALERT_WEBHOOK_URL: Slack, Google Chat or generic JSON webhook (https). Stored in Secret Manager and given to the checker as a secret environment variable; note that it is also kept in the Terraform state. null = no webhook."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.alert_webhook_url == null || startswith(coalesce(var.alert_webhook_url, "x"), "https://")
    error_message = "alert_webhook_url must be null or an https:// URL (value not shown: it is sensitive)."
  }
}

variable "alert_webhook_format" {
  description = "ALERT_WEBHOOK_FORMAT: json, slack or googlechat. null = detected from the webhook URL."
  type        = string
  default     = null

  validation {
    condition     = var.alert_webhook_format == null || contains(["json", "slack", "googlechat"], coalesce(var.alert_webhook_format, "x"))
    error_message = "alert_webhook_format must be null, json, slack or googlechat."
  }
}

variable "checker_silence_alert_after" {
  description = "Alert when the checker has logged no check.tick for this long (it is down, misconfigured or not triggered), e.g. \"1800s\". Whole minutes, longer than the check interval."
  type        = string
  default     = "1800s"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+s$", var.checker_silence_alert_after)) && try(tonumber(trimsuffix(var.checker_silence_alert_after, "s")) % 60 == 0 && tonumber(trimsuffix(var.checker_silence_alert_after, "s")) >= 600, false)
    error_message = "checker_silence_alert_after must be whole minutes in seconds, at least 600s, such as \"1800s\"."
  }
}

variable "enable_audit_log_trigger" {
  description = "Route the Admin Activity audit log entry of each finished ExportDocuments (operation.last=true) in every target project to the check topic, so the checker runs early. Polling stays the source of truth."
  type        = bool
  default     = true
  nullable    = false
}

# ---------------------------------------------------------------------------------------------
# Functions and delivery
# ---------------------------------------------------------------------------------------------

variable "function_source_dir" {
  description = "Folder with package.json and the built JavaScript of the functions, prepared by deploy.sh. null = \"<module>/../build/function-source\"."
  type        = string
  default     = null
}

variable "function_memory" {
  description = "Memory of each function instance, such as 512Mi."
  type        = string
  default     = "512Mi"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.function_memory))
    error_message = "function_memory must be a size such as 256Mi, 512Mi or 1Gi."
  }
}

variable "exporter_timeout_seconds" {
  description = "Timeout of exportFirestore. It only starts exports, but retries with backoff and waits for room in the export quota; it stops starting exports 60 s before this (EXPORT_TIME_BUDGET) and leaves the rest to a redelivery. At most 600 (the push acknowledgement deadline)."
  type        = number
  default     = 540
  nullable    = false

  validation {
    condition     = var.exporter_timeout_seconds >= 60 && var.exporter_timeout_seconds <= 600 && floor(var.exporter_timeout_seconds) == var.exporter_timeout_seconds
    error_message = "exporter_timeout_seconds must be a whole number from 60 to 600."
  }
}

variable "checker_timeout_seconds" {
  description = "Timeout of checkExports. Under 9 minutes: the checker's single-flight lock lapses after 9 minutes, so a tick must end before it."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.checker_timeout_seconds >= 60 && var.checker_timeout_seconds < 540 && floor(var.checker_timeout_seconds) == var.checker_timeout_seconds
    error_message = "checker_timeout_seconds must be a whole number from 60 to 539 (under 9 minutes)."
  }
}

variable "ingress_settings" {
  description = "Ingress of both functions. Every call needs an identity with run.invoker either way (only the push subscriptions' service account has it). ALLOW_INTERNAL_ONLY is stricter; check that pushes still arrive before relying on it."
  type        = string
  default     = "ALLOW_ALL"
  nullable    = false

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "ingress_settings must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "max_delivery_attempts" {
  description = "Deliveries of one message to a function before Pub/Sub moves it to the dead-letter topic."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100 && floor(var.max_delivery_attempts) == var.max_delivery_attempts
    error_message = "max_delivery_attempts must be a whole number from 5 to 100 (Pub/Sub's limits)."
  }
}

variable "topic_names" {
  description = "Names of the Pub/Sub topics: trigger (exports), check (checker ticks and audit-log wake-ups), alerts (ALERT_TOPIC), dead_letter (undeliverable messages)."
  type = object({
    trigger     = optional(string, "export-trigger")
    check       = optional(string, "export-check")
    alerts      = optional(string, "export-alerts")
    dead_letter = optional(string, "export-dead-letter")
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for n in [var.topic_names.trigger, var.topic_names.check, var.topic_names.alerts, var.topic_names.dead_letter] :
      can(regex("^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$", n)) && !startswith(lower(n), "goog")
    ])
    error_message = "Topic names must be 3-255 characters, start with a letter, hold letters, digits and - _ . ~ + %, and not start with \"goog\"."
  }
}

variable "create_build_service_account" {
  description = "Build the functions with a dedicated service account (roles/cloudbuild.builds.builder) instead of the project's default build identity, which this module never modifies."
  type        = bool
  default     = true
  nullable    = false
}

variable "restrict_grants_to_databases" {
  description = "Add IAM conditions so that the export and ledger grants apply to the named databases only (resource.name). false = grants on the whole project, with the same narrow roles."
  type        = bool
  default     = true
  nullable    = false
}

variable "trigger_publishers" {
  description = "Principals allowed to publish manual export requests to the trigger topic, such as group:oncall@example.com. Public principals are refused."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for m in var.trigger_publishers : can(regex("^(user|group|serviceAccount|domain|principal|principalSet):.+", m)) && !contains(["allUsers", "allAuthenticatedUsers"], m)
    ])
    error_message = "trigger_publishers must be IAM principals such as group:oncall@example.com; allUsers and allAuthenticatedUsers are refused."
  }
}
