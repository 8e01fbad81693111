"""Rucket: an S3-compatible object store."""

from __future__ import annotations

__version__ = "0.1.0"
