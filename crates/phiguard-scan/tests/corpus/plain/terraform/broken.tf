resource "aws_s3_bucket" "half_written" {
  bucket =
}
