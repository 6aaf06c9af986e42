"""Thin adapters over AWS services (S3, SNS, SES, Scheduler, SSM). Never imports pages."""
