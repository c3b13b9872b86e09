resource "aws_elasticache_replication_group" "fragments" {
  replication_group_id = "fragments"
  description          = "page fragments, declared without PHI"
}

resource "aws_elasticache_replication_group" "sessions" { # expect: PHI-INFRA-001, PHI-INFRA-004
  replication_group_id = "sessions"
  description          = "sessions"
}
