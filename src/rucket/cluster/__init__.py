"""Cluster building blocks: etcd member supervision and client, failure detection, internal API signing."""
