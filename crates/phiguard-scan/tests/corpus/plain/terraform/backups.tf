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
