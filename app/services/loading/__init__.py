"""Bulk loading: the curated seed (seed/) and ingest of text files as sources.

Both write through app/services/curation, so nothing can be loaded that the API would refuse;
what they add is reading files, deriving ids and reporting what they did.
"""
