# A dedicated database for the ledger, so that the functions' data access (roles/datastore.user)
# can be limited by an IAM condition to this database and never reaches the exported data.

resource "google_firestore_database" "ledger" {
  count = var.create_ledger_database ? 1 : 0

  project     = var.project_id
  name        = var.ledger_database_id
  location_id = local.ledger_location
  type        = "FIRESTORE_NATIVE"

  # The ledger is the history of every backup: keep it when the module is destroyed.
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"

  depends_on = [google_project_service.apis]
}
