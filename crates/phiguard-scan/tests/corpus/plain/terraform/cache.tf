resource "aws_elasticache_replication_group" "sessions" { # expect: PHI-INFRA-001, PHI-INFRA-004
  replication_group_id = "sessions"
  description          = "checkout sessions"
  engine               = "redis"
  node_type            = "cache.t4g.small"
}

resource "aws_elasticache_replication_group" "carts" {
  replication_group_id       = "carts"
  description                = "carts"
  at_rest_encryption_enabled = var.encrypt_caches # expect: PHI-INFRA-005
  transit_encryption_enabled = true
  kms_key_id                 = aws_kms_key.cache.arn
}

resource "aws_elasticache_replication_group" "rx_queue" { # expect: PHI-INFRA-006
  replication_group_id       = "rx-queue"
  description                = "prescription queue"
  at_rest_encryption_enabled = true
  transit_encryption_enabled = var.env == "prod" ? true : false # expect: PHI-INFRA-005
}

resource "aws_elasticache_cluster" "fragments" { # expect: PHI-INFRA-001, PHI-INFRA-004
  cluster_id      = "fragments"
  engine          = "memcached"
  node_type       = "cache.t4g.micro"
  num_cache_nodes = 1
}

resource "aws_elasticache_serverless_cache" "catalog" { # expect: PHI-INFRA-006
  engine = "valkey"
  name   = "catalog"
}

resource "aws_elasticache_replication_group" "encrypted" {
  replication_group_id       = "encrypted"
  description                = "fully encrypted"
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  kms_key_id                 = aws_kms_key.cache.arn
}
