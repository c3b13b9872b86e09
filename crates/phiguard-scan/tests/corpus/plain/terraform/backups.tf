resource "aws_db_instance" "orders" { # expect: PHI-INFRA-003
  identifier        = "orders"
  engine            = "postgres"
  instance_class    = "db.t4g.medium"
  allocated_storage = 50
}

resource "aws_rds_cluster" "rx" { # expect: PHI-INFRA-006
  cluster_identifier = "rx"
  engine             = "aurora-postgresql"
  storage_encrypted  = true
}

resource "aws_rds_cluster" "rx_replica" {
  cluster_identifier            = "rx-replica"
  engine                        = "aurora-postgresql"
  replication_source_identifier = aws_rds_cluster.rx.arn
}

resource "aws_db_parameter_group" "orders" {
  name   = "orders"
  family = "postgres16"

  parameter { # expect: PHI-INFRA-004
    name  = "rds.force_ssl"
    value = "0"
  }
}

resource "aws_backup_vault" "nightly" { # expect: PHI-INFRA-006
  name = "nightly"
}

resource "aws_backup_vault" "rx" {
  name        = "rx"
  kms_key_arn = aws_kms_key.backup.arn
}

resource "aws_ebs_volume" "magento_media" { # expect: PHI-INFRA-003
  availability_zone = "us-west-2a"
  size              = 100
}

resource "aws_ebs_volume" "encrypted" {
  availability_zone = "us-west-2a"
  size              = 100
  encrypted         = true
  kms_key_id        = aws_kms_key.ebs.arn
}

resource "aws_s3_bucket" "db_backups" { # expect: PHI-INFRA-006
  bucket = "northwind-db-backups"
}

resource "aws_s3_bucket" "exports" {
  bucket = "northwind-order-exports"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "exports" {
  bucket = aws_s3_bucket.exports.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.s3.arn
    }
  }
}

resource "aws_s3_bucket" "theme_assets" {
  bucket = "northwind-theme-assets"
}

# A module that is a replica only when its caller passes a source: otherwise unencrypted.
resource "aws_db_instance" "module_default" {
  identifier          = var.identifier
  replicate_source_db = var.replicate_source_db # expect: PHI-INFRA-005
}

# The same module with encryption written out: nothing to report beyond the provider key.
resource "aws_db_instance" "module_encrypted" { # expect: PHI-INFRA-006
  identifier          = var.identifier
  replicate_source_db = var.replicate_source_db
  storage_encrypted   = true
}

# Encryption left to the caller, whether or not the database is a replica.
resource "aws_db_instance" "module_input" {
  identifier          = var.identifier
  snapshot_identifier = var.snapshot_identifier
  storage_encrypted   = var.storage_encrypted # expect: PHI-INFRA-005
}
