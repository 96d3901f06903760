terraform {
  # Optional object attributes with defaults need 1.3; `check`-free preconditions and
  # nonsensitive() on derived values are used as in 1.5.
  required_version = ">= 1.5"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 5.40 has every argument used here; 7.x may rename some, so it is opted into explicitly.
      version = ">= 5.40, < 7.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4, < 3.0"
    }
  }
}
