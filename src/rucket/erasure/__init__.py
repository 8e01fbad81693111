"""Erasure coding for the cluster BlobStore: Reed-Solomon profiles, stripe codec, streamed encode/decode."""
