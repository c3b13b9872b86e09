resource "aws_opensearch_domain" "orders" { # expect: PHI-INFRA-004, PHI-INFRA-004
  domain_name    = "orders"
  engine_version = "OpenSearch_2.11"

  encrypt_at_rest {
    enabled = false # expect: PHI-INFRA-002
  }
}

resource "aws_opensearch_domain" "catalog" {
  domain_name = "catalog"

  encrypt_at_rest {
    enabled    = true
    kms_key_id = aws_kms_key.search.arn
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-2019-07"
  }
}
